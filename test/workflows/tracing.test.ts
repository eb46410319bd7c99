// The release's trace as the production bundle shapes it (Temporal's OpenTelemetry interceptors plus
// src/workflows/trace-interceptors.ts), under the time-skipping server with the scripted world: one trace from
// the client's start through the workflow, a span per stage and canary step, every activity under
// its stage, the rolled-back step in error. Spans go to an in-memory exporter here; the integration
// test (test/integration/tracing.test.ts) reads the same shape back from a real Jaeger.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpanStatusCode } from '@opentelemetry/api';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { releaseWorkflow } from '../../src/workflows';
import { approveSignal, statusQuery } from '../../src/workflows/definitions';
import { defaultPlan } from '../../src/plan/load';
import { WorkerMetrics, replaySinks } from '../../src/worker/metrics';
import { WORKFLOW_INTERCEPTORS_PATH } from '../../src/worker/paths';
import {
  activityTracingInterceptors,
  clientTracingInterceptors,
  workflowTracingSinks,
  type Tracing,
} from '../../src/telemetry/tracing';
import { createTestEnv, ROLES, uniqueId, waitForStatus } from './env';
import { FakeWorld, firingValue } from './fake-world';
import { TimeSkippingWorkflowClient, type TestWorkflowEnvironment } from '@temporalio/testing';

jest.setTimeout(180_000);

const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor(exporter);
const resource = new Resource({ 'service.name': 'hwayo-release-test' });
const tracing: Tracing = { resource, processor, flush: () => processor.forceFlush() };
let env: TestWorkflowEnvironment;
let productionBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  new NodeTracerProvider({ resource, spanProcessors: [processor] }).register();
  // The bundle `npm run build` makes (scripts/bundle-workflows.ts): the workflow with its interceptors.
  [env, productionBundle] = await Promise.all([
    createTestEnv(),
    bundleWorkflowCode({
      workflowsPath: require.resolve('../../src/workflows'),
      workflowInterceptorModules: [WORKFLOW_INTERCEPTORS_PATH],
      logger: new DefaultLogger('WARN'),
    }),
  ]);
});
afterAll(async () => env?.teardown());

const parentOf = (spans: ReadableSpan[], s: ReadableSpan) =>
  spans.find((p) => p.spanContext().spanId === s.parentSpanId);

test('a release rolled back at 5%: one trace from start to rollback, a span per stage, the failed step in error', async () => {
  const plan = defaultPlan();
  const errorRate = plan.metrics.find((m) => m.name === 'error_rate')!;
  const world = new FakeWorld({ canary: (ctx) => (ctx.weight === 5 ? { error_rate: firingValue(errorRate) } : {}) });
  const taskQueue = uniqueId('tq');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: productionBundle,
    activities: world.activities(),
    interceptors: { activity: activityTracingInterceptors(tracing) },
    sinks: { ...new WorkerMetrics().sinks(), ...workflowTracingSinks(tracing) },
  });
  // The test environment's kind of client: waiting on the result lets the server skip time (a plain
  // Client keeps it locked, and the release ran its minute of windows in real time).
  const workflows = new TimeSkippingWorkflowClient({
    connection: env.connection,
    namespace: env.namespace ?? 'default',
    interceptors: clientTracingInterceptors(tracing),
  });
  const workflowId = uniqueId('release');
  const result = await worker.runUntil(async () => {
    const handle = await workflows.start(releaseWorkflow, {
      args: [{ plan, version: '2.4.0', imageTag: '1234-abc1234', lastKnownGoodTag: '1200-0ld600d', incidents: false }],
      taskQueue,
      workflowId,
    });
    // The gate takes decisions once preflight has passed.
    await waitForStatus(
      () => handle.query(statusQuery),
      (st) => st.stage === 'awaiting-approval',
      () => env.sleep(1_000),
    );
    for (const role of ROLES)
      await handle.signal(approveSignal, { approverId: role, role, decision: 'approve', comment: `${role} ok` });
    return handle.result();
  });
  expect(result.outcome).toBe('rolled-back');
  await processor.forceFlush();
  // The release's trace is the one RunWorkflow is in (each signal the test sends is a trace of its own).
  const runSpan = exporter
    .getFinishedSpans()
    .find((s) => s.name === 'RunWorkflow:releaseWorkflow' && s.attributes.workflowId === workflowId)!;
  const all = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === runSpan.spanContext().traceId);

  // start -> RunWorkflow, which names the release and its outcome.
  const start = all.find((s) => s.name === 'StartWorkflow:releaseWorkflow')!;
  expect(start.parentSpanId).toBeUndefined();
  const run = all.find((s) => s.name === 'RunWorkflow:releaseWorkflow')!;
  expect(run.parentSpanId).toBe(start.spanContext().spanId);
  expect(run.attributes).toMatchObject({
    'hwayo.release_id': workflowId,
    'hwayo.app': 'hwayo',
    'hwayo.version': '2.4.0',
    'hwayo.outcome': 'rolled-back',
    'hwayo.stage': 'done',
  });
  expect(run.events.map((e) => e.name)).toEqual(
    expect.arrayContaining(['stage preflight', 'stage canary', 'stage rolling-back']),
  );

  // One span per stage (and per canary step) under RunWorkflow, in order; the step that rolled back is in error.
  const stages = all
    .filter((s) => s.name.startsWith('stage:'))
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  expect(stages.map((s) => s.name)).toEqual([
    'stage:preflight',
    'stage:awaiting-approval',
    'stage:green-deploy',
    // Before its first shift the canary asks the stop-the-line (and would wait for its window here).
    'stage:canary 0%',
    'stage:canary 5%',
    'stage:rolling-back',
    'stage:done',
  ]);
  for (const s of stages) expect(s.parentSpanId).toBe(run.spanContext().spanId);
  const failed = stages.find((s) => s.name === 'stage:canary 5%')!;
  expect(failed.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'left for rolling-back' });
  expect(failed.attributes).toMatchObject({
    'hwayo.stage': 'canary',
    'hwayo.canary_weight': 5,
    'hwayo.release_id': workflowId,
  });
  expect(stages.filter((s) => s !== failed).map((s) => s.status.code)).not.toContain(SpanStatusCode.ERROR);

  // Every activity: StartActivity under its stage (with stage and weight), RunActivity under that.
  const starts = all.filter((s) => s.name.startsWith('StartActivity:'));
  expect(starts.length).toBe(world.calls.length);
  // The platform policy is read, and the stop-the-line asked, before any stage opens (the first ask of each);
  // every other activity runs inside its stage's span.
  const beforeStages = [
    starts.find((s) => s.name === 'StartActivity:readPlatformPolicy'),
    starts.find((s) => s.name === 'StartActivity:readStopTheLine'),
  ];
  for (const s of starts)
    expect(parentOf(all, s)!.name).toMatch(beforeStages.includes(s) ? /^RunWorkflow:/ : /^stage:/);
  const shift = starts.find((s) => s.name === 'StartActivity:setTrafficWeight')!;
  expect(parentOf(all, shift)!.name).toBe('stage:canary 5%'); // the shift to 5% opens the step's span
  expect(shift.attributes).toMatchObject({
    'hwayo.stage': 'canary',
    'hwayo.release_id': workflowId,
    'hwayo.app': 'hwayo',
  });
  const runs = all.filter((s) => s.name.startsWith('RunActivity:'));
  expect(runs.length).toBe(world.calls.length);
  for (const r of runs) expect(parentOf(all, r)!.name).toBe(r.name.replace('RunActivity:', 'StartActivity:'));
  const rollbackShift = starts.filter((s) => s.name === 'StartActivity:setTrafficWeight').pop()!;
  expect(parentOf(all, rollbackShift)!.name).toBe('stage:rolling-back');
});

// The tracing interceptors issue no commands: releases already in flight replay with them.
const histories = readdirSync(join(__dirname, '..', 'histories'))
  .filter((f) => f.endsWith('.json'))
  .sort();
test.each(histories)('%s replays against the production bundle with its tracing interceptors', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(join(__dirname, '..', 'histories', file), 'utf8')));
  await expect(
    Worker.runReplayHistory(
      { workflowBundle: productionBundle, sinks: replaySinks() },
      history,
      file.replace(/\.json$/, ''),
    ),
  ).resolves.toBeUndefined();
});
