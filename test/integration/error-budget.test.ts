// The error-budget preflight check against the stack's real Prometheus and stand-in apps: a minute of blue
// answering every request passes, and the month reads 43.8 min allowed; a stand-in that answered 500s for a few
// seconds has spent a two-minute budget; no data and no Prometheus are each an inconclusive failure, never a pass.
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
const blue = stackVar('METRICS_APP_BLUE_URL');

/** Runs the check with `production` as the namespace carrying production (blue at preflight). */
const run = (check: BudgetCheck, production: string, cfg: ActivityConfig = config): Promise<CheckResult> =>
  runActivity(createPreflightActivities(cfg).runCheck, {
    check,
    context: { blueNamespace: production, greenNamespace: 'hwayo-unused' },
  }).then((r) => r.result);

afterAll(() => Promise.all([postJson(`${green}/control/reset`, {}), postJson(`${blue}/control/reset`, {})]));

test("a service that answered every request passes (none of the budget used); the default plan's 730 h allows 43.8 min", async () => {
  // Files before this one may have made blue answer 500s (runInBand order is not fixed): reset it, and read a
  // minute that begins after, until one is clean.
  await postJson(`${blue}/control/reset`, {});
  const minute: BudgetCheck = { ...seeded, window: 60_000 };
  const clean = await eventually('a clean minute of blue', 90_000, async () => {
    const r = await run(minute, plan.environments.blue);
    return r.ok ? r : undefined;
  });
  expect(clean).toMatchObject({ ok: true, data: { usedMinutes: 0, spent: false } });
  expect(clean.detail).toMatch(/^availability 100% over the last 1m \(target 99\.9%\): 0 min of the [\d.]+ min error/);
  // The month's reading is conclusive and judged by its own figures (what blue answered earlier decides it).
  const month = await run(seeded, plan.environments.blue);
  expect(month.data).toMatchObject({ allowedMinutes: 43.8 });
  expect(month.data?.inconclusive).toBeUndefined();
  expect(month.ok).toBe(!month.data?.spent);
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
