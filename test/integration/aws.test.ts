// RDS snapshot/restore and S3 reports against moto: idempotent by identifier, resumable from heartbeat
// details, and classified failures (missing = non-retryable, service down = retryable).
import {
  CreateDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { createAwsActivities, OWNER_TAG, type RestoreProgress } from '../../src/activities/aws';
import type { ActivityConfig } from '../../src/activities/config';
import { defaultPlan } from '../../src/plan/load';
import type { DatabaseSpec } from '../../src/plan/types';
import { runActivity } from './activity-env';
import { stackConfig, stackVar } from './stack';

jest.setTimeout(60_000);

const config = stackConfig();
const plan = defaultPlan();
const aws = createAwsActivities(config);
const clientOptions = {
  region: config.aws.region,
  endpoint: config.aws.endpoint,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
};
const rds = new RDSClient(clientOptions);
const s3 = new S3Client({ ...clientOptions, forcePathStyle: true });
const unique = (prefix: string) => `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
const withEndpoint = (endpoint: string): ActivityConfig => ({ ...config, aws: { ...config.aws, endpoint } });

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('snapshotDatabase', () => {
  it('takes the snapshot once; a re-run returns it with existed: true', async () => {
    const snapshotId = unique('emergency-snapshot');
    const first = await runActivity(aws.snapshotDatabase, { database: plan.database, snapshotId });
    expect(first.result).toEqual({ snapshotId, status: 'available', existed: false });
    const second = await runActivity(aws.snapshotDatabase, { database: plan.database, snapshotId });
    expect(second.result).toEqual({ snapshotId, status: 'available', existed: true });

    const snaps = await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: plan.database.instance }));
    const ours = (snaps.DBSnapshots ?? []).filter((s) => s.DBSnapshotIdentifier === snapshotId);
    expect(ours).toHaveLength(1);
    expect(ours[0].DBInstanceIdentifier).toBe('hwayo-prod-db');
  });

  it('a snapshot of the same name but another instance is not adopted', async () => {
    const restored = await runActivity(aws.restoreDatabase, {
      database: plan.database,
      instance: unique('hwayo-db-other'),
      owner: 'x/y',
    });
    const snapshotId = unique('emergency-snapshot');
    await rds.send(
      new CreateDBSnapshotCommand({ DBSnapshotIdentifier: snapshotId, DBInstanceIdentifier: restored.result.instance }),
    );
    const f = await failure(runActivity(aws.snapshotDatabase, { database: plan.database, snapshotId }));
    expect(f).toMatchObject({
      type: 'Conflict',
      nonRetryable: true,
      message: expect.stringContaining(`for instance ${restored.result.instance}, not hwayo-prod-db`),
    });
  });

  it('a missing instance is a non-retryable NotFound', async () => {
    const f = await failure(
      runActivity(aws.snapshotDatabase, {
        database: { ...plan.database, instance: 'hwayo-no-such-db' },
        snapshotId: unique('snap'),
      }),
    );
    expect(f).toMatchObject({
      type: 'NotFound',
      nonRetryable: true,
      message: expect.stringContaining('hwayo-no-such-db not found'),
    });
  });

  it('an invalid identifier is rejected before any call', async () => {
    const f = await failure(runActivity(aws.snapshotDatabase, { database: plan.database, snapshotId: 'bad_id!' }));
    expect(f).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
  });

  it('RDS unreachable or answering 500 is retryable', async () => {
    const down = await failure(
      runActivity(createAwsActivities(withEndpoint('http://127.0.0.1:19992')).snapshotDatabase, {
        database: plan.database,
        snapshotId: unique('snap'),
      }),
    );
    expect(down).toMatchObject({ type: 'Unavailable', nonRetryable: false });
    const http500 = await failure(
      runActivity(createAwsActivities(withEndpoint(`${stackVar('SINKS_URL')}/status/500/`)).snapshotDatabase, {
        database: plan.database,
        snapshotId: unique('snap'),
      }),
    );
    expect(http500).toMatchObject({ nonRetryable: false });
    const dropped = await failure(
      runActivity(createAwsActivities(withEndpoint(`${stackVar('SINKS_URL')}/drop/`)).snapshotDatabase, {
        database: plan.database,
        snapshotId: unique('snap'),
      }),
    );
    expect(dropped).toMatchObject({ type: 'Unavailable', nonRetryable: false });
  });
});

describe('restoreDatabase', () => {
  const database = (): DatabaseSpec => ({ ...plan.database, restoredInstance: unique('hwayo-prod-db-restored') });

  it('restores the backup into a new instance visible in moto, and a re-run reuses it', async () => {
    const db = database();
    const first = await runActivity(aws.restoreDatabase, { database: db });
    expect(first.result).toMatchObject({ instance: db.restoredInstance, existed: false, port: 5432 });
    expect(first.result.endpoint).toContain(db.restoredInstance);
    expect(first.heartbeats[0]).toMatchObject({ instance: db.restoredInstance, existed: false });

    const seen = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: db.restoredInstance }));
    expect(seen.DBInstances?.[0]).toMatchObject({
      DBInstanceStatus: 'available',
      Engine: 'postgres',
      Endpoint: { Address: first.result.endpoint },
    });

    const again = await runActivity(aws.restoreDatabase, { database: db });
    expect(again.result).toEqual({ ...first.result, existed: true });
    const all = await rds.send(new DescribeDBInstancesCommand({}));
    expect((all.DBInstances ?? []).filter((i) => i.DBInstanceIdentifier === db.restoredInstance)).toHaveLength(1);
  });

  it('a retry resumes from its heartbeat details instead of restoring again', async () => {
    const db = database();
    await runActivity(aws.restoreDatabase, { database: db });
    // The earlier attempt heartbeated that it had started the restore (existed: false) and then died.
    const progress: RestoreProgress = { instance: db.restoredInstance, existed: false, startedAt: Date.now() - 60_000 };
    const resumed = await runActivity(
      aws.restoreDatabase,
      { database: db },
      { heartbeatDetails: progress, attempt: 2 },
    );
    // Resumed: it kept the attempt's record (existed: false) instead of re-discovering the instance.
    expect(resumed.result).toMatchObject({ instance: db.restoredInstance, existed: false });
    expect(resumed.heartbeats[0]).toEqual(progress);
  });

  it('hole 9: a retried restore adopts its own instance but never one left by another release', async () => {
    const db = database();
    const instance = unique('hwayo-db-restored');
    const first = await runActivity(aws.restoreDatabase, {
      database: db,
      instance,
      owner: 'release-hwayo-2.4.0/run-a',
    });
    expect(first.result).toMatchObject({ instance, existed: false });
    const tags =
      (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instance }))).DBInstances?.[0]?.TagList ??
      [];
    expect(tags).toContainEqual({ Key: OWNER_TAG, Value: 'release-hwayo-2.4.0/run-a' });
    // The same release retrying (a new attempt, no heartbeat details): its own instance, adopted.
    expect(
      (await runActivity(aws.restoreDatabase, { database: db, instance, owner: 'release-hwayo-2.4.0/run-a' })).result,
    ).toMatchObject({ instance, existed: true });
    // Another release (or a restarted one: another run) asking for the same name: refused, not adopted.
    const other = await failure(
      runActivity(aws.restoreDatabase, { database: db, instance, owner: 'release-hwayo-2.5.0/run-b' }),
    );
    expect(other).toMatchObject({
      type: 'Conflict',
      nonRetryable: true,
      message: expect.stringContaining('belongs to release release-hwayo-2.4.0/run-a'),
    });

    // An instance someone made by hand under the name (no owner tag): refused too.
    const manual = unique('hwayo-db-manual');
    await rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: manual,
        DBSnapshotIdentifier: db.backupSnapshot,
      }),
    );
    const f = await failure(
      runActivity(aws.restoreDatabase, { database: db, instance: manual, owner: 'release-hwayo-2.4.0/run-a' }),
    );
    expect(f).toMatchObject({
      type: 'Conflict',
      nonRetryable: true,
      message: expect.stringContaining('no hwayo-release restore'),
    });
  });

  it('an instance name too long for RDS (63) is InvalidInput before any call', async () => {
    const f = await failure(runActivity(aws.restoreDatabase, { database: database(), instance: `a${'b'.repeat(63)}` }));
    expect(f).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
  });

  it('a missing backup snapshot is a non-retryable NotFound', async () => {
    const f = await failure(
      runActivity(aws.restoreDatabase, { database: { ...database(), backupSnapshot: 'hwayo-no-such-snapshot' } }),
    );
    expect(f).toMatchObject({
      type: 'NotFound',
      nonRetryable: true,
      message: expect.stringContaining('hwayo-no-such-snapshot not found'),
    });
  });
});

describe('storeReport', () => {
  const bucket = plan.artifactsBucket;

  it('writes markdown and JSON next to each other; a re-run overwrites the same objects', async () => {
    const key = `reports/${unique('release')}/report`;
    const input = {
      bucket,
      key,
      markdown: '# Release report\n\nall green\n',
      json: JSON.stringify({ outcome: 'succeeded' }),
    };
    const { result } = await runActivity(aws.storeReport, input);
    expect(result).toEqual({ location: `s3://${bucket}/${key}.md` });
    expect(await runActivity(aws.storeReport, input).then((r) => r.result)).toEqual(result);

    const md = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${key}.md` }));
    expect(await md.Body?.transformToString()).toBe(input.markdown);
    expect(md.ContentType).toContain('text/markdown');
    const json = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${key}.json` }));
    expect(JSON.parse((await json.Body?.transformToString()) ?? '')).toEqual({ outcome: 'succeeded' });
  });

  it('a missing bucket is NotFound, bad JSON is InvalidInput', async () => {
    const missing = await failure(
      runActivity(aws.storeReport, { bucket: 'hwayo-no-such-bucket', key: 'r', markdown: '#', json: '{}' }),
    );
    expect(missing).toMatchObject({ type: 'NotFound', nonRetryable: true });
    const bad = await failure(runActivity(aws.storeReport, { bucket, key: 'r', markdown: '#', json: '{not json' }));
    expect(bad).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
  });
});
