// The Traefik router (traffic.provider: traefik) end to end: setTrafficWeight writes the weighted
// TraefikService hwayo-gateway/hwayo-canary and the header route of its IngressRoute (host
// traefik.hwayo.com, scripts/stack/kube-fixtures/routes.yaml); the same Traefik process that serves the
// HTTPRoute reads them through its kubernetesCRD provider and sends users' requests to the stand-ins on
// blue's and green's pod IPs. Needs: up.sh kube traefik dataplane.
//   npx jest test/integration/traefik-router.test.ts --selectProjects integration --forceExit
import type { TrafficSpec } from '../../src/plan/types';
import { DEFAULT_PLAN_DOCUMENT } from '../../src/plan/defaults';
import { runLoad, sampleLine, type Sample } from '../fixtures/dataplane/loadgen';
import { deleteNamespaceAndWait, deployGreenImage, freshGreen, readyServers } from './dataplane-helpers';
import { shifter } from './dataplane-control';
import { IN_FLIGHT_MS, measureRollback } from './rollback-timeline';
import { deleteNamespaces, eventually, kubeConfigForStack } from './kube-helpers';
import { stackVar } from './stack';

jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('./native-esm')>('./native-esm').kubernetesClient(),
);
jest.setTimeout(5 * 60_000);

const BLUE = 'hwayo-production';
const GREEN = 'hwayo-production-green';
const HOST = 'traefik.hwayo.com';
const { admin } = kubeConfigForStack();
const route: TrafficSpec = { ...(DEFAULT_PLAN_DOCUMENT.traffic as TrafficSpec), provider: 'traefik' };
const shift = shifter(route);
const load = (o: { count: number; maxSeconds: number; canaryShare?: number; stop?: { stopped: boolean } }) =>
  runLoad({ url: stackVar('TRAEFIK_URL'), host: HOST, rps: RPS, ...o });
const RPS = 100;

/* eslint-disable @typescript-eslint/no-explicit-any -- Traefik's API JSON */
const traefikApi = async (path: string): Promise<any[]> =>
  (await fetch(`${stackVar('TRAEFIK_API_URL')}/api/http/${path}`)).json() as Promise<any[]>;

/**
 * Green's weight in the TraefikService as Traefik runs it (its API): a measurement starts once the gateway has the
 * edit.
 */
async function gatewayGreenWeight(): Promise<number | undefined> {
  const svc = (await traefikApi('services')).find((s) => s.name === 'hwayo-gateway-hwayo-canary@kubernetescrd');
  if (!svc?.weighted) return undefined;
  return svc.weighted.services.find((x: any) => x.name.startsWith(`${GREEN}-api-gateway-`))?.weight ?? 0;
}
/**
 * Traefik runs the IngressRoute's header route to `namespace`'s ready endpoints (it drops the route while
 * the Service does not exist).
 */
async function headerRouteTo(namespace: string): Promise<boolean> {
  const header = (await traefikApi('routers')).find(
    (r) => r.provider === 'kubernetescrd' && r.rule.includes(HOST) && r.rule.includes('Header(`canary`, `true`)'),
  );
  if (header?.status !== 'enabled') return false;
  const svc = (await traefikApi('services')).find((s) => s.name === `${header.service}@kubernetescrd`);
  const servers: string[] = (svc?.loadBalancer?.servers ?? []).map((x: any) => x.url);
  return servers.length > 0 && servers.sort().join() === (await readyServers(admin, namespace)).join();
}
async function shiftAndWait(w: number, header?: 'green' | 'blue'): Promise<number> {
  const t0 = Date.now();
  await shift(w, header);
  await eventually(`gateway at ${w}%`, async () => (await gatewayGreenWeight()) === w, 30_000);
  return Date.now() - t0;
}

const greenShare = (s: Sample[]) => (100 * s.filter((x) => x.namespace === GREEN).length) / s.length;

beforeAll(async () => {
  await freshGreen(admin, GREEN);
  await deployGreenImage(admin, GREEN, '2.0.0');
});
afterAll(async () => {
  await shift(0).catch(() => undefined);
  await deleteNamespaces(admin, [GREEN]);
});

test('asked to, the canary-header route reaches green before any weight moves; default traffic stays on blue', async () => {
  await shiftAndWait(0, 'green');
  await eventually('header route to green at the gateway', () => headerRouteTo(GREEN), 30_000);
  const s = await load({ count: 200, maxSeconds: 20, canaryShare: 0.25 });
  const header = s.filter((x) => x.canary);
  const plain = s.filter((x) => !x.canary);
  expect(header.length).toBe(50);
  expect(
    header.filter((x) => !(x.status === 200 && x.namespace === GREEN && x.version === '2.0.0')).map(sampleLine),
  ).toEqual([]);
  expect(plain.filter((x) => !(x.status === 200 && x.namespace === BLUE)).map(sampleLine)).toEqual([]);
});

test('each canary step: the share of users answered by green is the step weight within 3 points (>= 400 requests a step)', async () => {
  const rows: string[] = [];
  for (const w of [5, 25, 50, 100]) {
    const applied = await shiftAndWait(w);
    const s = await load({ count: 420, maxSeconds: 30 });
    expect(s.length).toBeGreaterThanOrEqual(400);
    expect(s.filter((x) => x.status !== 200).map(sampleLine)).toEqual([]);
    const share = greenShare(s);
    rows.push(`${w}%: green ${share.toFixed(1)}% of ${s.length} (route -> gateway ${applied} ms)`);
    expect(Math.abs(share - w)).toBeLessThanOrEqual(3);
  }
  console.log(`[measure] traefik router canary steps at the gateway: ${rows.join('; ')}`);
});

test(`rollback: users keep going 35 s after the shift to 0%; green's last answer comes within ${IN_FLIGHT_MS} ms of the gateway applying 0%`, async () => {
  await shiftAndWait(50);
  const broken = await measureRollback({
    load: { url: stackVar('TRAEFIK_URL'), host: HOST, rps: RPS },
    shift: () => shift(0),
    gatewayGreenWeight,
    blue: BLUE,
    green: GREEN,
    label: 'traefik router',
  });
  expect(broken).toEqual([]);
});

test('after a rollback deletes green, header users get blue at the gateway: none fail', async () => {
  await shiftAndWait(0);
  await eventually('header route to blue at the gateway', () => headerRouteTo(BLUE), 30_000);
  await deleteNamespaceAndWait(admin, GREEN);
  const s = await load({ count: 400, maxSeconds: 20, canaryShare: 0.5 });
  expect(s.filter((x) => x.canary)).toHaveLength(200);
  expect(s.filter((x) => !(x.status === 200 && x.namespace === BLUE)).map(sampleLine)).toEqual([]);
});
