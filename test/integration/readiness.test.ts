// Readiness on the stack is real (scripts/stack/kwok-stages.yaml, test/fixtures/dataplane/readiness.ts):
// a data-plane pod is Ready only once its process passes its readiness probe, so the release's own
// rollout wait (the real waitForRollout activity) is what keeps users off a process still starting.
// Needs: up.sh kube dataplane.
//   npx jest test/integration/readiness.test.ts --selectProjects integration --forceExit
import { createKubernetesActivities } from '../../src/activities/kubernetes';
import { freshGreen, readyServers, setGreenImage } from './dataplane-helpers';
import { activityEnv, deleteNamespaces, eventually, kubeConfigForStack } from './kube-helpers';

jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('./native-esm')>('./native-esm').kubernetesClient(),
);
jest.setTimeout(5 * 60_000);

const GREEN = 'hwayo-production-green';
/** The stand-in listens 4 s after its process starts (app.ts): a slow boot. */
const START_MS = 6000;
const TAG = `2.0.0-slowstart-${START_MS}`;
const { config, admin } = kubeConfigForStack();
const kube = createKubernetesActivities(config);

/** The process at `ip` is pod `pod`'s own (a deleted pod's process may still hold a reused IP). */
async function answersAs(ip: string, pod: string): Promise<boolean> {
  const r = await fetch(`http://${ip}:3000/health`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
  return r?.headers.get('x-hwayo-pod') === pod;
}

beforeAll(async () => {
  await freshGreen(admin, GREEN);
  const first = await activityEnv().env.run(kube.waitForRollout, {
    namespace: GREEN,
    deployments: ['api-gateway'],
    timeoutMs: 90_000,
  });
  expect(first.ready).toBe(true);
});
afterAll(() => deleteNamespaces(admin, [GREEN]));

test(`a pod is Ready only while its own process answers; the rollout wait of a ${START_MS} ms boot ends after it, every endpoint answering`, async () => {
  const t0 = Date.now();
  await setGreenImage(admin, GREEN, TAG);
  // Every 100 ms during the rollout: each pod of the new version that says Ready must accept connections.
  const refused: string[] = [];
  let checked = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const pods = await admin.core.listNamespacedPod({ namespace: GREEN, labelSelector: 'app=api-gateway' });
      for (const p of pods.items) {
        const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        const ip = p.status?.podIP;
        if (!ready || !ip || p.metadata?.deletionTimestamp || !p.spec?.containers[0].image?.endsWith(TAG)) continue;
        checked++;
        if (!(await answersAs(ip, p.metadata?.name ?? '')))
          refused.push(`${p.metadata?.name} Ready at +${Date.now() - t0} ms; its process does not answer on ${ip}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const wait = await activityEnv().env.run(kube.waitForRollout, {
    namespace: GREEN,
    deployments: ['api-gateway'],
    timeoutMs: 90_000,
  });
  const rolledOutMs = Date.now() - t0;
  watching = false;
  await watcher;
  expect(wait.ready).toBe(true);
  expect(refused).toEqual([]);
  expect(checked).toBeGreaterThan(0);
  // The rollout could not end before a new process listened; once the EndpointSlices drop the old pods
  // (they lag the rollout), every endpoint answers as TAG.
  expect(rolledOutMs).toBeGreaterThanOrEqual(START_MS);
  const servers = await eventually(
    'the ready endpoints are the two new pods',
    async () => {
      const pods = await admin.core.listNamespacedPod({ namespace: GREEN, labelSelector: 'app=api-gateway' });
      const ips = pods.items
        .filter((p) => !p.metadata?.deletionTimestamp && p.spec?.containers[0].image?.endsWith(TAG))
        .map((p) => `http://${p.status?.podIP}:3000`)
        .sort();
      const s = await readyServers(admin, GREEN);
      return s.length === 2 && JSON.stringify(s) === JSON.stringify(ips) && s;
    },
    10_000,
  );
  const versions = await Promise.all(
    servers.map(async (s) => (await fetch(`${s}/api/v1/health`)).headers.get('x-hwayo-version')),
  );
  expect(versions).toEqual([TAG, TAG]);
  console.log(`[measure] rollout of a ${START_MS} ms boot: done after ${rolledOutMs} ms; ${checked} Ready checks`);
});
