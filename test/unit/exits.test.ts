// Typed exits (exits.ts): a finish or a rollback carries what caused it, and the rollback metric's
// label is read from that type, never from the message's wording.
import { Finish, isStop, leaveOn, Rollback, type RollbackTrigger } from '../../src/workflows/exits';
import { rollbackTriggerLabel } from '../../src/workflows/sinks';

test('a finish takes its outcome and the severity of its notification from its trigger', () => {
  const cases: [Finish, string, string][] = [
    [
      new Finish({ kind: 'preflight', failed: ['nodes'] }, 'preflight failed: nodes (2 NotReady)'),
      'preflight-failed',
      'warning',
    ],
    [
      new Finish({ kind: 'approval-timeout', missing: ['qa-lead'] }, 'no decision from qa-lead within 24h'),
      'approval-timed-out',
      'warning',
    ],
    [new Finish({ kind: 'rejected', by: 'qa' }, 'rejected by qa (qa-lead)'), 'rejected', 'info'],
    [new Finish({ kind: 'abort' }, 'aborted by oncall before approval'), 'aborted', 'info'],
  ];
  for (const [finish, outcome, severity] of cases)
    expect([finish.outcome, finish.severity]).toEqual([outcome, severity]);
});

test('the metric label of every rollback trigger, whatever its message says', () => {
  const labels: [RollbackTrigger, string][] = [
    [{ kind: 'metric', stage: 'canary', weight: 5, metrics: ['error_rate'] }, 'metric-breach'],
    [{ kind: 'health-check' }, 'health-check'],
    [{ kind: 'inconclusive-metrics' }, 'inconclusive-metrics'],
    [{ kind: 'rollout-timeout' }, 'rollout-timeout'],
    [{ kind: 'manual', by: 'qa' }, 'manual'],
    [{ kind: 'manual-after-success', by: 'qa' }, 'manual-after-success'],
    [{ kind: 'abort', by: 'oncall' }, 'abort'],
    [{ kind: 'cancelled' }, 'cancelled'],
    [{ kind: 'failure' }, 'failure'],
  ];
  for (const [trigger, label] of labels) expect(rollbackTriggerLabel(trigger)).toBe(label);
  // The old text parsing took a metric named like a health check for one; the type does not.
  expect(rollbackTriggerLabel({ kind: 'metric', stage: 'canary', weight: 5, metrics: ['health check latency'] })).toBe(
    'metric-breach',
  );
});

test('leaveOn: an abort leaves as aborted, a rollback as rolled back, anything else goes on', () => {
  const trigger: RollbackTrigger = { kind: 'manual', by: 'qa' };
  const thrown = (f: () => void): unknown => {
    try {
      f();
    } catch (err) {
      return err;
    }
    return undefined;
  };
  const rolled = thrown(() =>
    leaveOn({ result: 'rollback', reason: 'manual rollback by qa: defect', trigger }, 'warning'),
  );
  expect(rolled).toBeInstanceOf(Rollback);
  expect(rolled).toMatchObject({
    trigger,
    why: 'manual rollback by qa: defect',
    outcome: 'rolled-back',
    severity: 'warning',
  });
  expect(
    thrown(() => leaveOn({ result: 'abort', reason: 'aborted by oncall', trigger: { kind: 'abort', by: 'oncall' } })),
  ).toMatchObject({ outcome: 'aborted', severity: 'critical' });
  expect(thrown(() => leaveOn({ result: 'completed' }))).toBeUndefined();
  expect(thrown(() => leaveOn({ result: 'promote' }))).toBeUndefined();
  expect(thrown(() => leaveOn(undefined))).toBeUndefined();
  expect([
    isStop({ result: 'promote' }),
    isStop(undefined),
    isStop({ result: 'abort', reason: 'aborted by oncall', trigger: { kind: 'abort', by: 'oncall' } }),
  ]).toEqual([false, false, true]);
});
