// Incident response rules (incident-rules.ts) and rollback budgets (rollback-budget.ts), pure.
import {
  incidentSchedule,
  incidentSeverity,
  nextIncidentEvent,
  onCallAt,
  rollbackCategory,
  rollbackReasonProblem,
  type IncidentCause,
} from '../../src/workflows/incident-rules';
import { requestedAtMs, rollbackRecord } from '../../src/workflows/rollback-budget';
import { incidentImpact } from '../../src/workflows/open-incident';

const MIN = 60_000;
const metric = (...metrics: string[]): IncidentCause['rollback'] => ({ trigger: 'metric', metrics });

test.each<[string, IncidentCause, string | undefined]>([
  ['the emergency path, recovered', { outcome: 'emergency-recovered' }, 'critical'],
  ['the emergency path, failed', { outcome: 'emergency-failed', rollback: { trigger: 'manual' } }, 'critical'],
  [
    'users failing above the bound (error rate)',
    { outcome: 'rolled-back', rollback: metric('error_rate') },
    'critical',
  ],
  [
    'users failing above the bound (login success)',
    { outcome: 'rolled-back', rollback: metric('login_success') },
    'critical',
  ],
  ['an automatic rollback on latency', { outcome: 'rolled-back', rollback: metric('p95_latency', 'cpu') }, 'high'],
  ['an automatic rollback on health', { outcome: 'rolled-back', rollback: { trigger: 'health-check' } }, 'high'],
  ['green never ready', { outcome: 'failed', rollback: { trigger: 'rollout-timeout' } }, 'high'],
  ['a manual rollback', { outcome: 'rolled-back', rollback: { trigger: 'manual' } }, 'medium'],
  [
    'a rollback in retention',
    { outcome: 'rolled-back-after-success', rollback: { trigger: 'manual-after-success' } },
    'medium',
  ],
  ['a release its checks refused', { outcome: 'preflight-failed' }, 'low'],
  ['an abort', { outcome: 'rolled-back', rollback: { trigger: 'abort' } }, undefined],
  ['a cancellation', { outcome: 'cancelled', rollback: { trigger: 'cancelled' } }, undefined],
  ['a success', { outcome: 'succeeded' }, undefined],
  ['a rejection', { outcome: 'rejected' }, undefined],
])('severity: %s', (_what, cause, severity) => {
  expect(incidentSeverity(cause)).toBe(severity);
});

test('an unacknowledged critical incident escalates every 15 minutes, between the 30-minute updates', () => {
  const events = incidentSchedule('critical', 0, 60 * MIN);
  expect(events.map((e) => [e.kind, e.atMs / MIN])).toEqual([
    ['escalate', 15],
    ['escalate', 30],
    ['update', 30],
    ['escalate', 45],
    ['escalate', 60],
    ['update', 60],
  ]);
});

test('each severity escalates after its response target: high 1 h, medium 4 h, low 24 h', () => {
  const firstEscalation = (s: 'high' | 'medium' | 'low') =>
    incidentSchedule(s, 0, 25 * 60 * MIN).find((e) => e.kind === 'escalate')!.atMs / MIN;
  expect([firstEscalation('high'), firstEscalation('medium'), firstEscalation('low')]).toEqual([60, 240, 1440]);
});

test('once taken, an incident no longer escalates; the updates go on every 30 minutes', () => {
  const events = incidentSchedule('critical', 0, 3 * 60 * MIN, 20 * MIN);
  expect(events.filter((e) => e.kind === 'escalate').map((e) => e.atMs / MIN)).toEqual([15]);
  expect(events.filter((e) => e.kind === 'update').map((e) => e.atMs / MIN)).toEqual([30, 60, 90, 120, 150, 180]);
  expect(nextIncidentEvent({ severity: 'low', openedMs: 0, acknowledgedMs: 1, escalations: 0, updates: 6 })).toEqual({
    kind: 'update',
    atMs: 210 * MIN,
  });
});

test('escalation reaches the next on-call and stays with the last', () => {
  const onCall = ['a@x.io', 'b@x.io', 'c@x.io'];
  expect([0, 1, 2, 3, 9].map((l) => onCallAt(onCall, l))).toEqual(['a@x.io', 'b@x.io', 'c@x.io', 'c@x.io', 'c@x.io']);
  expect(onCallAt(['only@x.io'], 4)).toBe('only@x.io');
});

test('a rollback reason starts with a category', () => {
  expect(rollbackCategory('security: leaked key')).toBe('security');
  expect(rollbackCategory('errors:5xx')).toBe('errors');
  for (const bad of [undefined, '', 'errors', 'errors: ', 'customer complaints', 'Errors: x', 'perf: slow'])
    expect(rollbackReasonProblem(bad)).toMatch(/must start with its category \(errors, latency, business/);
  expect(rollbackReasonProblem('business: refunds failing')).toBeUndefined();
});

test('a rollback is stated against its budget: automatic 5 min, manual 10 min', () => {
  const auto = rollbackRecord({ kind: 'health-check' }, 0, 5 * MIN);
  expect(auto).toMatchObject({ kind: 'automatic', budgetMs: 5 * MIN, durationMs: 5 * MIN, withinBudget: true });
  expect(rollbackRecord({ kind: 'health-check' }, 0, 5 * MIN + 1).withinBudget).toBe(false);
  const manual = rollbackRecord({ kind: 'manual', by: 'oncall' }, 0, 7 * MIN);
  expect(manual).toMatchObject({ kind: 'manual', budgetMs: 10 * MIN, withinBudget: true });
  expect(rollbackRecord({ kind: 'manual-after-success', by: 'x' }, 0, 11 * MIN).withinBudget).toBe(false);
});

test("a manual rollback's budget counts from the accepted request, an automatic one from the release's decision", () => {
  const audit = [
    { at: '2026-12-06T10:00:00.000Z', action: 'rollback', accepted: false },
    { at: '2026-12-06T10:01:00.000Z', action: 'rollback', accepted: true },
    { at: '2026-12-06T10:02:00.000Z', action: 'pause', accepted: true },
  ];
  expect(requestedAtMs({ kind: 'manual', by: 'oncall' }, audit)).toBe(Date.parse('2026-12-06T10:01:00.000Z'));
  expect(requestedAtMs({ kind: 'health-check' }, audit)).toBeUndefined();
  expect(requestedAtMs({ kind: 'abort', by: 'x' }, audit)).toBeUndefined();
});

test('impact: minutes from the first failing reading to the end of the rollback, failed requests not counted', () => {
  const analysis = (at: string, verdict: 'pass' | 'breach', value: number) => ({
    at,
    stage: 'canary' as const,
    weight: 25,
    kind: 'tick' as const,
    readings: [{ name: 'error_rate', value }],
    verdict,
    detail: '',
  });
  const rollback = rollbackRecord({ kind: 'metric', stage: 'canary', weight: 25, metrics: ['error_rate'] }, 0, 0);
  rollback.finishedAt = '2026-12-06T10:07:30.000Z';
  const impact = incidentImpact(
    [analysis('2026-12-06T10:00:00.000Z', 'pass', 0.2), analysis('2026-12-06T10:01:00.000Z', 'breach', 12.5)],
    [rollback],
    0,
  );
  expect(impact).toEqual({
    minutesDegraded: 7,
    requestsFailed: null,
    detail: "peak error rate 12.5% of the measured side's requests, at green weight 25%",
  });
});
