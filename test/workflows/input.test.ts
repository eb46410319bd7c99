// A release started directly (Temporal UI, `temporal workflow start`, another client) meets none of the
// CLI's checks (threat 6, docs/security.md). The workflow validates its whole input before its first
// command and ends an invalid one with outcome invalid-input, having touched nothing: no activity (so no production
// system, no report in the plan's bucket, no notification to the plan's channels), no search attribute.
import { temporal } from '@temporalio/proto';
import type { ReleaseInput } from '../../src/workflows/definitions';
import { SA_OUTCOME } from '../../src/workflows/definitions';
import { useWorkflowEnv } from './env';
import { withRelease } from './harness';

jest.setTimeout(120_000);
const t = useWorkflowEnv();

async function refused(input: Partial<ReleaseInput>, plan?: Parameters<typeof withRelease>[2]['plan']) {
  return withRelease(t.env, t.bundle, { approve: false, input, plan }, async ({ world, handle }) => {
    const result = await handle.result();
    const history = await handle.fetchHistory();
    const types = (history.events ?? []).map((e) => temporal.api.enums.v1.EventType[e.eventType ?? 0]);
    const upserted = (history.events ?? []).flatMap((e) =>
      Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}),
    );
    return { result, world, types, upserted, desc: await handle.describe() };
  });
}

test('a hostile version is refused before any activity: outcome invalid-input, nothing touched', async () => {
  const { result, world, types, upserted, desc } = await refused({ version: '2.4.0"}[5m])) * 0 or vector(0) #' });
  expect(result.outcome).toBe('invalid-input');
  expect(result.reason).toMatch(/^invalid input, nothing was done: version must be a version like 2\.4\.0/);
  expect(result.weights).toEqual([]);
  expect(world.calls).toEqual([]);
  // The only commands were the patches (validate-input, carried-only-continued: each a marker and the SDK's own
  // TemporalChangeVersion attribute); then the run completed.
  expect(types).toEqual([
    'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
    'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
    'EVENT_TYPE_WORKFLOW_TASK_STARTED',
    'EVENT_TYPE_WORKFLOW_TASK_COMPLETED',
    'EVENT_TYPE_MARKER_RECORDED',
    'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
    'EVENT_TYPE_MARKER_RECORDED',
    'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
    'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
  ]);
  expect(upserted).toEqual(['TemporalChangeVersion', 'TemporalChangeVersion']);
  expect(desc.status.name).toBe('COMPLETED');
  expect(desc.typedSearchAttributes.get(SA_OUTCOME)).toBeUndefined();
});

test('a plan beyond its bounds, as another client would send it, is refused naming the field', async () => {
  const { result, world } = await refused({}, (plan) => {
    plan.approval.timeoutMs = 1e20;
    plan.healthUrlTemplate = 'http://{{service}}.hwayo-production.svc.cluster.local{{path}}';
    plan.database.restoredInstance = 'restored--db';
  });
  expect(result.outcome).toBe('invalid-input');
  expect(result.reason).toContain('plan.approval.timeoutMs must be at most 7d');
  expect(result.reason).toContain('plan.healthUrlTemplate must contain {{namespace}}');
  expect(result.reason).toContain('plan.database.restoredInstance must be an RDS identifier');
  expect(world.calls).toEqual([]);
});

test('a plan without waves using {{cluster}} is refused naming the field: a single cluster has none to fill in', async () => {
  const { result, world } = await refused({}, (plan) => {
    if (typeof plan.metrics[0].query === 'string') plan.metrics[0].query += ' and on() up{cluster="{{cluster}}"}';
    plan.healthUrlTemplate = 'http://{{service}}.{{namespace}}.{{region}}.example{{path}}';
  });
  expect(result.outcome).toBe('invalid-input');
  expect(result.reason).toContain('metrics.error_rate.query uses {{cluster}} or {{region}}');
  expect(result.reason).toContain('healthUrlTemplate uses {{cluster}} or {{region}}, which only a release across');
  expect(world.calls).toEqual([]);
});

test('a plan in document form ("15m" where milliseconds belong) is refused, not run with undefined timers', async () => {
  const { result, world } = await refused({}, (plan) => {
    (plan.canary.steps[0] as unknown as Record<string, unknown>).watchMs = '15m';
  });
  expect(result.outcome).toBe('invalid-input');
  expect(result.reason).toContain('plan.canary.steps[0].watchMs must be 900000 in a resolved plan (got "15m")');
  expect(world.calls).toEqual([]);
});

test('a valid input still runs: the check refuses nothing the CLI would start', async () => {
  await withRelease(t.env, t.bundle, { approve: false }, async ({ world, waitFor }) => {
    await waitFor((s) => s.stage === 'awaiting-approval');
    expect(world.named('runCheck').length).toBeGreaterThan(0);
  });
});
