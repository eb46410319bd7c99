import { auditLogSummary, historySummary } from '../../src/client/audit-summary';
import type { AuditLogEntry } from '../../src/workflows/audit-entries';

const e = (seq: number, kind: AuditLogEntry['kind'], detail = '', ok?: boolean): AuditLogEntry => ({
  releaseId: 'r',
  seq,
  at: `2026-12-06T01:0${seq}:00.000Z`,
  kind,
  detail,
  ...(ok === undefined ? {} : { ok }),
});

test('a whole log: its span, counts by kind, the outcome and one line per entry in order', () => {
  const entries = [e(0, 'start', 'requested'), e(1, 'check', 'nodes: ok', true), e(2, 'outcome', 'succeeded')];
  const { lines, complete } = auditLogSummary('r', 'b', { entries, tampered: [] });
  expect(complete).toBe(true);
  expect(lines.slice(0, 4)).toEqual([
    'Audit log: s3://b/audit/r/ (Object Lock, COMPLIANCE)',
    '  3 entries, 2026-12-06T01:00:00.000Z .. 2026-12-06T01:02:00.000Z: complete, numbered 0..2 without a gap',
    '  start 1, check 1, outcome 1',
    '  outcome: succeeded',
  ]);
  expect(lines.slice(4).map((l) => l.trim().split(' ')[0])).toEqual(['0', '1', '2']);
});

test('a gap or a replaced entry makes the log not whole, and says which', () => {
  const gap = auditLogSummary('r', 'b', { entries: [e(0, 'start'), e(2, 'outcome')], tampered: [] });
  expect(gap.complete).toBe(false);
  expect(gap.lines[1]).toContain('INCOMPLETE: entries 1..1 are missing');
  const tampered = auditLogSummary('r', 'b', { entries: [e(0, 'start'), e(1, 'outcome')], tampered: ['audit/r/1'] });
  expect(tampered.complete).toBe(false);
  expect(tampered.lines.join('\n')).toContain('WARNING: replaced or deleted');
});

test('the history summary: runs, events, activities, signals and updates', () => {
  const t = (s: number) => ({ seconds: 1_796_000_000 + s, nanos: 0 });
  const run1 = [
    { eventTime: t(0), workflowExecutionStartedEventAttributes: {} },
    { eventTime: t(1), activityTaskScheduledEventAttributes: { activityType: { name: 'runCheck' } } },
    { eventTime: t(2), activityTaskScheduledEventAttributes: { activityType: { name: 'runCheck' } } },
    { eventTime: t(3), workflowExecutionSignaledEventAttributes: { signalName: 'approve' } },
    { eventTime: t(4), workflowExecutionContinuedAsNewEventAttributes: { newExecutionRunId: 'b' } },
  ];
  const run2 = [
    { eventTime: t(5), activityTaskScheduledEventAttributes: { activityType: { name: 'appendAuditLog' } } },
    { eventTime: t(6), workflowExecutionCompletedEventAttributes: {} },
  ];
  expect(historySummary([run1, run2] as never)).toEqual([
    `History (Temporal): 2 run(s), 7 events (5 + 2), ${new Date(1_796_000_000_000).toISOString()} .. ${new Date(1_796_000_006_000).toISOString()}`,
    '  last event: workflowExecutionCompleted',
    '  activities: runCheck 2, appendAuditLog 1',
    '  signals: approve 1; updates: none',
  ]);
});
