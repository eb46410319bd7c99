// SEED section 9 "After" (patch smoke-stage): after the full switch's final checks, every endpoint of
// the plan is called through the gateway once; all answering as expected lets the release finish and
// the report lists each result, one wrong answer rolls back with the endpoint named.
import { defaultPlan } from '../../src/plan/load';
import { useWorkflowEnv } from './env';
import { withRelease } from './harness';

jest.setTimeout(120_000);
const t = useWorkflowEnv();
const ENDPOINTS = ['login', 'data-submission', 'report-generation', 'notifications', 'customer-portal', 'audit-log'];

test("the default plan lists the seed's six endpoints through the public host", () => {
  const smoke = defaultPlan().smoke!;
  expect(smoke.url).toBe('https://hwayo.com');
  expect(smoke.endpoints.map((e) => e.name)).toEqual(ENDPOINTS);
  expect(smoke.endpoints.every((e) => e.expectStatus === 200)).toBe(true);
});

test('every endpoint answering as expected: one smoke call after the final health check, each result in the report', async () => {
  await withRelease(t.env, t.bundle, {}, async ({ handle, world }) => {
    const result = await handle.result();
    expect(result.outcome).toBe('succeeded');
    const calls = world.named('smokeTest');
    expect(calls).toHaveLength(1);
    const names = world.sequence();
    // After the weight went to 100 and before blue's backup (retention).
    expect(names.indexOf('smokeTest')).toBeGreaterThan(names.lastIndexOf('setTrafficWeight'));
    expect(names.indexOf('smokeTest')).toBeLessThan(names.indexOf('backupNamespace'));
    const lines = result.report.timeline.map((e) => e.event).filter((e) => e.startsWith('smoke '));
    expect(lines).toEqual([
      ...ENDPOINTS.map((n) => expect.stringMatching(new RegExp(`^smoke ${n}: ok, (GET|POST) /\\S+ answered 200`))),
      'smoke test passed: 6 endpoints answered as expected',
    ]);
  });
});

test('a failing endpoint rolls back, naming it, and blue takes the traffic again', async () => {
  await withRelease(
    t.env,
    t.bundle,
    { scripts: { smoke: { 'report-generation': 500, 'audit-log': 0 } } },
    async ({ handle }) => {
      const result = await handle.result();
      expect(result.outcome).toBe('rolled-back');
      expect(result.reason).toBe(
        'smoke test failed: report-generation: POST /report/generate answered 500, expected 200; ' +
          'audit-log: GET /api/v1/audit-log no answer, expected 200',
      );
      expect(result.weights).toEqual([5, 25, 50, 100, 0]);
      expect(result.report.compensations).toEqual(['traffic-to-blue', 'verify-blue', 'delete-green']);
      const lines = result.report.timeline.map((e) => e.event).filter((e) => e.startsWith('smoke '));
      expect(lines).toHaveLength(6);
      expect(lines.filter((l) => l.includes('FAILED'))).toHaveLength(2);
    },
  );
});

test('a plan with no smoke endpoints makes no smoke call', async () => {
  await withRelease(
    t.env,
    t.bundle,
    { plan: (p) => (p.smoke = { ...p.smoke!, endpoints: [] }) },
    async ({ handle, world }) => {
      expect((await handle.result()).outcome).toBe('succeeded');
      expect(world.named('smokeTest')).toHaveLength(0);
    },
  );
});
