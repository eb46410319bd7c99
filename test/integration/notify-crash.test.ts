// Threat 10 (docs/security.md): the real worker process (`node dist/src/worker.js`) is SIGKILLed after a
// notification's post reached the receiver but before the answer (our own sinks instance holds it), and a
// second worker carries the release on: the info message arrives exactly once, the critical page at least
// once (into one PagerDuty incident), never zero. Uses the stack's Temporal, Redis and moto; the receivers
// are a private sinks instance on spare loopback ports, so the stack's sinks are not touched.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { randomUUID } from 'node:crypto';
import ts from 'typescript';
import { stringify } from 'yaml';
import Redis from 'ioredis';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { eventually, getJson, postJson } from './activity-env';
import { newKey } from './codec-helpers';
import { stackEnv } from './stack';
import { dataConverterFromEnv } from '../../src/codec';
import { defaultPlan } from '../../src/plan/load';
import { RELEASE_WORKFLOW, type ReleaseInput } from '../../src/workflows/definitions';
import { ensureBuilt } from '../chaos/harness';
import { testPort } from '../fixtures/ports';

jest.setTimeout(240_000);
const ROOT = join(__dirname, '..', '..');
const env = stackEnv();
const dir = mkdtempSync(join(tmpdir(), 'hwayo-notify-crash-'));
const children: ChildProcess[] = [];
const base = testPort(3);
const SINK_HTTP = base,
  SINK_SMTP = base + 1,
  WORKER_HTTP = base + 2;
const sinks = `http://127.0.0.1:${SINK_HTTP}`;
const key = newKey('k1');
let connection: Connection;
let client: Client;
let redis: Redis;
let ownSinks: ReturnType<typeof spawnChild> | undefined;

/** Back to no injected holds; when our sinks died, say so with their output instead of masking the test's error. */
async function resetSinks(): Promise<void> {
  await postJson(`${sinks}/control/reset`, {}).catch((err: unknown) => {
    const c = ownSinks?.child;
    console.error(
      `resetting the sinks failed (${String(err)}); sinks exit ${c?.exitCode ?? '-'} ${c?.signalCode ?? ''}:\n${ownSinks?.out.text ?? ''}`,
    );
  });
}

function spawnChild(args: string[], childEnv: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, ...childEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const out = { text: '' };
  child.stdout!.on('data', (d: Buffer) => {
    out.text += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out.text += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, out, exited };
}

/** Polls `fn` (a throw counts as "not yet") until it returns a value. */
const until = <T>(what: string, fn: () => Promise<T | undefined>, ms = 90_000): Promise<T> =>
  eventually(what, ms, () => fn().catch(() => undefined), 250);

/** The sinks fixture, transpiled the way scripts/stack/fixtures.sh does, on our own ports. */
function startSinks() {
  const src = join(ROOT, 'test', 'fixtures', 'sinks');
  const out = join(dir, 'sinks');
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(src).filter((n) => n.endsWith('.ts'))) {
    const { outputText } = ts.transpileModule(readFileSync(join(src, f), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    writeFileSync(join(out, relative(src, join(src, f)).replace(/\.ts$/, '.js')), outputText);
  }
  const smtp = new URL(env.SMTP_URL!);
  return spawnChild(
    [
      join(out, 'main.js'),
      '--http-port',
      String(SINK_HTTP),
      '--smtp-port',
      String(SINK_SMTP),
      '--routing-key',
      env.PAGERDUTY_ROUTING_KEY!,
      '--smtp-user',
      decodeURIComponent(smtp.username),
      '--smtp-pass',
      decodeURIComponent(smtp.password),
    ],
    { NODE_PATH: join(ROOT, 'node_modules') },
  );
}

/** A worker whose receivers are our sinks and whose Kubernetes API is a closed port (kube calls fail). */
function workerConfig(taskQueue: string): string {
  const kubeconfig = join(dir, 'dead.kubeconfig');
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'dead',
      clusters: [{ name: 'dead', cluster: { server: 'https://127.0.0.1:19987', 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'dead', user: { token: 'x' } }],
      contexts: [{ name: 'dead', context: { cluster: 'dead', user: 'dead' } }],
    }),
  );
  const file = join(dir, `${taskQueue}.yaml`);
  const pick = (...names: string[]) => Object.fromEntries(names.filter((n) => env[n]).map((n) => [n, env[n]]));
  const smtp = new URL(env.SMTP_URL!);
  smtp.port = String(SINK_SMTP);
  writeFileSync(
    file,
    stringify({
      ...pick(
        'TEMPORAL_ADDRESS',
        'TEMPORAL_NAMESPACE',
        'PROMETHEUS_URL',
        'AWS_REGION',
        'AWS_ENDPOINT_URL',
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'DATABASE_URL',
        'REDIS_URL',
        'PAGERDUTY_ROUTING_KEY',
        // The stack's HWAYO_POLICY=none: without it the worker reads the platform's ConfigMap and refuses.
        'HWAYO_POLICY',
      ),
      KUBECONFIG: kubeconfig,
      SLACK_WEBHOOK_URL_HWAYO_CRITICAL: `${sinks}/slack/hwayo-critical`,
      SLACK_WEBHOOK_URL_HWAYO_ALERTS: `${sinks}/slack/hwayo-alerts`,
      SLACK_WEBHOOK_URL_HWAYO_RELEASES: `${sinks}/slack/hwayo-releases`,
      PAGERDUTY_EVENTS_URL: `${sinks}/v2/enqueue`,
      SMTP_URL: smtp.toString(),
      HWAYO_TASK_QUEUE: taskQueue,
      HWAYO_WORKER_HTTP_PORT: WORKER_HTTP,
      HWAYO_SDK_METRICS_PORT: 0,
      HWAYO_SHUTDOWN_GRACE_MS: 1000,
    }),
  );
  return file;
}

async function startWorker(file: string) {
  const w = spawnChild([join(ROOT, 'dist', 'src', 'worker.js')], { HWAYO_WORKER_CONFIG: file, HWAYO_CODEC_KEYS: key });
  await until(
    'worker ready',
    async () => ((await fetch(`http://127.0.0.1:${WORKER_HTTP}/readyz`)).status === 200 ? true : undefined),
    60_000,
  );
  return w;
}

interface Received {
  kind: string;
  channel?: string;
  body: Record<string, unknown>;
}
const received = async (kind: string, contains: string) =>
  (await getJson<{ received: Received[] }>(`${sinks}/received?kind=${kind}`)).received.filter((r) =>
    JSON.stringify(r.body).includes(contains),
  );

/** The key's state in the dedup store ("sending", "posted", "sent"), found by its release and suffix. */
async function recordState(pattern: string): Promise<string | undefined> {
  const keys = await redis.keys(`hwayo-release:sent:${pattern}`);
  return keys.length === 1 ? ((await redis.get(keys[0])) ?? undefined) : undefined;
}

async function completedActivities(handle: WorkflowHandle, type: string) {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type)
      .map((e) => [String(e.eventId), e]),
  );
  return events.filter((e) => scheduled.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId)));
}

function release(workflowId: string, taskQueue: string, mutate: (input: ReleaseInput) => void) {
  const plan = defaultPlan();
  plan.environments.alternate = false;
  // Every plan needs the release-baseline check (the workflow refuses one without it). With the
  // Kubernetes API down it fails, so the release ends in preflight with a warning on #hwayo-alerts.
  plan.preflight.checks = [
    { name: 'release-baseline', group: 'infrastructure', kind: 'release-baseline' },
    { name: 'monitoring', group: 'monitoring', kind: 'http', url: `${sinks}/monitoring/health` },
  ];
  const input: ReleaseInput = { plan, version: '9.9.9', imageTag: 'crash-1', searchAttributes: false };
  mutate(input);
  return client.workflow.start(RELEASE_WORKFLOW, { args: [input], taskQueue, workflowId });
}

beforeAll(async () => {
  ensureBuilt(); // `npm run build` unless dist is newer than every source (another file built it)
  ownSinks = startSinks();
  await until('own sinks', async () => ((await fetch(`${sinks}/received`)).ok ? true : undefined), 20_000);
  connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
  client = new Client({
    connection,
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    dataConverter: dataConverterFromEnv({ HWAYO_CODEC_KEYS: key }),
  });
  redis = new Redis(env.REDIS_URL!);
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  redis?.disconnect();
  await connection?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('hole 10: worker killed after a warning post reached Slack, before the answer: the message arrives exactly once', async () => {
  const taskQueue = `notify-crash-${randomUUID().slice(0, 8)}`;
  const file = workerConfig(taskQueue);
  await postJson(`${sinks}/hold`, { kind: 'slack', count: 1 });
  const first = await startWorker(file);
  const workflowId = `crash-info-${randomUUID().slice(0, 8)}`;
  const handle = await release(workflowId, taskQueue, () => undefined);
  try {
    // The preflight failure (warning, #hwayo-alerts: delivered once like info) reached the receiver, whose answer is
    // held...
    await until('the post at the receiver', async () =>
      (await received('slack', 'preflight failed')).length === 1 ? true : undefined,
    );
    expect((await getJson<{ held: number }>(`${sinks}/held`)).held).toBe(1);
    // ...and the worker has recorded that it left (the record is written as the request is handed to the OS).
    await until(
      'the post recorded as posted',
      async () => ((await recordState(`slack:#hwayo-alerts:${workflowId}:*`)) === 'posted' ? true : undefined),
      10_000,
    );
    first.child.kill('SIGKILL');
    await first.exited;

    // A second worker retries the activity once the first attempt times out (30 s).
    const second = await startWorker(file);
    const done = await until(
      'postSlack completed on the retry',
      async () => {
        const c = await completedActivities(handle, 'postSlack');
        return c.length >= 1 ? c : undefined;
      },
      120_000,
    );
    expect(done).toHaveLength(1);
    const slack = await received('slack', 'preflight failed');
    expect(slack).toHaveLength(1); // once: not lost, not posted again
    expect(slack[0].channel).toBe('#hwayo-alerts');
    // The retry read "posted" (left the worker, answer unknown) as delivered and kept the record.
    expect(await recordState(`slack:#hwayo-alerts:${workflowId}:*`)).toBe('posted');
    second.child.kill('SIGKILL');
    await second.exited;
  } finally {
    await handle.terminate('test finished').catch(() => undefined);
    await resetSinks();
  }
});

test('hole 10: worker killed after the critical page reached PagerDuty, before the answer: paged at least once, one incident', async () => {
  const taskQueue = `notify-crash-${randomUUID().slice(0, 8)}`;
  const file = workerConfig(taskQueue);
  await postJson(`${sinks}/hold`, { kind: 'pagerduty', count: 1 });
  const first = await startWorker(file);
  const workflowId = `crash-critical-${randomUUID().slice(0, 8)}`;
  // The Kubernetes API is down: finding the live environment fails, and the release rolls back with a critical page.
  const handle = await release(workflowId, taskQueue, (input) => {
    input.plan.environments.alternate = true;
  });
  try {
    const page = await until(
      'the page at the receiver',
      async () => {
        const got = await received('pagerduty', workflowId);
        return got.length === 1 ? got[0] : undefined;
      },
      120_000,
    );
    const dedupKey = page.body.dedup_key as string;
    expect(dedupKey).toMatch(new RegExp(`^${workflowId}:[0-9a-f-]{36}:rollback-started$`));
    await until(
      'the page recorded as posted',
      async () => ((await recordState(`pagerduty:${dedupKey}:trigger:*`)) === 'posted' ? true : undefined),
      10_000,
    );
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startWorker(file);
    await until(
      'sendPage completed on the retry',
      async () => ((await completedActivities(handle, 'sendPage')).length >= 1 ? true : undefined),
      120_000,
    );
    const pages = await received('pagerduty', workflowId);
    expect(pages.length).toBeGreaterThanOrEqual(1); // at least once: sent again, since the answer never came
    expect(new Set(pages.map((p) => p.body.dedup_key))).toEqual(new Set([dedupKey])); // one incident
    expect((await received('slack', 'Rolling back')).length).toBeGreaterThanOrEqual(1); // #hwayo-critical too
    second.child.kill('SIGKILL');
    await second.exited;
  } finally {
    await handle.terminate('test finished').catch(() => undefined);
    await resetSinks();
  }
});
