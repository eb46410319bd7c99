// What users see at the stack's gateway (Traefik, docs/stack.md "Data plane"): Traefik's own view of the
// hwayo-canary route (its API), and users (the load generator) whose answers say who served them.
import { runLoad, type LoadOptions, type Sample } from '../fixtures/dataplane/loadgen';
import { stackVar } from './stack';

interface TraefikService {
  name: string;
  weighted?: { services: { name: string; weight: number }[] };
  loadBalancer?: { servers?: { url: string }[] };
}

/** Region a's Traefik API; region b's is HWAYO_TRAEFIK_API_URL_B. */
const apiA = () => stackVar('TRAEFIK_API_URL');

const traefikServices = async (api = apiA()): Promise<TraefikService[]> =>
  (await (await fetch(`${api}/api/http/services`)).json()) as TraefikService[];

/** Traefik's backend name for a Service's port (<namespace>-<service>-<port name>-<port>). */
const backend = (namespace: string, service: string) => `${namespace}-${service}-http-80`;

/** The weighted service Traefik runs for the hwayo-canary route's default rule or its canary-header rule. */
async function gatewayRuleService(header: boolean, api = apiA()): Promise<TraefikService | undefined> {
  const routers = (await (await fetch(`${api}/api/http/routers`)).json()) as {
    rule: string;
    service: string;
    provider: string;
  }[];
  const router = routers.find(
    (r) =>
      r.provider === 'kubernetesgateway' && r.service.includes('hwayo-canary') && r.rule.includes('Header(') === header,
  );
  return router && (await traefikServices(api)).find((s) => s.name === `${router.service}@kubernetesgateway`);
}

/** A rule's weights by namespace (`service`'s backends), or undefined while Traefik has no such rule. */
async function ruleWeights(
  header: boolean,
  service: string,
  api = apiA(),
): Promise<Record<string, number> | undefined> {
  const rule = await gatewayRuleService(header, api);
  if (!rule?.weighted) return undefined;
  const suffix = `-${service}-http-80`;
  return Object.fromEntries(
    rule.weighted.services
      .filter((x) => x.name.endsWith(suffix))
      .map((x) => [x.name.slice(0, -suffix.length), x.weight]),
  );
}

/**
 * The default rule's weights as Traefik applies them, by namespace (api-gateway's backends), or
 * undefined while Traefik has no such rule. A side Traefik dropped (e.g. no ReferenceGrant yet) is absent.
 */
export const gatewayWeights = (service = 'api-gateway', api = apiA()) => ruleWeights(false, service, api);

/** The namespaces the canary-header rule sends users to as Traefik applies it (undefined: no such rule). */
export async function gatewayHeaderNamespaces(service = 'api-gateway'): Promise<string[] | undefined> {
  const w = await ruleWeights(true, service);
  return w && Object.keys(w).sort();
}

/** Green's weight as Traefik (region a's, or the one at `api`) applies it (0 when green is not in the default rule). */
export async function gatewayWeightOf(namespace: string, api = apiA()): Promise<number | undefined> {
  const w = await gatewayWeights('api-gateway', api);
  return w ? (w[namespace] ?? 0) : undefined;
}

/** The server URLs Traefik balances a namespace's Service over (empty when it has none). */
export async function gatewayServers(namespace: string, service = 'api-gateway'): Promise<string[]> {
  const s = (await traefikServices()).find((x) => x.name === `${backend(namespace, service)}@kubernetesgateway`);
  return (s?.loadBalancer?.servers ?? []).map((x) => x.url).sort();
}

export interface Users {
  /** Stops sending and returns every answer. */
  stop(): Promise<Sample[]>;
}

/** Users through the gateway's entrypoint until stop() (bounded by maxSeconds all the same). */
export function startUsers(o: Partial<LoadOptions> & { rps: number; maxSeconds: number }): Users {
  const stop = { stopped: false };
  const load = runLoad({ url: stackVar('TRAEFIK_URL'), count: o.rps * o.maxSeconds, stop, ...o });
  return {
    stop: async () => {
      stop.stopped = true;
      return load;
    },
  };
}

/**
 * A record of the weight Traefik (region a's, or the one at `api`) applies to `namespace` over time (polled), for
 * attributing samples to steps.
 */
export function recordGatewayWeights(namespace: string, everyMs = 100, api = apiA()) {
  const changes: { at: number; weight: number }[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const w = await gatewayWeightOf(namespace, api).catch(() => undefined);
      if (w !== undefined && changes[changes.length - 1]?.weight !== w) changes.push({ at: Date.now(), weight: w });
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    changes,
    stop: async () => {
      running = false;
      await done;
      return changes;
    },
  };
}

/** When a sample was sent (absolute ms): routing is decided then, whatever time the answer took. */
export const sentAt = (x: Sample) => x.at - (x.doneMs - x.sentMs);

/**
 * Users' share answered by `namespace` while the gateway applied each weight: samples sent at least
 * `marginMs` after a change and before the next one (the poll's uncertainty), canary-header ones aside.
 */
export function sharesByWeight(
  samples: Sample[],
  changes: { at: number; weight: number }[],
  namespace: string,
  marginMs = 300,
): { weight: number; n: number; share: number }[] {
  return changes.map((c, i) => {
    const end = changes[i + 1]?.at ?? Infinity;
    const s = samples.filter((x) => !x.canary && sentAt(x) >= c.at + marginMs && sentAt(x) < end - marginMs);
    return {
      weight: c.weight,
      n: s.length,
      share: s.length ? (100 * s.filter((x) => x.namespace === namespace).length) / s.length : NaN,
    };
  });
}
