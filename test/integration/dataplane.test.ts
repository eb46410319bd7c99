// The real data plane (docs/stack.md "data plane"): users' requests through Traefik follow the
// hwayo-canary HTTPRoute that setTrafficWeight writes, to stand-in processes on green's and blue's pod
// IPs that the EndpointSlice controller published. Needs: up.sh kube traefik dataplane prometheus.
//   npx jest test/integration/dataplane.test.ts --selectProjects integration --forceExit
import { createMetricActivities } from '../../src/activities/metrics';
import { evaluateSample } from '../../src/workflows/analysis';
import { runLoad, sampleLine, type Sample } from '../fixtures/dataplane/loadgen';
import { sentAt } from './gateway';
import {
  BLUE,
  deployGreen,
  GREEN,
  greenQueries,
  plan,
  planMetrics,
  shift,
  shiftAndWait,
  WINDOW_S,
} from './dataplane-control';
import { activityEnv, deleteNamespaces, eventually, kubeConfigForStack, seedBlue } from './kube-helpers';
import { stackVar } from './stack';

jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('./native-esm')>('./native-esm').kubernetesClient(),
);
jest.setTimeout(5 * 60_000);

const { admin } = kubeConfigForStack();
const prometheus = createMetricActivities(kubeConfigForStack().config);
const gateway = () => stackVar('TRAEFIK_URL');
const RPS = 100;

const greenShare = (s: Sample[]) => (100 * s.filter((x) => x.namespace === GREEN).length) / s.length;

beforeAll(async () => {
  await deleteNamespaces(admin, [GREEN]);
  await eventually(
    'old green gone',
    async () => !(await admin.core.listNamespace()).items.some((n) => n.metadata?.name === GREEN),
    120_000,
  );
  await seedBlue(admin, GREEN);
  // Weight 0 first: the release's first traffic call, which also makes green's ReferenceGrant (without
  // it Traefik has no backend for green, and deployGreen waits for Traefik's servers of green).
  await shiftAndWait(0);
  await deployGreen('2.0.0');
});
afterAll(async () => {
  await shift(0).catch(() => undefined);
  await deleteNamespaces(admin, [GREEN]);
});

test('the header route reaches green before any weight moves; default traffic stays on blue', async () => {
  await shiftAndWait(0); // weight 0: what the release's first traffic call leaves (and makes green's ReferenceGrant)
  const s = await runLoad({ url: gateway(), rps: RPS, count: 200, maxSeconds: 20, canaryShare: 0.25 });
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
    const s = (await runLoad({ url: gateway(), rps: RPS, count: 420, maxSeconds: 30 })).filter((x) => !x.canary);
    expect(s.length).toBeGreaterThanOrEqual(400);
    expect(s.filter((x) => x.status !== 200).map(sampleLine)).toEqual([]);
    const share = greenShare(s);
    rows.push(`${w}%: green ${share.toFixed(1)}% of ${s.length} (route -> gateway ${applied} ms)`);
    expect(Math.abs(share - w)).toBeLessThanOrEqual(3);
  }
  console.log(`[measure] canary steps at the gateway: ${rows.join('; ')}`);
});

test('rollback: no user request reaches green within 30 s of the shift to 0% (measured)', async () => {
  await shiftAndWait(50);
  const stop = { stopped: false };
  const load = runLoad({ url: gateway(), rps: RPS, count: RPS * 60, maxSeconds: 60, stop });
  await new Promise((r) => setTimeout(r, 3000));
  const t0 = Date.now();
  await shift(0);
  const written = Date.now();
  await new Promise((r) => setTimeout(r, 5000));
  stop.stopped = true;
  const s = await load;
  const greenAfter = s.filter((x) => x.namespace === GREEN && x.at >= t0);
  const lastGreen = greenAfter.length ? Math.max(...greenAfter.map((x) => x.at)) - t0 : 0;
  console.log(
    `[measure] rollback: route written in ${written - t0} ms; last user request answered by green ${lastGreen} ms after the shift began (${greenAfter.length} requests)`,
  );
  expect(s.filter((x) => x.at >= t0 + 30_000 && x.namespace === GREEN)).toEqual([]);
  expect(lastGreen).toBeLessThan(30_000);
  expect(s.filter((x) => sentAt(x) > t0 + lastGreen && x.namespace !== BLUE)).toEqual([]);
});

test("the data-plane plan's queries read real values for green from the gateway's and the pods' metrics while users are served", async () => {
  await shiftAndWait(25);
  await runLoad({ url: gateway(), rps: RPS, count: RPS * 12, maxSeconds: 15 });
  const readings = await activityEnv().env.run(prometheus.queryMetrics, { queries: greenQueries() });
  console.log(
    `[measure] data-plane plan on healthy green at 25%: ${readings.map((r) => ('value' in r ? `${r.name}=${r.value.toFixed(2)}` : `${r.name}: ${r.inconclusive}`)).join(', ')}`,
  );
  expect(readings.every((r) => 'value' in r)).toBe(true);
  expect(evaluateSample(planMetrics, readings, undefined, 'tick').kind).toBe('pass');
});

test("a -sick- canary at 5%: the plan's Traefik error-rate query sees it, the shift back follows, and users' failures stay within the bound", async () => {
  await shiftAndWait(0);
  await deployGreen('2.0.1-sick-30');
  const weight = 5,
    interval = plan.canary.analysisIntervalMs,
    windowS = WINDOW_S;
  const stop = { stopped: false };
  const load = runLoad({ url: gateway(), rps: RPS, count: RPS * 120, maxSeconds: 120, stop });
  const tShift = Date.now();
  await shiftAndWait(weight);
  // The workflow's analysis loop on the plan's metrics: one sample per interval; a breach (rollback) verdict -> weight
  // 0.
  let crossed = 0;
  let verdict = '';
  for (;;) {
    await new Promise((r) => setTimeout(r, interval));
    const readings = await activityEnv().env.run(prometheus.queryMetrics, { queries: greenQueries() });
    const v = evaluateSample(planMetrics, readings, undefined, 'tick');
    if (v.kind === 'breach') {
      crossed = Date.now();
      verdict = JSON.stringify(
        readings.filter((r) => 'value' in r).map((r) => [r.name, 'value' in r ? Number(r.value.toFixed(2)) : null]),
      );
      break;
    }
    if (Date.now() - tShift > 60_000) throw new Error(`no rollback verdict within 60 s: ${JSON.stringify(readings)}`);
  }
  const shiftMs = await shiftAndWait(0);
  // The pods' own metrics (scraped by pod, discovered through the apiserver) tell the same story.
  const [podErrors] = await activityEnv().env.run(prometheus.queryMetrics, {
    queries: [
      {
        name: 'pod_5xx',
        promql: `sum(increase(http_requests_total{kubernetes_namespace="${GREEN}",status="500"}[1m]))`,
      },
    ],
  });
  expect(podErrors).toMatchObject({ value: expect.any(Number) });
  expect((podErrors as { value: number }).value).toBeGreaterThan(0);
  await new Promise((r) => setTimeout(r, 3000));
  stop.stopped = true;
  const s = (await load).filter((x) => x.at >= tShift);
  const failed = s.filter((x) => x.status >= 500 || x.status === 0);
  const firstFail = Math.min(...failed.map((x) => x.at));
  const lastFail = Math.max(...failed.map((x) => x.at));
  // The bound: green's share of the rate, for the detection window + one analysis interval + the
  // time the shift takes to reach the gateway (+1 s Prometheus scrape).
  const bound = Math.ceil((weight / 100) * RPS * (windowS + interval / 1000 + shiftMs / 1000 + 1));
  console.log(
    `[measure] sick canary 5%: ${failed.length} of ${s.length} user requests failed (bound ${bound}); first to last failure ${lastFail - firstFail} ms; rollback verdict ${crossed - firstFail} ms after the first failure (${verdict}); shift to 0% reached the gateway in ${shiftMs} ms`,
  );
  expect(failed.length).toBeGreaterThan(0);
  expect(failed.filter((x) => x.namespace !== GREEN)).toEqual([]);
  expect(failed.length).toBeLessThanOrEqual(bound);
  // By when a request was sent (routing is decided then): on a busy machine an answer can take seconds.
  expect(s.filter((x) => sentAt(x) > crossed + shiftMs + 1000 && x.namespace !== BLUE)).toEqual([]);
});
