// The real worker as a child process (`node dist/src/worker.js`, built here): configuration errors
// stop it before anything starts; a good configuration (from a YAML file) serves /healthz, /readyz and
// /metrics plus the SDK's metrics; SIGTERM drains it and it exits 0 with its ports closed, letting an
// activity in flight finish within the grace time, and another worker process carries the release on.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { stringify } from 'yaml';
import { Client, Connection } from '@temporalio/client';
import { newKey } from './codec-helpers';
import { stackEnv } from './stack';
import { dataConverterFromEnv } from '../../src/codec';
import { defaultPlan } from '../../src/plan/load';
import { RELEASE_WORKFLOW, type ReleaseInput, type ReleaseResult } from '../../src/workflows/definitions';
import { ensureBuilt } from '../chaos/harness';
import { testPort } from '../fixtures/ports';

jest.setTimeout(180_000);
const ROOT = join(__dirname, '..', '..');
const WORKER = join(ROOT, 'dist', 'src', 'worker.js');
const env = stackEnv();
const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'hwayo-worker-'));
const httpPort = testPort(3);
const sdkPort = httpPort + 1;

// The built worker: `npm run build` unless dist is newer than every source (another file built it).
beforeAll(() => ensureBuilt(), 300_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], childEnv: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [WORKER, ...args], {
    env: { PATH: process.env.PATH, ...childEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => {
    out.stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out.stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out, exited };
}

const get = (port: number, path: string) =>
  fetch(`http://127.0.0.1:${port}${path}`).then(async (r) => ({ status: r.status, text: await r.text() }));

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('bad configuration: exit 2, every problem named, nothing listening', async () => {
  const { out, exited } = run([], {
    TEMPORAL_ADDRESS: 'no-port',
    KUBECONFIG: '/nonexistent/kubeconfig',
    PROMETHEUS_URL: 'ftp://x',
    HWAYO_CODEC_KEYS: 'k1:short',
    HWAYO_WORKER_HTTP_PORT: String(httpPort),
    HWAYO_SDK_METRICS_PORT: String(sdkPort),
  });
  expect(await exited).toBe(2);
  expect(out.stderr).toMatch(/TEMPORAL_ADDRESS: must be host:port/);
  expect(out.stderr).toMatch(/KUBECONFIG: file does not exist/);
  expect(out.stderr).toMatch(/PROMETHEUS_URL: must be a URL/);
  expect(out.stderr).toMatch(/HWAYO_CODEC_KEYS: key "k1" must be 32 bytes/);
  await expect(get(httpPort, '/healthz')).rejects.toThrow();
});

test('unknown setting in the config file: exit 2 naming it', async () => {
  const file = join(dir, 'typo.yaml');
  writeFileSync(file, 'TEMPORAL_ADDRES: 127.0.0.1:7233\n');
  const { out, exited } = run(['--config', file], {});
  expect(await exited).toBe(2);
  expect(out.stderr).toMatch(/unknown setting TEMPORAL_ADDRES/);
});

/** The stack's settings a worker needs, as a config file for `taskQueue`. */
function workerConfigFile(name: string, taskQueue: string, port: number, graceMs: number, sdkMetricsPort = 0): string {
  const file = join(dir, name);
  const pick = (...names: string[]) => Object.fromEntries(names.filter((n) => env[n]).map((n) => [n, env[n]]));
  writeFileSync(
    file,
    stringify({
      ...pick(
        'TEMPORAL_ADDRESS',
        'TEMPORAL_NAMESPACE',
        'KUBECONFIG',
        'PROMETHEUS_URL',
        'AWS_REGION',
        'AWS_ENDPOINT_URL',
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'DATABASE_URL',
        'REDIS_URL',
        'PAGERDUTY_EVENTS_URL',
        'PAGERDUTY_ROUTING_KEY',
        'SMTP_URL',
        'HWAYO_TLS_CA_FILE',
        // The stack's HWAYO_POLICY=none: without it the worker reads the platform's ConfigMap and refuses.
        'HWAYO_POLICY',
      ),
      HWAYO_TASK_QUEUE: taskQueue,
      HWAYO_WORKER_HTTP_PORT: port,
      HWAYO_SDK_METRICS_PORT: sdkMetricsPort,
      HWAYO_SHUTDOWN_GRACE_MS: graceMs,
    }),
  );
  return file;
}

test('SIGTERM with an activity in flight: it finishes within the grace time, the worker exits 0, and another worker carries on', async () => {
  const taskQueue = `worker-drain-${randomUUID().slice(0, 8)}`;
  const key = newKey('k1');
  const file = workerConfigFile('drain.yaml', taskQueue, httpPort + 2, 10_000);
  const first = run([], { HWAYO_WORKER_CONFIG: file, HWAYO_CODEC_KEYS: key });
  await until('first worker ready', async () =>
    (await get(httpPort + 2, '/readyz')).status === 200 ? true : undefined,
  );

  // A release whose only preflight check takes 3 s (a slow monitoring endpoint of the stack's sinks).
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
  try {
    const client = new Client({
      connection,
      namespace: env.TEMPORAL_NAMESPACE ?? 'default',
      dataConverter: dataConverterFromEnv({ HWAYO_CODEC_KEYS: key }),
    });
    const plan = defaultPlan();
    // With the release-baseline check every plan needs: the workflow validates its plan and would refuse it
    // without.
    plan.preflight.checks = [
      { name: 'release-baseline', group: 'infrastructure', kind: 'release-baseline' },
      { name: 'slow-monitoring', group: 'monitoring', kind: 'http', url: `${env.SINKS_URL}/slow/3000/health` },
    ];
    plan.environments.alternate = false;
    const input: ReleaseInput = { plan, version: '9.9.9', imageTag: 'drain-1', searchAttributes: false };
    const handle = await client.workflow.start(RELEASE_WORKFLOW, {
      args: [input],
      taskQueue,
      workflowId: `drain-${randomUUID().slice(0, 8)}`,
    });
    await until(
      'the check in flight',
      async () => {
        const d = await handle.describe();
        return d.raw.pendingActivities?.some((a) => a.activityType?.name === 'runCheck' && Number(a.state) === 2)
          ? true
          : undefined; // 2: STARTED
      },
      30_000,
    );

    const t0 = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const drainedMs = Date.now() - t0;
    // It waited for the 3 s check (started just before the signal), within the 10 s grace time.
    expect(drainedMs).toBeGreaterThan(1_500);
    expect(drainedMs).toBeLessThan(15_000);
    // The check ran to its end on the stopping worker: completed on its first attempt, not timed out.
    // The completion the stopping worker sent reaches the history a moment after the worker exits: read it once it
    // is there (or once a timeout or failure is, which the assertions below refuse).
    const events = await until(
      'the slow check settled in the history',
      async () => {
        const ev = (await handle.fetchHistory()).events ?? [];
        const settled = ev.filter(
          (e) =>
            e.activityTaskCompletedEventAttributes ||
            e.activityTaskTimedOutEventAttributes ||
            e.activityTaskFailedEventAttributes,
        );
        return settled.length >= 4 ? ev : undefined;
      },
      10_000,
    );
    // The platform policy read, the stop-the-line read, the baseline check and the slow check, each on its
    // first attempt.
    const scheduled = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(scheduled).toEqual(['readPlatformPolicy', 'readStopTheLine', 'runCheck', 'runCheck']);
    const started = events.filter((e) => e.activityTaskStartedEventAttributes);
    expect(started.map((e) => e.activityTaskStartedEventAttributes!.attempt)).toEqual([1, 1, 1, 1]);
    expect(events.filter((e) => e.activityTaskCompletedEventAttributes)).toHaveLength(4);
    expect(events.some((e) => e.activityTaskTimedOutEventAttributes || e.activityTaskFailedEventAttributes)).toBe(
      false,
    );

    // A new worker picks the release up where the stopped one left it.
    const second = run([], { HWAYO_WORKER_CONFIG: file, HWAYO_CODEC_KEYS: key });
    const result = (await handle.result()) as ReleaseResult;
    expect(result.outcome).toBe('preflight-failed');
    expect(result.reason).toContain('slow-monitoring');
    expect(result.report.preflight[0].results).toHaveLength(2);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  } finally {
    await connection.close();
  }
});

test('runs from a YAML config file: health, readiness, metrics, JSON logs; SIGTERM drains and exits 0', async () => {
  const taskQueue = `worker-proc-${randomUUID().slice(0, 8)}`;
  const file = workerConfigFile('worker.yaml', taskQueue, httpPort, 5000, sdkPort);
  // Secrets may come from the environment instead of the file; the environment wins.
  const { child, out, exited } = run([], {
    HWAYO_WORKER_CONFIG: file,
    HWAYO_CODEC_KEYS: newKey('k1'),
    SLACK_WEBHOOK_URL_HWAYO_CRITICAL: env.SLACK_WEBHOOK_URL_HWAYO_CRITICAL,
  });

  expect((await until('/healthz', () => get(httpPort, '/healthz'))).status).toBe(200);
  const ready = await until('/readyz 200', async () => {
    const r = await get(httpPort, '/readyz');
    return r.status === 200 ? r : undefined;
  });
  expect(ready.text).toMatch(/running and connected/);
  const metrics = await get(httpPort, '/metrics');
  expect(metrics.text).toMatch(/^process_cpu_user_seconds_total /m);
  expect(metrics.text).toMatch(/# TYPE hwayo_releases_started_total counter/);
  expect(metrics.text).toMatch(/# TYPE hwayo_activity_duration_seconds histogram/);
  const sdk = await until('SDK metrics', async () => {
    const r = await get(sdkPort, '/metrics');
    return r.text.includes(`task_queue="${taskQueue}"`) ? r : undefined;
  });
  expect(sdk.text).toMatch(/temporal_/);

  const started = out.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(started.find((e) => e.message === 'worker starting')).toMatchObject({
    level: 'INFO',
    taskQueue,
    workflows: 'prebuilt',
    encryption: 'aes-256-gcm',
  });
  expect(out.stdout).not.toContain(env.PAGERDUTY_ROUTING_KEY!); // the config is not logged

  const t0 = Date.now();
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(Date.now() - t0).toBeLessThan(15_000);
  const lines = out.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.map((l) => l.state).filter(Boolean)).toEqual(
    expect.arrayContaining(['RUNNING', 'STOPPING', 'DRAINED', 'STOPPED']),
  );
  expect(lines[lines.length - 1]).toMatchObject({ message: 'worker stopped' });
  await expect(get(httpPort, '/healthz')).rejects.toThrow();
  await expect(get(sdkPort, '/metrics')).rejects.toThrow();
});
