// SEED section 11's baselines in the default plan: each API's p95 under its bound at the end of every
// watch, and the SLA's 0.1% error rate at the end of the full switch only (a canary answers to 1%).
import { useWorkflowEnv } from './env';
import { withRelease } from './harness';

jest.setTimeout(120_000);
const t = useWorkflowEnv();

const queriedNames = (calls: { args: unknown }[]): string[] =>
  calls.flatMap((c) => (c.args as { queries: { name: string }[] }).queries.map((q) => q.name));

test('0.3% errors pass every canary window and roll back the full switch (SLA 0.1%)', async () => {
  await withRelease(
    t.env,
    t.bundle,
    { scripts: { canary: () => ({ error_rate: 0.3, error_rate_sla: 0.3 }) } },
    async ({ handle, world }) => {
      const result = await handle.result();
      expect(result.outcome).toBe('rolled-back');
      expect(result.reason).toContain('error_rate_sla 0.3 > 0.1 (healthy maximum)');
      expect(result.weights).toEqual([5, 25, 50, 100, 0]);
      const canary = result.report.analyses.filter((a) => a.stage === 'canary');
      expect(canary.length).toBeGreaterThan(0);
      expect(canary.every((a) => a.verdict === 'pass')).toBe(true);
      expect(canary.flatMap((a) => a.readings.map((r) => r.name))).not.toContain('error_rate_sla');
      const full = result.report.analyses.filter((a) => a.stage === 'full-switch');
      expect(full.at(-1)).toMatchObject({ kind: 'window-end', verdict: 'unhealthy' });
      expect(full.at(-1)!.readings.map((r) => r.name)).toContain('error_rate_sla');
      expect(queriedNames(world.named('queryMetrics'))).toContain('login_p95');
    },
  );
});

test.each([
  ['login_p95', 0.6, 0.5],
  ['data_records_p95', 1.2, 1],
  ['report_generation_p95', 31, 30],
])('%s of %d s at the 5%% canary rolls back at the end of the window (baseline %d s)', async (metric, value, max) => {
  await withRelease(
    t.env,
    t.bundle,
    { scripts: { canary: (ctx) => (ctx.weight === 5 ? { [metric]: value } : {}) } },
    async ({ handle }) => {
      const result = await handle.result();
      expect(result.outcome).toBe('rolled-back');
      expect(result.reason).toBe(`canary at 5%: ${metric} ${value} > ${max} (healthy maximum)`);
      expect(result.weights).toEqual([5, 0]);
    },
  );
});

test('a healthy release passes the baselines and finishes', async () => {
  await withRelease(t.env, t.bundle, {}, async ({ handle }) => {
    const result = await handle.result();
    expect(result.outcome).toBe('succeeded');
    const full = result.report.analyses.filter((a) => a.stage === 'full-switch' && a.kind === 'window-end');
    expect(full.at(-1)!.readings.map((r) => r.name)).toEqual(
      expect.arrayContaining(['login_p95', 'data_records_p95', 'report_generation_p95', 'error_rate_sla']),
    );
  });
});
