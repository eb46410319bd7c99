// A release's trace in a real Jaeger (scripts/stack/components/jaeger.sh): `hwayo-release start` with
// OTEL_EXPORTER_OTLP_ENDPOINT pointed at the stack's Jaeger, a worker in this process with the real
// activities and the production workflow interceptors, a release that rolls back at its first canary
// step (its error-rate query is a scripted `vector(50)` on the real Prometheus), then the trace read
// back from Jaeger's query API: spans per stage, the release's attributes, the rolled-back step in
// error, and Kubernetes, Prometheus and AWS calls as children of the activities.
// The release runs in namespaces of its own (blue seeded from the fixture, its own route), never in
// the stack's hwayo-production.
//   npx jest --forceExit --selectProjects integration test/integration/tracing.test.ts
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { parse as parseYaml, stringify } from 'yaml';
import { createActivities } from '../../src/activities';
import { cliOk } from './cli-runner';
import { WorkerMetrics } from '../../src/worker/metrics';
import { WORKFLOW_INTERCEPTORS_PATH } from '../../src/worker/paths';
import {
  activityTracingInterceptors,
  flushTracing,
  startTracing,
  workflowTracingSinks,
} from '../../src/telemetry/tracing';
import { deleteNamespaces, eventually, kubeConfigForStack, seedBlue, uniqueNamespace } from './kube-helpers';
import { stackConfig, stackVar } from './stack';

jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('./native-esm')>('./native-esm').kubernetesClient(),
);
jest.setTimeout(6 * 60_000);

const ROOT = join(__dirname, '..', '..');
const EVIDENCE = join(ROOT, 'test', 'fixtures', 'evidence');
const SERVICE = `hwayo-release-trace-${randomBytes(3).toString('hex')}`;
const taskQueue = `trace-${randomBytes(4).toString('hex')}`;
const blue = uniqueNamespace('trace');
const green = `${blue}-green`;
const gateway = `${blue}-gw`;
const tmp = mkdtempSync(join(tmpdir(), 'hwayo-trace-'));
const { admin } = kubeConfigForStack();

let worker: Worker;
let workerRun: Promise<void>;
let nativeConnection: NativeConnection;
let client: Client;

interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  processID: string;
  references: { refType: string; spanID: string }[];
  tags: { key: string; type: string; value: unknown }[];
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

const tag = (s: JaegerSpan, key: string) => s.tags.find((t) => t.key === key)?.value;
const parentOf = (t: JaegerTrace, s: JaegerSpan) =>
  t.spans.find((p) => s.references.some((r) => r.refType === 'CHILD_OF' && r.spanID === p.spanID));

const cli = cliOk;

/** The traces Jaeger holds for our service that carry this release id. */
async function traceOf(releaseId: string): Promise<JaegerTrace | undefined> {
  const url = `${stackVar('JAEGER_QUERY_URL')}/api/traces?service=${SERVICE}&tags=${encodeURIComponent(JSON.stringify({ 'hwayo.release_id': releaseId }))}&limit=20&lookback=1h`;
  const res = await fetch(url);
  if (!res.ok) return undefined;
  const body = (await res.json()) as { data: JaegerTrace[] };
  return body.data.find((t) => t.spans.some((s) => s.operationName === 'RunWorkflow:releaseWorkflow'));
}

beforeAll(async () => {
  const config = stackConfig(); // loads .stack/env
  // Tracing on, for this process only (the CLI and the worker share the provider), under a service name of our own.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = stackVar('JAEGER_OTLP_ENDPOINT');
  process.env.OTEL_SERVICE_NAME = SERVICE;
  const tracing = startTracing(process.env, SERVICE);
  Runtime.install({ logger: new DefaultLogger('WARN') });

  // A blue of our own with its route in a namespace next to it (a route may not live in blue or green).
  await seedBlue(admin, blue);
  await admin.core.createNamespace({ body: { metadata: { name: gateway } } });
  await admin.custom.createNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    plural: 'virtualservices',
    namespace: gateway,
    body: {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'hwayo-canary', namespace: gateway },
      spec: {
        hosts: ['hwayo.com'],
        http: [
          {
            name: 'canary-header',
            match: [{ headers: { canary: { exact: 'true' } } }],
            route: [
              { destination: { host: `api-gateway.${green}.svc.cluster.local`, port: { number: 80 } }, weight: 100 },
            ],
          },
          {
            name: 'primary',
            route: [
              { destination: { host: `api-gateway.${blue}.svc.cluster.local`, port: { number: 80 } }, weight: 100 },
              { destination: { host: `api-gateway.${green}.svc.cluster.local`, port: { number: 80 } }, weight: 0 },
            ],
          },
        ],
      },
    },
  });
  await eventually(
    'blue available',
    async () => {
      const list = await admin.apps.listNamespacedDeployment({ namespace: blue });
      return (
        list.items.length > 0 && list.items.every((d) => (d.status?.availableReplicas ?? 0) >= (d.spec?.replicas ?? 1))
      );
    },
    120_000,
  );

  // The local plan, made short: three preflight checks (Kubernetes, the route, S3), one approver, one
  // canary step whose error rate is a constant 50% read from the real Prometheus, so it rolls back.
  const local = readFileSync(join(ROOT, 'examples', 'local-metrics-app-plan.yaml'), 'utf8');
  const doc = parseYaml(local) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  doc.environments = { blue, green, alternate: false };
  doc.traffic = {
    ...(doc.traffic ?? {}),
    namespace: gateway,
    maintenanceDestination: `maintenance-page.${gateway}.svc.cluster.local`,
  };
  // Prometheus answers 200 on /-/healthy whatever the query: green's services count as healthy.
  doc.healthUrlTemplate = `${stackVar('PROMETHEUS_URL')}/-/healthy?ns={{namespace}}&svc={{service}}&p={{path}}`;
  doc.preflight.checks = (doc.preflight.checks as { kind: string }[]).filter((c) =>
    ['kubernetes-nodes', 'release-baseline', 's3-bucket'].includes(c.kind),
  );
  doc.approval.requiredRoles = ['tech-lead'];
  doc.approval.approvers = [{ id: 'alice', role: 'tech-lead' }];
  doc.approval.requireSignatures = false;
  doc.canary.steps = [{ weight: 5, watch: '20s' }];
  doc.canary.analysisInterval = '1s';
  doc.metrics = [{ name: 'error_rate', unit: '%', query: 'vector(50)', healthy: { max: 1 }, rollback: { above: 5 } }];
  writeFileSync(join(tmp, 'plan.yaml'), stringify(doc));
  await cli('plan', 'validate', join(tmp, 'plan.yaml'));

  nativeConnection = await NativeConnection.connect({ address: stackVar('TEMPORAL_ADDRESS') });
  worker = await Worker.create({
    connection: nativeConnection,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue,
    workflowsPath: require.resolve('../../src/workflows'),
    activities: createActivities(config),
    interceptors: { activity: activityTracingInterceptors(tracing), workflowModules: [WORKFLOW_INTERCEPTORS_PATH] },
    sinks: { ...new WorkerMetrics().sinks(), ...workflowTracingSinks(tracing) },
  });
  workerRun = worker.run();
  client = new Client({
    connection: await Connection.connect({ address: stackVar('TEMPORAL_ADDRESS') }),
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  });
}, 240_000);

afterAll(async () => {
  worker?.shutdown();
  await workerRun?.catch(() => undefined);
  await nativeConnection?.close();
  await client?.connection.close();
  await deleteNamespaces(admin, [blue, green, gateway]);
  rmSync(tmp, { recursive: true, force: true });
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
}, 120_000);

test('a release that rolls back leaves one trace in Jaeger: start, stages, activities, their calls, the failed step', async () => {
  const version = `2.4.0-trace.${randomBytes(3).toString('hex')}`;
  const id = (
    await cli(
      'start',
      join(tmp, 'plan.yaml'),
      '--version',
      version,
      '--image-tag',
      `${version}-t`,
      '--task-queue',
      taskQueue,
      '--allow-concurrent',
      '--requested-by',
      'trace-test',
      '--evidence-trivy',
      join(EVIDENCE, 'trivy-clean.json'),
      '--evidence-gitleaks',
      join(EVIDENCE, 'gitleaks-clean.json'),
      '--evidence-npm-audit',
      join(EVIDENCE, 'npm-audit-clean.json'),
      '--evidence-sonarqube',
      join(EVIDENCE, 'sonarqube-hotspots-clean.json'),
    )
  ).trim();
  await eventually(
    'awaiting approval',
    async () => (await client.workflow.getHandle(id).query<{ stage: string }>('status')).stage === 'awaiting-approval',
    90_000,
  );
  await cli('approve', id, '--as', 'alice', '--comment', 'trace test');
  const result = (await client.workflow.getHandle(id).result()) as { outcome: string };
  expect(result.outcome).toBe('rolled-back');
  await flushTracing();

  const trace = await eventually(
    'the release trace in Jaeger',
    async () => {
      const t = await traceOf(id);
      return t && t.spans.some((s) => s.operationName === 'stage:done') ? t : undefined;
    },
    60_000,
  );
  const named = (name: string) => trace.spans.filter((s) => s.operationName === name);

  // `hwayo-release start` opens the trace; RunWorkflow under it names the release.
  const [start] = named('StartWorkflow:releaseWorkflow');
  expect(start.references).toEqual([]);
  const [runSpan] = named('RunWorkflow:releaseWorkflow');
  expect(parentOf(trace, runSpan)).toBe(start);
  expect({
    id: tag(runSpan, 'hwayo.release_id'),
    app: tag(runSpan, 'hwayo.app'),
    version: tag(runSpan, 'hwayo.version'),
    outcome: tag(runSpan, 'hwayo.outcome'),
  }).toEqual({ id, app: 'hwayo', version, outcome: 'rolled-back' });

  // A span per stage under RunWorkflow; the canary step that rolled back is in error.
  const stages = trace.spans.filter((s) => s.operationName.startsWith('stage:'));
  expect(new Set(stages.map((s) => s.operationName))).toEqual(
    new Set([
      'stage:preflight',
      'stage:awaiting-approval',
      'stage:green-deploy',
      // Before the first increase: the stop-the-line and the release windows are asked at 0% (stages/gate.ts).
      'stage:canary 0%',
      'stage:canary 5%',
      'stage:rolling-back',
      'stage:done',
    ]),
  );
  for (const s of stages) expect(parentOf(trace, s)).toBe(runSpan);
  const [step] = named('stage:canary 5%');
  expect({
    error: tag(step, 'error'),
    stage: tag(step, 'hwayo.stage'),
    weight: tag(step, 'hwayo.canary_weight'),
  }).toEqual({ error: true, stage: 'canary', weight: 5 });
  for (const s of stages.filter((x) => x !== step)) expect(tag(s, 'error')).toBeUndefined();

  // Activities under their stage, and their calls to other systems under them.
  const underActivity = (prefix: string, activity: string, stage: string) => {
    const calls = trace.spans.filter((s) => s.operationName.startsWith(prefix));
    const match = calls.find((c) => {
      const runAct = parentOf(trace, c);
      const startAct = runAct && parentOf(trace, runAct);
      return (
        runAct?.operationName === `RunActivity:${activity}` &&
        startAct &&
        parentOf(trace, startAct)?.operationName === stage
      );
    });
    expect({ prefix, activity, found: Boolean(match) }).toEqual({ prefix, activity, found: true });
  };
  underActivity('k8s ', 'deployGreen', 'stage:green-deploy');
  underActivity('prometheus query', 'queryMetrics', 'stage:canary 5%');
  underActivity('aws S3.', 'runCheck', 'stage:preflight');
  underActivity('k8s ', 'setTrafficWeight', 'stage:rolling-back');
});
