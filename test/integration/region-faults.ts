// Faults of one region of the local stack for the multi-cluster e2e: green's pods in one cluster going bad
// whatever image the release deployed (the data plane's stand-in fault, runner.ts), and what users saw of it
// at each region's gateway against the single-cluster e2e's bound (blast-radius.ts).
import { execFileSync } from 'node:child_process';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Sample } from '../fixtures/dataplane/loadgen';
import { sleep } from '../chaos/harness';
import { blastRadiusBound } from './blast-radius';
import { sentAt } from './gateway';

/** The stand-in fault's annotation on a namespace (test/fixtures/dataplane/runner.ts). */
const FAULT_ANNOTATION = 'hwayo.io/stand-in-fault';

export interface Cluster {
  name: string;
  admin: string;
  kubectl: string;
}

const kubectl = (c: Cluster, ...args: string[]) =>
  execFileSync(c.kubectl, ['--kubeconfig', c.admin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * Green's pods in cluster `c` answer as if their image tag ended in -<fault> from the moment the release creates
 * `namespace` there (polled every 100 ms) until `stop`, which takes the fault away again. `landed`: when the
 * annotation landed, or undefined.
 */
export function faultWhenCreated(c: Cluster, namespace: string, fault: string) {
  let running = true;
  const kc = new KubeConfig();
  kc.loadFromFile(c.admin);
  const core = kc.makeApiClient(CoreV1Api);
  const landed = (async () => {
    while (running) {
      // Polled with the client (cheap), annotated with kubectl once it is there.
      const ns = await core.readNamespace({ name: namespace }).catch(() => undefined);
      if (ns && !ns.metadata?.deletionTimestamp) {
        kubectl(c, 'annotate', 'namespace', namespace, `${FAULT_ANNOTATION}=${fault}`, '--overwrite');
        return Date.now();
      }
      await sleep(100);
    }
    return undefined;
  })();
  return {
    landed,
    stop: async () => {
      running = false;
      await landed;
      try {
        kubectl(c, 'annotate', 'namespace', namespace, `${FAULT_ANNOTATION}-`);
      } catch {
        // The namespace is gone (the release deleted green): no fault left to take away.
      }
      return landed;
    },
  };
}

/** Users' answers of one region during a window, split as the single-cluster e2e bounds them. */
export function usersSaw(samples: Sample[], green: string) {
  const failed = samples.filter((x) => x.status !== 200);
  const plain = samples.filter((x) => !x.canary);
  return {
    failed,
    plainFailed: failed.filter((x) => !x.canary),
    /** Failures answered by anyone but green (lost at the gateway, or blue failing). */
    notGreen: failed.filter((x) => x.namespace !== green),
    plain,
    lastGreen: Math.max(...plain.filter((x) => x.namespace === green).map(sentAt)),
  };
}

/**
 * The single-cluster e2e's bound for users without the canary header: the fault's failure rate on the step's
 * weight of their requests for as long as the gateway gave green users (first step to 0%), +1 s in flight.
 */
export function plainUsersBound(o: {
  fault: string;
  weight: number;
  rps: number;
  canaryShare: number;
  changes: { at: number; weight: number }[];
  after: number;
}): { bound: number; exposureS: number; greenFrom: number; atZero: number } {
  const greenFrom = o.changes.find((c) => c.weight > 0)!.at;
  const atZero = o.changes.find((c) => c.weight === 0 && c.at > o.after)!.at;
  const exposureS = (atZero - greenFrom) / 1000 + 1;
  const rps = o.rps * (1 - o.canaryShare);
  return {
    bound: blastRadiusBound({ tag: `x-${o.fault}`, weight: o.weight, rps, exposureS }),
    exposureS,
    greenFrom,
    atZero,
  };
}
