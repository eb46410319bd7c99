// The real data plane (docs/stack.md "data plane"): users' requests through Traefik follow the
// hwayo-canary HTTPRoute that setTrafficWeight writes, to stand-in processes on green's and blue's pod
// IPs that the EndpointSlice controller published. Needs: up.sh kube traefik dataplane prometheus.
//   npx jest test/integration/dataplane.test.ts --selectProjects integration --forceExit
import { createMetricActivities } from '../../src/activities/metrics';
import { evaluateSample } from '../../src/workflows/analysis';
import { runLoad, sampleLine, type Sample } from '../fixtures/dataplane/loadgen';
import { gatewayHeaderNamespaces, gatewayWeightOf, sentAt } from './gateway';
import { BLAST_RADIUS_FORMULA, blastRadiusBound } from './blast-radius';
import { IN_FLIGHT_MS, measureRollback } from './rollback-timeline';
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
import { deleteNamespaceAndWait, freshGreen } from './dataplane-helpers';
import { activityEnv, deleteNamespaces, eventually, kubeConfigForStack } from './kube-helpers';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stackVar } from './stack';

jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('./native-esm')>('./native-esm').kubernetesClient(),
);
jest.setTimeout(5 * 60_000);

const { admin } = kubeConfigForStack();
const prometheus = createMetricActivities(kubeConfigForStack().config);
const gateway = () => stackVar('TRAEFIK_URL');
const RPS = 100;
const SICK = '2.0.1-sick-30';

const greenShare = (s: Sample[]) => (100 * s.filter((x) => x.namespace === GREEN).length) / s.length;

beforeAll(async () => {
  await freshGreen(admin, GREEN);
  // Weight 0 with the header users on green first: it makes green's ReferenceGrant and gives Traefik a
  // backend for green (a weight-0 backend alone gets none), whose servers deployGreen waits for.
  await shiftAndWait(0, 'green');
  await deployGreen('2.0.0');
});
afterAll(async () => {
  await shift(0).catch(() => undefined);
  await deleteNamespaces(admin, [GREEN]);
});

/** Until Traefik runs the canary-header rule to `namespace` only. */
const headerAt = (namespace: string) =>
  eventually(
    `header rule to ${namespace} at the gateway`,
    async () => JSON.stringify(await gatewayHeaderNamespaces()) === JSON.stringify([namespace]),
    30_000,
  );

test('asked to, the header route reaches green before any weight moves; default traffic stays on blue', async () => {
  await shiftAndWait(0, 'green');
  await headerAt(GREEN);
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

test(`rollback: users keep going 35 s after the shift to 0%; green's last answer comes within ${IN_FLIGHT_MS} ms of the gateway applying 0%`, async () => {
  await shiftAndWait(50);
  const broken = await measureRollback({
    load: { url: gateway(), rps: RPS },
    shift: () => shift(0),
    gatewayGreenWeight: () => gatewayWeightOf(GREEN),
    blue: BLUE,
    green: GREEN,
    label: 'gateway-api',
  });
  expect(broken).toEqual([]);
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

test(`a -sick-30 canary at 5%: the plan's Traefik error-rate query sees it, the shift back follows, and users' failures stay within ${BLAST_RADIUS_FORMULA}`, async () => {
  await shiftAndWait(0, 'green');
  await deployGreen(SICK);
  const weight = 5,
    interval = plan.canary.analysisIntervalMs,
    windowS = WINDOW_S;
  const stop = { stopped: false };
  const load = runLoad({ url: gateway(), rps: RPS, count: RPS * 120, maxSeconds: 120, stop });
  const tShift = Date.now();
  const shiftInMs = await shiftAndWait(weight);
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
  // Exposure: from the shift to 5% until the gateway applied 0%, +1 s for answers in flight; it ended within
  // the detection window + one analysis interval + a Prometheus scrape of green getting users, + the shift back.
  const exposureS = (crossed + shiftMs - tShift) / 1000 + 1;
  expect(crossed - tShift).toBeLessThanOrEqual((windowS + interval / 1000 + 1) * 1000 + shiftInMs);
  const bound = blastRadiusBound({ tag: SICK, weight, rps: RPS, exposureS });
  console.log(
    `[measure] sick canary 5%: ${failed.length} of ${s.length} user requests failed (bound ${bound}); first to last failure ${lastFail - firstFail} ms; rollback verdict ${crossed - firstFail} ms after the first failure (${verdict}); shift to 0% reached the gateway in ${shiftMs} ms`,
  );
  expect(failed.length).toBeGreaterThan(0);
  expect(failed.filter((x) => x.namespace !== GREEN)).toEqual([]);
  expect(failed.length).toBeLessThanOrEqual(bound);
  // By when a request was sent (routing is decided then): on a busy machine an answer can take seconds.
  expect(s.filter((x) => sentAt(x) > crossed + shiftMs + 1000 && x.namespace !== BLUE)).toEqual([]);
});

/** Ms until Traefik applies `w` to green (polled every 20 ms), or -1 after `withinMs`. */
async function msUntilGatewayAt(w: number, withinMs: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 <= withinMs) {
    if ((await gatewayWeightOf(GREEN)) === w) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 20));
  }
  return -1;
}

test("a traffic move returns only once the gateway reports the route's generation: with Traefik stopped (SIGSTOP) it waits; on SIGCONT it returns, and Traefik runs the weight within its providers' throttle (2 s) + 1 s", async () => {
  await shiftAndWait(0);
  const pid = Number(
    readFileSync(
      join(process.env.HWAYO_STACK_DIR ?? join(__dirname, '..', '..', '.stack'), 'pids', 'traefik.pid'),
      'utf8',
    ).trim(),
  );
  let returnedAt = 0;
  let resumedAt = 0;
  process.kill(pid, 'SIGSTOP');
  try {
    const move = shift(30).then(() => (returnedAt = Date.now()));
    await new Promise((r) => setTimeout(r, 4000));
    expect(returnedAt).toBe(0);
    resumedAt = Date.now();
    process.kill(pid, 'SIGCONT');
    await move;
  } finally {
    if (!resumedAt) process.kill(pid, 'SIGCONT');
  }
  // Traefik writes the route's status as it builds its configuration, and runs it once its configuration watcher
  // takes it: at most one new configuration per provider every providersThrottleDuration (2 s by default).
  const at30 = await msUntilGatewayAt(30, 3000);
  await shift(0);
  const at0 = await msUntilGatewayAt(0, 3000);
  console.log(
    `[measure] move to 30% returned ${returnedAt - resumedAt} ms after Traefik resumed, running ${at30} ms later; ` +
      `back to 0% running ${at0} ms after its move returned`,
  );
  expect({ at30: at30 >= 0, at0: at0 >= 0 }).toEqual({ at30: true, at0: true });
});

test('after a rollback deletes green, header users get blue at the gateway: none fail', async () => {
  await shiftAndWait(0);
  await headerAt(BLUE);
  await deleteNamespaceAndWait(admin, GREEN);
  const s = await runLoad({ url: gateway(), rps: RPS, count: 400, maxSeconds: 20, canaryShare: 0.5 });
  expect(s.filter((x) => x.canary)).toHaveLength(200);
  expect(s.filter((x) => !(x.status === 200 && x.namespace === BLUE)).map(sampleLine)).toEqual([]);
});
