// Payload encryption through a real Temporal server: a release whose plan, approval comment and metric
// readings carry markers runs on an in-process worker with the codec; the stored history, read
// without the codec, must show none of them, and no stack secret may appear in any export of it.
// Notifications and health checks are the real activities (they hold the secrets); the rest are fakes.
jest.mock('@kubernetes/client-node', () => jest.requireActual('./native-esm').kubernetesClient());

import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { codecsFromEnv, dataConverterFromEnv, ENCODING, KEY_ID_HEADER } from '../../src/codec';
import { loadWorkerConfig } from '../../src/worker/config';
import { JsonLogger, stageObserver } from '../../src/worker/logging';
import { WorkerMetrics } from '../../src/worker/metrics';
import { createWorker } from '../../src/worker/start';
import { defaultPlan } from '../../src/plan/load';
import { releaseWorkflow } from '../../src/workflows';
import { approveSignal, statusQuery, type ReleaseInput } from '../../src/workflows/definitions';
import { FakeWorld, firingValue } from '../workflows/fake-world';
import { decodedHistoryJson, newKey, rawHistory, stackSecrets } from './codec-helpers';
import { stackConfig, stackEnv } from './stack';

jest.setTimeout(120_000);

const env = stackEnv();
const k1 = newKey('k1');
const k2 = newKey('k2');
const marker = `plan-marker-${randomUUID()}`;
const commentMarker = `comment-marker-${randomUUID()}`;
const metricValue = 7.654321; // fires error_rate's rollback trigger; must not be readable in history

const logLines: string[] = [];
const metrics = new WorkerMetrics();
try {
  Runtime.install({
    logger: new JsonLogger('INFO', (l) => void logLines.push(l), [stageObserver((id, s) => metrics.setStage(id, s))]),
  });
} catch {
  // another test file in this process installed the runtime first; logs then go to its logger
}

let connection: Connection;
let nativeConnection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let workflowId: string;
let result: Awaited<ReturnType<typeof releaseWorkflow>>;

beforeAll(async () => {
  const taskQueue = `codec-${randomUUID().slice(0, 8)}`;
  // The worker already rotated to k2 and still decrypts k1; the client below still writes with k1.
  const config = loadWorkerConfig([], {
    ...env,
    HWAYO_TASK_QUEUE: taskQueue,
    HWAYO_CODEC_KEYS: `${k2},${k1}`,
    HWAYO_WORKER_HTTP_PORT: '0',
    HWAYO_SDK_METRICS_PORT: '0',
  });
  const real = createActivities(stackConfig());
  const world = new FakeWorld({ canary: () => ({ error_rate: metricValue }) });
  const activities = {
    ...world.activities(),
    postSlack: real.postSlack,
    sendPage: real.sendPage,
    sendEmail: real.sendEmail,
    checkServiceHealth: real.checkServiceHealth,
  };
  nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
  ({ worker } = await createWorker(config, nativeConnection, metrics, activities));
  running = worker.run();

  connection = await Connection.connect({ address: config.temporal.address });
  const oldClient = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverterFromEnv({ HWAYO_CODEC_KEYS: k1 }),
  });
  const plan = defaultPlan();
  plan.healthUrlTemplate = env.HWAYO_HEALTH_URL_TEMPLATE!;
  plan.services = plan.services.map((s) => ({ ...s, healthPath: `${s.healthPath}?${marker}` }));
  plan.canary = { ...plan.canary, steps: [{ weight: 10, watchMs: 5_000 }], analysisIntervalMs: 1_000 };
  plan.fullSwitch = { watchMs: 1_000 };
  plan.retention = { blueKeepMs: 1_000 };
  plan.rollback = { blueReadyTimeoutMs: 5_000 };
  expect(firingValue(plan.metrics.find((m) => m.name === 'error_rate')!)).toBeLessThan(metricValue);
  workflowId = `codec-release-${randomUUID().slice(0, 8)}`;
  const input: ReleaseInput = { plan, version: '2.4.0', imageTag: '1234-abc1234', requestedBy: 'codec-test' };
  const handle = await oldClient.workflow.start(releaseWorkflow, { args: [input], taskQueue, workflowId });
  // The gate takes decisions once preflight has passed (read with both keys: the worker writes with k2).
  const reader = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverterFromEnv({ HWAYO_CODEC_KEYS: `${k2},${k1}` }),
  });
  for (
    let deadline = Date.now() + 60_000;
    (await reader.workflow.getHandle(workflowId).query(statusQuery)).stage !== 'awaiting-approval';
  ) {
    if (Date.now() > deadline) throw new Error('the release never reached awaiting-approval');
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const role of ['tech-lead', 'product-manager', 'qa-lead']) {
    await handle.signal(approveSignal, {
      approverId: role,
      role,
      decision: 'approve',
      comment: `${commentMarker} from ${role}`,
    });
  }
  // Written by the k2 worker: a client still on k1 alone could not read it (rotate clients first).
  await expect(handle.result()).rejects.toThrow(/key "k2", which is not configured/);
  result = await new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverterFromEnv({ HWAYO_CODEC_KEYS: `${k2},${k1}` }),
  }).workflow
    .getHandle<typeof releaseWorkflow>(workflowId)
    .result();
});

afterAll(async () => {
  if (worker && worker.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => undefined);
  await nativeConnection?.close();
  await connection?.close();
});

const client = (keys?: string) =>
  new Client({
    connection,
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    dataConverter: keys ? dataConverterFromEnv({ HWAYO_CODEC_KEYS: keys }) : undefined,
  });

test('the release ran through the codec: rolled back on the breach, notified for real', () => {
  expect(result.outcome).toBe('rolled-back');
  expect(result.reason).toContain('error_rate 7.654');
  expect(result.report.approvals.map((a) => a.comment)).toEqual(
    expect.arrayContaining([`${commentMarker} from qa-lead`]),
  );
});

test('the stored history holds no plan marker, approval comment or metric value in plaintext', async () => {
  const { bytes, events } = await rawHistory(client(), workflowId);
  expect(events.length).toBeGreaterThan(20);
  for (const needle of [marker, commentMarker, String(metricValue), '7.654', 'hwayo-production-green', 'api-gateway']) {
    expect(bytes.includes(Buffer.from(needle))).toBe(false);
  }
  // The start input was written by the k1 client, later payloads by the worker with k2.
  const started = events[0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
  expect(Buffer.from(started.metadata!.encoding!).toString()).toBe(ENCODING);
  expect(Buffer.from(started.metadata![KEY_ID_HEADER]!).toString()).toBe('k1');
  const completed = events.find((e) => e.workflowExecutionCompletedEventAttributes)!
    .workflowExecutionCompletedEventAttributes!.result!.payloads![0];
  expect(Buffer.from(completed.metadata![KEY_ID_HEADER]!).toString()).toBe('k2');
});

test('no configured secret appears in the raw or the decoded history export', async () => {
  const secrets = stackSecrets(env);
  expect(secrets.length).toBeGreaterThanOrEqual(5);
  const { bytes, events } = await rawHistory(client(), workflowId);
  // As the codec server shows a history: search attributes are never encrypted (Temporal indexes them), so the
  // export passes plaintext through where the worker would refuse it.
  const decoded = await decodedHistoryJson(
    events,
    codecsFromEnv({ HWAYO_CODEC_KEYS: `${k2},${k1}` }, { plaintext: 'pass' })[0],
  );
  expect(decoded).toContain(marker); // the export really is decrypted
  for (const secret of secrets) {
    expect(bytes.includes(Buffer.from(secret))).toBe(false);
    expect(decoded.includes(secret)).toBe(false);
  }
  // The real notifications ran (rollback is critical: Slack, PagerDuty and e-mail).
  expect(result.report.timeline.filter((t) => /notification .* failed/.test(t.event))).toEqual([]);
});

test('key rotation: the k1 input still decodes with k2 active; a ring without k1 names the missing key', async () => {
  const { events } = await rawHistory(client(), workflowId);
  const input = events[0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
  const [plain] = await codecsFromEnv({ HWAYO_CODEC_KEYS: `${k2},${k1}` })[0].decode([input as never]);
  expect(Buffer.from(plain.data!).toString()).toContain(marker);
  await expect(client(k2).workflow.getHandle(workflowId).result()).resolves.toMatchObject({ outcome: 'rolled-back' }); // written with k2
  await expect(codecsFromEnv({ HWAYO_CODEC_KEYS: k2 })[0].decode([input as never])).rejects.toThrow(
    /key "k1", which is not configured/,
  );
});

test('worker metrics saw the release, its activities and its stages', async () => {
  const text = await metrics.registry.metrics();
  expect(text).toMatch(/hwayo_releases_started_total\{app="hwayo"\} 1/);
  expect(text).toMatch(/hwayo_releases_finished_total\{app="hwayo",outcome="rolled-back"\} 1/);
  expect(text).toMatch(/hwayo_activity_duration_seconds_count\{activity="setTrafficWeight",result="success"\} [1-9]/);
  expect(text).toMatch(/hwayo_activity_duration_seconds_count\{activity="sendPage",result="success"\} [1-9]/);
  if (logLines.length) {
    const entries = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.some((e) => e.releaseId === workflowId && e.stage === 'canary' && typeof e.runId === 'string')).toBe(
      true,
    );
  }
});
