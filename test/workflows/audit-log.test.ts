import type { AppendAuditInput } from '../../src/activities/aws/audit-log';
import type { AuditLogEntry } from '../../src/workflows/audit-entries';
import { pauseUpdate, resumeUpdate } from '../../src/workflows/definitions';
import { useWorkflowEnv } from './env';
import { firingValue, type FakeWorld } from './fake-world';
import { runHistories, withRelease } from './harness';
import { defaultPlan } from '../../src/plan/load';

jest.setTimeout(120_000);
const t = useWorkflowEnv();

/** The stored log of one release, by sequence number. */
const stored = (world: FakeWorld): AuditLogEntry[] => [...world.auditLog.values()].sort((a, b) => a.seq - b.seq);
const batches = (world: FakeWorld) => world.named('appendAuditLog').map((c) => c.args as AppendAuditInput);

/** Numbered from 0 without a gap, in time order, of this release, and each written by one batch only. */
function expectWholeLog(world: FakeWorld, releaseId: string): AuditLogEntry[] {
  const log = stored(world);
  expect(log.map((e) => e.seq)).toEqual(log.map((_, i) => i));
  expect(new Set(log.map((e) => e.releaseId))).toEqual(new Set([releaseId]));
  log.slice(1).forEach((e, i) => expect(e.at >= log[i].at).toBe(true));
  const written = batches(world).flatMap((b) => b.entries.map((e) => e.seq));
  expect(written.sort((a, b) => a - b)).toEqual(log.map((e) => e.seq));
  return log;
}

const ofKind = (log: AuditLogEntry[], kind: AuditLogEntry['kind']) => log.filter((e) => e.kind === kind);

test('a whole release appends every operation once, in order: start, checks, approvals, controls, traffic, outcome', async () => {
  await withRelease(t.env, t.bundle, {}, async ({ world, handle, waitFor }) => {
    await waitFor((s) => s.greenWeight === 5 && s.window !== undefined);
    await handle.executeUpdate(pauseUpdate, { args: [{ by: 'alice', reason: 'looking at a report' }] });
    await handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob' }] }).catch(() => undefined);
    await handle.executeUpdate(resumeUpdate, { args: [{ by: 'alice' }] });
    const result = await handle.result();
    expect(result.outcome).toBe('succeeded');
    const log = expectWholeLog(world, handle.workflowId);
    expect(log[0]).toMatchObject({ kind: 'start', data: { app: 'hwayo', version: '2.4.0', imageTag: '1234-abc1234' } });
    expect(log[log.length - 1]).toMatchObject({ kind: 'outcome', data: { outcome: 'succeeded' } });
    expect(ofKind(log, 'start')).toHaveLength(1);
    expect(ofKind(log, 'outcome')).toHaveLength(1);
    // One entry per check that ran (preflight and the re-check after approval), with its verdict.
    expect(ofKind(log, 'check')).toHaveLength(world.named('runCheck').length);
    expect(ofKind(log, 'check').every((e) => e.ok)).toBe(true);
    expect(ofKind(log, 'approval').map((e) => [e.by, e.ok])).toEqual([
      ['tech-lead', true],
      ['product-manager', true],
      ['qa-lead', true],
    ]);
    expect(ofKind(log, 'control').map((e) => [e.by, e.ok, e.detail.split(':')[0]])).toEqual([
      ['alice', true, 'pause'],
      ['bob', false, 'pause'],
      ['alice', true, 'resume'],
    ]);
    expect(ofKind(log, 'traffic').map((e) => e.data?.weight)).toEqual([5, 25, 50, 100]);
    expect(ofKind(log, 'rollback')).toEqual([]);
    expect(ofKind(log, 'compensation')).toEqual([]);
    // Kinds in the release's order: the controls came during the 5% window, before the move to 25%.
    const order = log.map((e) => (e.kind === 'traffic' ? `traffic ${e.data?.weight}` : e.kind));
    expect(order.indexOf('approval')).toBeGreaterThan(order.indexOf('check'));
    expect(order.lastIndexOf('approval')).toBeLessThan(order.indexOf('traffic 5'));
    expect(order.indexOf('control')).toBeGreaterThan(order.indexOf('traffic 5'));
    expect(order.lastIndexOf('control')).toBeLessThan(order.indexOf('traffic 25'));
    // Batches at stage boundaries, not one activity per entry; the release continued as new and went on numbering.
    expect((await runHistories(t.env, handle)).length).toBeGreaterThan(1);
    expect(batches(world).length).toBeLessThanOrEqual(8);
    expect(log.length).toBeGreaterThan(batches(world).length * 3);
    expect(result.dora).toEqual({
      deployed: true,
      requestedAt: log[0].at,
      fullTrafficAt: ofKind(log, 'traffic')[3].at,
    });
  });
});

test('a rolled-back release appends the rollback, each compensation, the move back and the outcome', async () => {
  const metric = defaultPlan().metrics.find((m) => m.name === 'error_rate')!;
  let ticks = 0;
  const canary = (ctx: { weight: number }) =>
    ctx.weight === 25 && ++ticks >= 3 ? { error_rate: firingValue(metric) } : {};
  await withRelease(t.env, t.bundle, { scripts: { canary } }, async ({ world, handle }) => {
    const result = await handle.result();
    expect(result.outcome).toBe('rolled-back');
    const log = expectWholeLog(world, handle.workflowId);
    const tail = log.slice(ofKind(log, 'rollback')[0].seq);
    expect(tail.map((e) => [e.kind, e.kind === 'traffic' ? e.data?.weight : e.detail.split(':')[0]])).toEqual([
      ['rollback', tail[0].detail.split(':')[0]],
      ['traffic', 0],
      ['compensation', 'traffic-to-blue'],
      ['compensation', 'verify-blue'],
      ['compensation', 'delete-green'],
      ['outcome', 'rolled-back'],
    ]);
    expect(tail[0].detail).toContain('error_rate');
    expect(ofKind(log, 'compensation').every((e) => e.ok)).toBe(true);
    expect(ofKind(log, 'traffic').map((e) => e.data?.weight)).toEqual([5, 25, 0]);
    expect(result.dora).toEqual({
      deployed: true,
      requestedAt: log[0].at,
      failedAt: tail[0].at,
      restoredAt: tail[3].at,
    });
  });
});

test('while the audit store is down the entries wait, and a later batch writes them with the same numbers', async () => {
  let down = true;
  await withRelease(t.env, t.bundle, { scripts: { auditDown: () => down } }, async ({ world, handle, waitFor }) => {
    await waitFor((s) => s.greenWeight === 5);
    const failed = batches(world);
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(world.auditLog.size).toBe(0);
    down = false;
    const result = await handle.result();
    expect(result.outcome).toBe('succeeded');
    const log = expectHeldEntriesWritten(world, handle.workflowId, failed);
    expect(
      result.report.timeline.some((e) => e.event.includes('audit log') && e.event.includes('could not be written yet')),
    ).toBe(true);
    expect(log[0].kind).toBe('start');
  });
});

/** Every entry a failed batch held was written later, unchanged (same number, same content). */
function expectHeldEntriesWritten(world: FakeWorld, releaseId: string, failed: AppendAuditInput[]): AuditLogEntry[] {
  const log = stored(world);
  expect(log.map((e) => e.seq)).toEqual(log.map((_, i) => i));
  expect(new Set(log.map((e) => e.releaseId))).toEqual(new Set([releaseId]));
  for (const e of failed.flatMap((b) => b.entries)) expect(log[e.seq]).toEqual(e);
  return log;
}
