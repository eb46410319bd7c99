// The error-budget preflight check against the stack's real Prometheus and stand-in apps: the seeded stack passes
// the default plan's 99.9% a month; a stand-in that answered 500s for a few seconds has spent a two-minute budget;
// no data and no Prometheus are each an inconclusive failure, never a pass.
import { createPreflightActivities } from '../../src/activities/preflight';
import type { ActivityConfig } from '../../src/activities/config';
import type { CheckResult } from '../../src/activities/contract';
import { defaultPlan } from '../../src/plan/load';
import type { PreflightCheck } from '../../src/plan/types';
import { eventually, postJson, runActivity } from './activity-env';
import { stackConfig, stackVar } from './stack';

// preflight/index.ts reaches kubernetes/ (ESM-only client) for other kinds; Jest loads it natively.
jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('./native-esm')>('./native-esm').kubernetesClient(),
);
jest.setTimeout(60_000);

type BudgetCheck = Extract<PreflightCheck, { kind: 'error-budget' }>;
const config = stackConfig();
const plan = defaultPlan();
const seeded = plan.preflight.checks.find((c) => c.kind === 'error-budget') as BudgetCheck;
const green = stackVar('METRICS_APP_GREEN_URL');

/** Runs the check with `production` as the namespace carrying production (blue at preflight). */
const run = (check: BudgetCheck, production: string, cfg: ActivityConfig = config): Promise<CheckResult> =>
  runActivity(createPreflightActivities(cfg).runCheck, {
    check,
    context: { blueNamespace: production, greenNamespace: 'hwayo-unused' },
  }).then((r) => r.result);

afterAll(() => postJson(`${green}/control/reset`, {}));

test('the seeded stack passes the default plan: 100% over 730 h, none of the 43.8 min used', async () => {
  // increase() needs two scrapes of the counters; the stack may have just started.
  const result = await eventually('a reading of blue', 30_000, async () => {
    const r = await run(seeded, plan.environments.blue);
    return r.data?.inconclusive ? undefined : r;
  });
  expect(result).toMatchObject({
    ok: true,
    detail: 'availability 100% over the last 730h (target 99.9%): 0 min of the 43.8 min error budget used',
    data: { allowedMinutes: 43.8, usedMinutes: 0, spent: false },
  });
});

test('a service that failed every request for a few seconds has spent a two-minute budget; a healthy one has not', async () => {
  const short: BudgetCheck = { ...seeded, window: 120_000 };
  // Green's stand-in plays production here: blue must stay at 100% for the other Prometheus tests.
  await postJson(`${green}/control`, { errorRate: 1 });
  try {
    const spent = await eventually('the 500s scraped', 20_000, async () => {
      const r = await run(short, plan.environments.green);
      return !r.ok && !r.data?.inconclusive ? r : undefined;
    });
    expect(spent.detail).toMatch(
      /^error budget spent: availability \d+(\.\d+)?% over the last 2m \(target 99\.9%\): [\d.]+ min of the 0\.002 min error budget used \(query: 1 - \(\(sum\(increase\(http_requests_total\{namespace="hwayo-production-green",status=~"5\.\."\}\[120s\]\)\)/,
    );
    expect(spent.data).toMatchObject({ spent: true, allowedMinutes: 0.002 });
    expect(spent.data?.usedMinutes).toBeGreaterThan(0.002);
  } finally {
    await postJson(`${green}/control/reset`, {});
  }
  // The same two minutes of blue, which answered every request.
  expect(await run(short, plan.environments.blue)).toMatchObject({ ok: true, data: { usedMinutes: 0 } });
});

test('no series and no Prometheus are inconclusive failures naming the reason', async () => {
  expect(await run(seeded, 'nobody-serves-here')).toMatchObject({
    ok: false,
    detail: expect.stringMatching(/^error budget inconclusive \(empty-result\): the query matched no series/),
    data: { inconclusive: 'empty-result' },
  });
  const down = { ...config, prometheus: { url: 'http://127.0.0.1:19997', timeoutMs: 2000 } };
  expect(await run(seeded, plan.environments.blue, down)).toMatchObject({
    ok: false,
    detail: expect.stringMatching(
      /^error budget inconclusive \(unreachable\): Prometheus at http:\/\/127\.0\.0\.1:19997/,
    ),
    data: { inconclusive: 'unreachable' },
  });
});
