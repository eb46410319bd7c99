// What a release does with a firing alert: the payload checked, green's namespace and the release matched, the
// platform policy's list the only permission, and a live canary (stage canary, traffic on green) the only time.
import {
  alertAuditDetail,
  alertDecision,
  alertSignalProblem,
  type AlertContext,
} from '../../src/workflows/alert-rules';
import { parsePolicy } from '../../src/policy/schema';
import { platformPeople, seedPolicy } from './policy-fixture';

const ctx: AlertContext = {
  releaseId: 'release-hwayo-2.4.0',
  green: 'hwayo-production-green',
  stage: 'canary',
  greenWeight: 25,
  rollbackOnAlerts: ['HighErrorRate'],
};
const alert = {
  alertname: 'HighErrorRate',
  labels: { alertname: 'HighErrorRate', namespace: 'hwayo-production-green', severity: 'critical' },
  startsAt: '2026-12-06T08:00:00.123Z',
};

test('a permitted alert for green during a live canary rolls back, naming the alert', () => {
  expect(alertDecision(alert, ctx)).toEqual({
    act: 'rollback',
    stop: {
      result: 'rollback',
      reason: 'canary at 25%: alert HighErrorRate firing for hwayo-production-green since 2026-12-06T08:00:00.123Z',
      trigger: { kind: 'alert', alertname: 'HighErrorRate' },
    },
  });
  const named = { ...alert, labels: { ...alert.labels, release: ctx.releaseId } };
  expect(alertDecision(named, ctx).act).toBe('rollback');
});

test.each<[string, unknown, Partial<AlertContext>, string]>([
  [
    'another namespace',
    { ...alert, labels: { namespace: 'hwayo-production' } },
    {},
    'namespace hwayo-production is not green',
  ],
  ['no namespace', { ...alert, labels: {} }, {}, 'namespace (none) is not green'],
  ['another release', { ...alert, labels: { ...alert.labels, release: 'other' } }, {}, 'release other is not this'],
  [
    'an alert the policy does not list',
    { ...alert, alertname: 'HighCPUUsage' },
    {},
    'does not roll back on HighCPUUsage',
  ],
  ['no policy', alert, { rollbackOnAlerts: undefined }, 'no platform policy names alerts'],
  [
    'the alert naming itself permitted',
    { ...alert, labels: { ...alert.labels, rollback: 'true' } },
    { rollbackOnAlerts: [] },
    'does not roll back',
  ],
  [
    'before the canary',
    alert,
    { stage: 'awaiting-approval', greenWeight: 0 },
    'no live canary (stage awaiting-approval',
  ],
  ['at 0% in the canary', alert, { greenWeight: 0 }, 'no live canary'],
  ['in the full switch', alert, { stage: 'full-switch', greenWeight: 100 }, 'no live canary (stage full-switch'],
  ['in retention', alert, { stage: 'retention', greenWeight: 100 }, 'no live canary'],
])('%s: ignored, saying why', (_what, payload, over, why) => {
  const d = alertDecision(payload, { ...ctx, ...over });
  expect(d.act).toBe('ignore');
  expect(d.act === 'ignore' && d.why).toContain(why);
});

test.each<[string, unknown, string]>([
  ['null', null, 'not an object'],
  ['a list', [alert], 'not an object'],
  ['a bad name', { ...alert, alertname: 'a b' }, 'alertname'],
  ['labels as a list', { ...alert, labels: [] }, 'labels is not an object'],
  ['a number label', { ...alert, labels: { namespace: 3 } }, 'label namespace is not a string'],
  ['a long label', { ...alert, labels: { namespace: 'x'.repeat(1025) } }, 'label namespace'],
  ['a bad label name', { ...alert, labels: { 'a-b': 'x' } }, 'is not a label name'],
  [
    'too many labels',
    { ...alert, labels: Object.fromEntries([...Array(65)].map((_, i) => [`l${i}`, 'x'])) },
    'more than 64',
  ],
  ['no startsAt', { ...alert, startsAt: undefined }, 'startsAt'],
  ['a date without time', { ...alert, startsAt: '2026-12-06' }, 'startsAt'],
])('a payload with %s is invalid and ignored', (_what, payload, problem) => {
  expect(alertSignalProblem(payload)).toContain(problem);
  const d = alertDecision(payload, ctx);
  expect(d).toEqual({ act: 'ignore', why: expect.stringContaining('invalid alert') });
  expect(alertAuditDetail(payload, d)).toMatch(/^alert ignored: invalid alert/);
});

test('the audit line names the alert, its namespace and start, and the action', () => {
  expect(alertAuditDetail(alert, alertDecision(alert, ctx))).toBe(
    'HighErrorRate (namespace hwayo-production-green, since 2026-12-06T08:00:00.123Z): rolling back',
  );
});

test('the policy lists alert names; a name that is no alert name is refused', () => {
  const doc = seedPolicy(platformPeople().keys);
  expect(parsePolicy(doc).policy?.environments[0].rollbackOnAlerts).toBeUndefined();
  Object.assign(doc.environments[0], { rollbackOnAlerts: ['HighErrorRate', 'CanaryErrorRate'] });
  expect(parsePolicy(doc).policy?.environments[0].rollbackOnAlerts).toEqual(['HighErrorRate', 'CanaryErrorRate']);
  Object.assign(doc.environments[0], { rollbackOnAlerts: ['high error rate'] });
  expect(parsePolicy(doc).problems.join('; ')).toContain('rollbackOnAlerts.0 must be a Prometheus alert name');
});
