// Where each router sends the canary-header users: green only while the route gives green users (or
// when the caller asks for green), blue otherwise, so a header rule never names a green that does not
// exist yet or is being deleted (the gateway answers those users 500).
import { ApplicationFailure } from '@temporalio/common';
import type { KubeClients } from '../../src/activities/kubernetes/client';
import { createTrafficActivities } from '../../src/activities/traffic';
import { routers, sidesOf } from '../../src/activities/traffic/routers';
import { DEFAULT_PLAN_DOCUMENT } from '../../src/plan/defaults';
import type { TrafficSpec } from '../../src/plan/types';

jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('../integration/native-esm')>('../integration/native-esm').kubernetesClient(),
);

/* eslint-disable @typescript-eslint/no-explicit-any -- apiserver JSON */
const BLUE = 'hwayo-production';
const GREEN = 'hwayo-production-green';
const base = DEFAULT_PLAN_DOCUMENT.traffic as TrafficSpec;
const sides = (provider: TrafficSpec['provider']) =>
  sidesOf({ ...base, provider, namespace: 'hwayo-gateway' }, BLUE, GREEN);

const httpRoute = (): any => ({
  metadata: { name: 'hwayo-canary', namespace: 'hwayo-gateway' },
  spec: {
    rules: [
      {
        matches: [{ headers: [{ type: 'Exact', name: 'canary', value: 'true' }] }],
        backendRefs: [{ name: 'api-gateway', namespace: GREEN, port: 80, weight: 100 }],
      },
      { backendRefs: [{ name: 'api-gateway', namespace: BLUE, port: 80, weight: 100 }] },
    ],
  },
});
const virtualService = (): any => ({
  metadata: { name: 'hwayo-canary', namespace: 'hwayo-gateway' },
  spec: {
    http: [
      {
        name: 'canary-header',
        match: [{ headers: { canary: { exact: 'true' } } }],
        route: [{ destination: { host: `api-gateway.${GREEN}.svc.cluster.local`, port: { number: 80 } }, weight: 100 }],
      },
      { name: 'primary', route: [{ destination: { host: `api-gateway.${BLUE}.svc.cluster.local` }, weight: 100 }] },
    ],
  },
});

/** The namespace of the one Service the header rule names. */
const headerNamespace = {
  'gateway-api': (o: any) => {
    const refs = o.spec.rules[0].backendRefs;
    expect(refs).toHaveLength(1);
    return refs[0].namespace;
  },
  istio: (o: any) => {
    const route = o.spec.http[0].route;
    expect(route).toHaveLength(1);
    return route[0].destination.host.split('.')[1];
  },
};

describe.each([
  ['gateway-api', httpRoute],
  ['istio', virtualService],
] as const)('%s: the header rule', (provider, make) => {
  const router = routers[provider];
  const s = sides(provider);

  test.each([
    [0, BLUE],
    [5, GREEN],
    [100, GREEN],
  ])('at green %i%% names %s', (g, ns) => {
    const obj = make();
    router.setWeights(obj, s, g);
    expect(headerNamespace[provider](obj)).toBe(ns);
  });

  test('the caller may send the header users to green before any weight moves, and back to blue', () => {
    const obj = make();
    router.setWeights(obj, s, 0, 'green');
    expect(headerNamespace[provider](obj)).toBe(GREEN);
    router.setWeights(obj, s, 0, 'blue');
    expect(headerNamespace[provider](obj)).toBe(BLUE);
  });

  test('a route without a header rule gets one, naming blue at 0%', () => {
    const obj = make();
    const rules = router.rules(obj);
    router.setRules(obj, rules.slice(1));
    router.setWeights(obj, s, 0);
    expect(router.rules(obj)).toHaveLength(2);
    expect(headerNamespace[provider](obj)).toBe(BLUE);
  });
});

describe('traefik: the IngressRoute header route follows the TraefikService', () => {
  const s = sides('traefik');
  const route: TrafficSpec = { ...base, provider: 'traefik', namespace: 'hwayo-gateway' };
  const ingressRoute = () => ({
    metadata: { name: 'hwayo-canary', namespace: 'hwayo-gateway', resourceVersion: '1' },
    spec: {
      routes: [
        {
          kind: 'Rule',
          match: '(Host(`traefik.hwayo.com`)) && Header(`canary`, `true`)',
          services: [{ name: 'api-gateway', namespace: GREEN, port: 80 }],
        },
        {
          kind: 'Rule',
          match: 'Host(`traefik.hwayo.com`)',
          services: [{ name: 'hwayo-canary', kind: 'TraefikService' }],
        },
      ],
    },
  });
  /** A stub apiserver holding one IngressRoute; returns what the header route names after followEdit. */
  async function headerAfter(edited: any, header?: 'green' | 'blue'): Promise<string> {
    let stored: any = ingressRoute();
    const custom = {
      getNamespacedCustomObject: async () => structuredClone(stored),
      replaceNamespacedCustomObject: async ({ body }: { body: any }) => (stored = body),
    };
    await routers.traefik.followEdit!(
      { custom, fieldManager: 't' } as unknown as KubeClients,
      route,
      s,
      edited,
      header,
    );
    const [svc] = stored.spec.routes[0].services;
    return `${svc.namespace ?? 'hwayo-gateway'}/${svc.name}`;
  }
  const service = (g: number): any => {
    const obj: any = {
      metadata: { name: 'hwayo-canary', namespace: 'hwayo-gateway' },
      spec: { weighted: { services: [{ name: 'api-gateway', namespace: BLUE, port: 80, weight: 100 }] } },
    };
    routers.traefik.setWeights(obj, s, g);
    return obj;
  };

  test('to blue at 0%, to green once it has users, to green at 0% when asked', async () => {
    expect(await headerAfter(service(0))).toBe(`${BLUE}/api-gateway`);
    expect(await headerAfter(service(5))).toBe(`${GREEN}/api-gateway`);
    expect(await headerAfter(service(0), 'green')).toBe(`${GREEN}/api-gateway`);
    expect(await headerAfter(service(50), 'blue')).toBe(`${BLUE}/api-gateway`);
  });

  test('to maintenance with the rest while in maintenance', async () => {
    const obj = service(5);
    obj.metadata.annotations = { 'release.hwayo.io/pre-maintenance-rules': '[]' };
    routers.traefik.routeAllToMaintenance(obj, s);
    expect(await headerAfter(obj, 'green')).toBe('hwayo-gateway/maintenance-page');
  });
});

test('setTrafficWeight refuses a header side other than green or blue, before touching the cluster', async () => {
  const traffic = createTrafficActivities({ kubernetes: {} } as any);
  const err = await traffic
    .setTrafficWeight({
      route: { ...base, provider: 'gateway-api' },
      blueNamespace: BLUE,
      greenNamespace: GREEN,
      greenWeight: 0,
      header: 'canary' as 'green',
    })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect((err as ApplicationFailure).type).toBe('InvalidInput');
  expect((err as Error).message).toBe('header must be green or blue, got "canary"');
});
