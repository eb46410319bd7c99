// The Gateway API router's ReferenceGrant for green (src/activities/traffic/routers/gateway-api/reference-grant.ts),
// against the local apiserver: the route's namespace may reference green's Service only through a grant in green's
// namespace, which setTrafficWeight makes before moving any weight, once.
import type { TrafficSpec } from '../../src/plan/types';
import { createTrafficActivities } from '../../src/activities/traffic';
import { grantName } from '../../src/activities/traffic/routers/gateway-api/reference-grant';
import { DEFAULT_PLAN_DOCUMENT } from '../../src/plan/defaults';
import { activityEnv, deleteNamespaces, kubeConfigForStack, seedBlue, uniqueNamespace } from './kube-helpers';

jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('./native-esm')>('./native-esm').kubernetesClient(),
);
jest.setTimeout(60_000);

const { config, admin } = kubeConfigForStack();
const acts = createTrafficActivities(config);
const REF = { group: 'gateway.networking.k8s.io', version: 'v1beta1', plural: 'referencegrants' };
const blue = uniqueNamespace('rg');
const green = `${blue}-green`;
afterAll(async () => {
  await deleteNamespaces(admin, [blue, green]);
});

const route: TrafficSpec = {
  ...(DEFAULT_PLAN_DOCUMENT.traffic as TrafficSpec),
  provider: 'gateway-api',
  namespace: blue,
  blueDestination: 'api-gateway.{{namespace}}.svc.cluster.local',
  greenDestination: 'api-gateway.{{namespace}}.svc.cluster.local',
  maintenanceDestination: `maintenance-page.${blue}.svc.cluster.local`,
};
const shift = (greenWeight: number) =>
  activityEnv().env.run(acts.setTrafficWeight, { route, blueNamespace: blue, greenNamespace: green, greenWeight });
/* eslint-disable-next-line @typescript-eslint/no-explicit-any -- apiserver JSON */
type Json = any;
const grants = async (): Promise<Json[]> =>
  ((await admin.custom.listNamespacedCustomObject({ ...REF, namespace: green })) as { items: Json[] }).items;

beforeAll(async () => {
  await seedBlue(admin, blue);
  await admin.core.createNamespace({ body: { metadata: { name: green } } });
});

test("gateway-api: the first shift creates green's ReferenceGrant for exactly its Service; later shifts find it and write nothing", async () => {
  expect(await grants()).toEqual([]);
  await shift(5);
  const [grant, ...more] = await grants();
  expect(more).toEqual([]);
  expect(grant.metadata.name).toBe(grantName(blue, route.name));
  expect(grant.spec).toEqual({
    from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: blue }],
    to: [{ group: '', kind: 'Service', name: 'api-gateway' }],
  });
  await shift(25);
  await shift(25);
  const [again] = await grants();
  expect(again.metadata.resourceVersion).toBe(grant.metadata.resourceVersion);
});

test('gateway-api: a grant edited so it no longer allows the backend is repaired by the next shift', async () => {
  const name = grantName(blue, route.name);
  const [grant] = await grants();
  await admin.custom.replaceNamespacedCustomObject({
    ...REF,
    namespace: green,
    name,
    body: { ...grant, spec: { ...grant.spec, to: [{ group: '', kind: 'Service', name: 'web-app' }] } },
  });
  await shift(50);
  const [repaired] = await grants();
  expect(repaired.spec.to).toEqual([{ group: '', kind: 'Service', name: 'api-gateway' }]);
});

test('gateway-api: a platform grant that already allows the route is enough (no second grant)', async () => {
  await admin.custom.deleteNamespacedCustomObject({ ...REF, namespace: green, name: grantName(blue, route.name) });
  await admin.custom.createNamespacedCustomObject({
    ...REF,
    namespace: green,
    body: {
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'platform-grant' },
      spec: {
        from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: blue }],
        to: [{ group: '', kind: 'Service' }],
      },
    },
  });
  await shift(100);
  expect((await grants()).map((g) => g.metadata.name)).toEqual(['platform-grant']);
});

test("gateway-api: with green's namespace gone, a (retried) shift back to blue still succeeds", async () => {
  await admin.core.deleteNamespace({ name: green });
  await expect(shift(0)).resolves.toMatchObject({ greenWeight: 0 });
});
