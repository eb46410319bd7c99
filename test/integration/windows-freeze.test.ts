// Release windows and the stop-the-line on the stack's Temporal dev server, through the CLI: a scheduled release
// waits for its window in a real Temporal Schedule (whose zone arithmetic agrees with ours) and starts when it
// opens; a freeze kept by the singleton survives a worker restart and refuses new releases, in the CLI and in the
// workflow, until unfreeze. The worker runs the real workflows and activities; only the platform policy is handed
// to it from this test (the dev server has no Kubernetes to hold the ConfigMap).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { createActivities } from '../../src/activities';
import { nextWindow, SCHEDULE_PREFIX } from '../../src/client/schedule';
import { defaultPlan } from '../../src/plan/load';
import { parsePolicy, POLICY_KEY } from '../../src/policy/schema';
import { windowsSchema } from '../../src/policy/windows';
import { releaseWorkflow } from '../../src/workflows';
import { STOP_THE_LINE_ID, stopTheLineQuery } from '../../src/workflows/stop-the-line-defs';
import { WorkerMetrics } from '../../src/worker/metrics';
import { seedPolicy, signedByPlatform } from '../unit/policy-fixture';
import { cliOk, cliRun } from './cli-runner';
import { stackConfig, stackVar } from './stack';

jest.mock('@kubernetes/client-node', () => jest.requireActual('./native-esm').kubernetesClient());
jest.setTimeout(6 * 60_000);

const dir = mkdtempSync(join(tmpdir(), 'hwayo-windows-'));
const taskQueue = `windows-${Date.now()}`;
const ids = { alice: '', bob: '', carol: '', olga: '' };
let client: Client;
let connection: Connection;
let worker: { worker: Worker; running: Promise<void>; connection: NativeConnection } | undefined;
let policyDoc: Record<string, unknown>;

async function startWorker(): Promise<void> {
  const nc = await NativeConnection.connect({ address: stackVar('TEMPORAL_ADDRESS') });
  const { policy } = parsePolicy(policyDoc);
  const w = await Worker.create({
    connection: nc,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue,
    workflowsPath: require.resolve('../../src/workflows'),
    activities: {
      ...createActivities(stackConfig()),
      readPlatformPolicy: async () => ({
        source: 'configmap hwayo-release/hwayo-release-policy',
        policy,
        problems: [],
      }),
    },
    sinks: new WorkerMetrics().sinks(),
  });
  worker = { worker: w, running: w.run(), connection: nc };
}

async function stopWorker(): Promise<void> {
  worker?.worker.shutdown();
  await worker?.running;
  await worker?.connection.close();
  worker = undefined;
}

const until = async <T>(what: string, f: () => Promise<T | undefined>, ms = 150_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
};

beforeAll(async () => {
  for (const id of Object.keys(ids) as (keyof typeof ids)[])
    ids[id] = JSON.parse(await cliOk('keys', 'generate', '--id', id, '--out', dir, '--json')).publicKey;
  policyDoc = seedPolicy(ids);
  connection = await Connection.connect({ address: stackVar('TEMPORAL_ADDRESS') });
  client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
  await client.workflow
    .getHandle(STOP_THE_LINE_ID)
    .terminate('test set-up')
    .catch(() => undefined);
});

afterAll(async () => {
  await client?.workflow
    .getHandle(STOP_THE_LINE_ID)
    .terminate('test finished')
    .catch(() => undefined);
  await stopWorker();
  await connection?.close();
});

/** The plan and policy files for a release of `version` under `windows`. */
function files(version: string, windows: unknown): { plan: string; policy: string } {
  const plan = join(dir, `plan-${version}.json`);
  // A plan as people write it (merged over the defaults): the platform's approvers with their keys.
  const { approvers } = signedByPlatform(defaultPlan(), ids).approval;
  writeFileSync(plan, JSON.stringify({ approval: { approvers } }));
  const doc = { ...policyDoc, environments: [{ ...(policyDoc.environments as object[])[0], windows }] };
  const policy = join(dir, `policy-${version}.yaml`);
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { [POLICY_KEY]: stringify(doc) } };
  writeFileSync(policy, stringify(cm));
  return { plan, policy };
}

test('schedule: the next maintenance window by Temporal is ours; a near window starts the release when it opens', async () => {
  await startWorker();
  const version = `9.0.${Date.now() % 100000}`;
  const args = (v: string) => ['--version', v, '--image-tag', '412-3f9c2ab', '--task-queue', taskQueue];
  // A window opening at the first whole minute at least 20 s away (time to schedule it first), in UTC, every day.
  // Scheduled first: the far window's checks below run while it waits.
  const opens = Math.ceil((Date.now() + 20_000) / 60_000) * 60_000;
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
  const near = files(version, {
    timeZone: 'Etc/UTC',
    weekly: [
      {
        name: 'soon',
        days,
        start: hhmm(opens),
        end: hhmm(opens + 3_600_000) === '00:00' ? '24:00' : hhmm(opens + 3_600_000),
      },
    ],
  });
  const out = await cliOk('schedule', near.plan, ...args(version), '--policy', near.policy);
  expect(out).toContain(`starts at ${new Date(opens).toISOString()} (window soon, Etc/UTC)`);
  const releaseId = `release-hwayo-${version}`;
  // Waiting for its window: no release before it opens.
  await expect(client.workflow.getHandle(releaseId).describe()).rejects.toThrow();
  // The seed's window, Sunday 02:00-04:00 Asia/Singapore: Temporal's calendar and zone-time agree on the instant.
  const maintenance = {
    timeZone: 'Asia/Singapore',
    weekly: [{ name: 'maintenance', days: ['sun'], start: '02:00', end: '04:00' }],
  };
  const far = files(`${version}-far`, maintenance);
  await cliOk('schedule', far.plan, ...args(`${version}-far`), '--policy', far.policy);
  const listed = JSON.parse(await cliOk('schedule', 'list', '--json')) as { scheduleId: string; next?: string }[];
  const farId = `${SCHEDULE_PREFIX}release-hwayo-${version}-far`;
  const expected = nextWindow(windowsSchema.parse(maintenance), Date.now())!;
  expect(listed.find((s) => s.scheduleId === farId)?.next).toBe(new Date(expected.openMs).toISOString());
  expect(await cliOk('schedule', 'cancel', farId)).toContain('cancelled');
  expect(
    (JSON.parse(await cliOk('schedule', 'list', '--json')) as { scheduleId: string }[]).map((s) => s.scheduleId),
  ).not.toContain(farId);

  const started = await until('the scheduled release', () => client.workflow.getHandle(releaseId).describe());
  expect(started.startTime.getTime()).toBeGreaterThanOrEqual(opens);
  expect(started.type).toBe('releaseWorkflow');
  await client.workflow.getHandle(releaseId).terminate('test finished');
  await cliOk('schedule', 'cancel', releaseId);
});

test('freeze survives a worker restart and refuses new releases (CLI and workflow) until unfreeze', async () => {
  if (!worker) await startWorker();
  const key = join(dir, 'olga.key');
  const signed = ['--key', key, '--by', 'olga', '--task-queue', taskQueue];
  expect(await cliOk('freeze', '--reason', 'payments incident', ...signed)).toMatch(
    /^frozen by olga since .*: payments incident/,
  );
  // Someone who is not an operator cannot lift it.
  const bad = await cliRun(['unfreeze', '--reason', 'mine', '--key', join(dir, 'alice.key'), '--by', 'alice']);
  expect(bad.code).toBe(7);
  expect(bad.err).toContain('alice is not an operator of the platform policy');

  await stopWorker();
  await startWorker();
  expect(await client.workflow.getHandle(STOP_THE_LINE_ID).query(stopTheLineQuery)).toMatchObject({
    frozen: true,
    by: 'olga',
  });

  const version = `9.1.${Date.now() % 100000}`;
  const { plan } = files(version, undefined);
  const refused = await cliRun([
    'start',
    plan,
    '--version',
    version,
    '--image-tag',
    '412-3f9c2ab',
    '--task-queue',
    taskQueue,
  ]);
  expect(refused.code).toBe(7);
  expect(refused.err).toContain('stop-the-line by olga');
  // Past the CLI, the workflow refuses it itself.
  const result = await client.workflow.execute(releaseWorkflow, {
    args: [{ plan: signedByPlatform(defaultPlan(), ids), version, imageTag: '412-3f9c2ab' }],
    taskQueue,
    workflowId: `release-hwayo-${version}`,
  });
  expect(result.outcome).toBe('rejected');
  expect(result.reason).toContain('stop-the-line by olga');

  expect(await cliOk('unfreeze', '--reason', 'incident resolved', ...signed)).toContain('unfrozen');
  expect(await client.workflow.getHandle(STOP_THE_LINE_ID).query(stopTheLineQuery)).toMatchObject({
    frozen: false,
    seq: 2,
  });
});
