// The restore rehearsal against moto with a real worker on the stack's Temporal: `rehearsal run` restores the
// seeded backup into a scratch instance, checks and deletes it and records the success, which the preflight check
// then accepts; a record older than the bound, a failed one or none is refused. `rehearsal schedule` makes the
// Schedule that runs the workflow.
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client';
import { awsClients } from '../../src/activities/aws/clients';
import type { RehearsalRecord } from '../../src/activities/aws/rehearsal';
import { rehearsalBucket, rehearsalKeys } from '../../src/activities/aws/rehearsal';
import { createPreflightActivities } from '../../src/activities/preflight';
import { REHEARSAL_SCHEDULE_PREFIX } from '../../src/client/rehearsal';
import type { PreflightCheck } from '../../src/plan/types';
import { cliRun } from './cli-runner';
import { stackConfig, stackVar } from './stack';
import { startStackWorker, type StackWorker } from './stack-worker';
import { roleMetadata } from './stack-tokens';

// The worker's activities reach kubernetes/ (ESM-only client); Jest loads it natively.
jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('./native-esm')>('./native-esm').kubernetesClient(),
);
jest.setTimeout(60_000);

const config = stackConfig();
// The worker's own clients (moto's endpoint and credentials from the stack's environment).
const aws = awsClients(config);
const taskQueue = `rehearsal-${Date.now()}`;
const { runCheck } = createPreflightActivities(config);
let stack: StackWorker;

const check = (database: string, maxAge?: number): PreflightCheck => ({
  name: 'restore-rehearsed',
  group: 'infrastructure',
  kind: 'restore-rehearsal',
  database,
  ...(maxAge ? { maxAge } : {}),
});
const preflight = (c: PreflightCheck) =>
  runCheck({ check: c, context: { blueNamespace: 'hwayo-blue', greenNamespace: 'hwayo-green' } });
const putRecord = (database: string, record: Partial<RehearsalRecord>) =>
  aws.s3().send(
    new PutObjectCommand({
      Bucket: rehearsalBucket(config),
      Key: rehearsalKeys(database).latest,
      Body: JSON.stringify({ database, snapshot: 'hwayo-prod-db-backup-latest', scratch: 'x', ...record }),
    }),
  );

beforeAll(async () => {
  stack = await startStackWorker(taskQueue, config);
});
afterAll(async () => {
  stack?.worker.shutdown();
  await stack?.running;
  await stack?.connection.close();
});

test('rehearsal run restores, checks and deletes a scratch instance; preflight then passes', async () => {
  const { code, out, err } = await cliRun(['rehearsal', 'run', '--task-queue', taskQueue, '--json']);
  expect({ code, err }).toEqual({ code: 0, err: '' });
  const record = JSON.parse(out) as RehearsalRecord;
  expect(record).toMatchObject({ ok: true, database: 'hwayo-prod-db', snapshot: 'hwayo-prod-db-backup-latest' });
  expect(record.detail).toBe(`scratch instance ${record.scratch} available, postgres, encrypted like the snapshot`);
  const scratch = await aws
    .rds()
    .send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: record.scratch }))
    .then((o) => o.DBInstances?.[0]?.DBInstanceStatus ?? 'absent')
    .catch((e: Error) => e.name);
  expect(scratch).toBe('DBInstanceNotFoundFault');
  expect(await preflight(check('hwayo-prod-db'))).toMatchObject({
    ok: true,
    detail: expect.stringMatching(/^restore of hwayo-prod-db rehearsed 0 h ago/) as unknown as string,
  });
});

test('preflight refuses a rehearsal older than the bound, a failed one, and none', async () => {
  const db = `rehearsal-db-${Date.now()}`;
  expect((await preflight(check(db))).detail).toMatch(/no restore rehearsal of .* is recorded/);
  await putRecord(db, { ok: true, at: new Date(Date.now() - 8 * 86_400_000).toISOString(), detail: 'fine' });
  expect(await preflight(check(db))).toMatchObject({
    ok: false,
    detail: expect.stringMatching(/older than the 168 h/),
  });
  // The plan's bound decides: ten days allow it.
  expect((await preflight(check(db, 10 * 86_400_000))).ok).toBe(true);
  await putRecord(db, { ok: false, at: new Date().toISOString(), detail: 'engine mysql' });
  expect((await preflight(check(db))).detail).toMatch(/failed: engine mysql/);
});

test('rehearsal schedule creates the Schedule that runs the workflow; a second one is refused', async () => {
  const db = `sched-db-${Date.now()}`;
  const argv = ['rehearsal', 'schedule', '--every', '12h', '--database', db, '--task-queue', taskQueue];
  expect(await cliRun(argv)).toMatchObject({ code: 0, out: `${REHEARSAL_SCHEDULE_PREFIX}${db}: every 12 h\n` });
  expect(await cliRun(argv)).toMatchObject({ code: 7, err: expect.stringContaining('already exists') });
  const connection = await Connection.connect({
    address: stackVar('TEMPORAL_ADDRESS'),
    metadata: roleMetadata('admin'),
  });
  const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
  const handle = client.schedule.getHandle(`${REHEARSAL_SCHEDULE_PREFIX}${db}`);
  try {
    const described = await handle.describe();
    expect(described.action).toMatchObject({ workflowType: 'restoreRehearsalWorkflow', args: [{ database: db }] });
    expect(described.spec.intervals).toMatchObject([{ every: 12 * 3_600_000 }]);
    expect(described.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
  } finally {
    await handle.delete();
    await connection.close();
  }
});
