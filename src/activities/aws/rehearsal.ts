// The restore rehearsal's side effects (SEED 9 "rollback script tested"): restore the backup snapshot into a
// scratch instance with the emergency path's restore, check it against the snapshot, delete it, and keep the
// outcome in S3 where the `restore-rehearsal` preflight check reads it. Each is idempotent under retry: the
// restore adopts the scratch instance its own run tagged, a gone instance is deleted, the record rewrites its keys.
import {
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  type DBInstance,
  type DBSnapshot,
} from '@aws-sdk/client-rds';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { awsFailure, isAwsNotFound } from '../classify';
import type { ActivityConfig } from '../config';
import type { RestoreResult } from '../contract';
import { nonRetryable } from '../errors';
import { awsClients } from './clients';
import { createAwsActivities, findOrUndefined, OWNER_TAG } from './index';

/** Where the worker keeps rehearsal records when HWAYO_REHEARSAL_BUCKET is not set. */
export const DEFAULT_REHEARSAL_BUCKET = 'hwayo-release-artifacts';

/** One rehearsal's outcome, as the workflow returns it and the preflight check reads it. */
export interface RehearsalRecord {
  ok: boolean;
  /** ISO time the rehearsal finished (workflow time). */
  at: string;
  database: string;
  snapshot: string;
  scratch: string;
  detail: string;
  workflowId: string;
}

export interface ScratchInput {
  /** The production instance (its network placement is kept; the key of the record). */
  database: string;
  snapshot: string;
  scratch: string;
  /** The rehearsal run: the restore adopts, and the delete removes, only an instance carrying it as owner tag. */
  owner: string;
}

export interface ScratchCheck {
  ok: boolean;
  detail: string;
}

/** The record keys of a database: the latest one (what preflight reads) and one per rehearsal. */
export const rehearsalKeys = (database: string, at?: string) => ({
  latest: `rehearsals/${database}/latest.json`,
  dated: at ? `rehearsals/${database}/${at.replace(/[:.]/g, '-')}.json` : undefined,
});

export const rehearsalBucket = (config: Pick<ActivityConfig, 'rehearsal'>) =>
  config.rehearsal?.bucket ?? DEFAULT_REHEARSAL_BUCKET;

/** Whether the restored instance is what the backup promises: available, same engine, encrypted like the snapshot. */
export function judgeScratch(
  snapshot: Pick<DBSnapshot, 'Engine' | 'Encrypted'> | undefined,
  instance: Pick<DBInstance, 'DBInstanceStatus' | 'Engine' | 'StorageEncrypted'> | undefined,
  scratch: string,
): ScratchCheck {
  if (!snapshot) return { ok: false, detail: `the backup snapshot is gone: ${scratch} cannot be compared with it` };
  if (!instance) return { ok: false, detail: `scratch instance ${scratch} is not found after its restore` };
  const problems: string[] = [];
  if (instance.DBInstanceStatus !== 'available') problems.push(`status ${instance.DBInstanceStatus ?? 'unknown'}`);
  if (instance.Engine !== snapshot.Engine) problems.push(`engine ${instance.Engine} (snapshot ${snapshot.Engine})`);
  if (instance.StorageEncrypted !== snapshot.Encrypted || snapshot.Encrypted !== true)
    problems.push(`encrypted ${instance.StorageEncrypted === true} (snapshot ${snapshot.Encrypted === true})`);
  return problems.length
    ? { ok: false, detail: `scratch instance ${scratch} does not match its backup: ${problems.join(', ')}` }
    : { ok: true, detail: `scratch instance ${scratch} available, ${instance.Engine}, encrypted like the snapshot` };
}

export function createRehearsalActivities(config: ActivityConfig) {
  const aws = awsClients(config);
  const { restoreDatabase } = createAwsActivities(config);

  const instanceOf = (id: string) =>
    findOrUndefined(
      `instance ${id}`,
      async () => (await aws.rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0],
    );

  return {
    /** The emergency path's restore into the scratch id; waits (heartbeating) until available. */
    async restoreRehearsalInstance(input: ScratchInput): Promise<RestoreResult> {
      return restoreDatabase({
        database: {
          instance: input.database,
          backupSnapshot: input.snapshot,
          restoredInstance: input.scratch,
          snapshotPrefix: input.scratch,
          connectionSecret: { name: '-', key: '-' },
        },
        instance: input.scratch,
        owner: input.owner,
      });
    },

    async checkRehearsalInstance(input: ScratchInput): Promise<ScratchCheck> {
      const snapshot = await findOrUndefined(
        `snapshot ${input.snapshot}`,
        async () =>
          (await aws.rds().send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: input.snapshot })))
            .DBSnapshots?.[0],
      );
      return judgeScratch(snapshot, await instanceOf(input.scratch), input.scratch);
    },

    /** Deletes the scratch instance without a final snapshot; gone or already deleting is done. */
    async deleteRehearsalInstance(input: ScratchInput): Promise<{ deleted: boolean }> {
      const db = await instanceOf(input.scratch);
      if (!db || db.DBInstanceStatus === 'deleting') return { deleted: false };
      const owner = db.TagList?.find((t) => t.Key === OWNER_TAG)?.Value;
      if (owner !== input.owner)
        throw nonRetryable('Conflict', `instance ${input.scratch} is not this rehearsal's (owner ${owner ?? 'none'})`);
      try {
        await aws.rds().send(
          new DeleteDBInstanceCommand({
            DBInstanceIdentifier: input.scratch,
            SkipFinalSnapshot: true,
            DeleteAutomatedBackups: true,
          }),
        );
      } catch (err) {
        if (isAwsNotFound(err)) return { deleted: false };
        throw awsFailure(`deleting scratch instance ${input.scratch}`, err);
      }
      return { deleted: true };
    },

    /** Writes the record under its dated key and as the database's latest. */
    async recordRehearsal(record: RehearsalRecord): Promise<{ location: string }> {
      const bucket = rehearsalBucket(config);
      const keys = rehearsalKeys(record.database, record.at);
      const body = JSON.stringify(record);
      try {
        for (const key of [keys.dated, keys.latest])
          await aws
            .s3()
            .send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }));
      } catch (err) {
        throw awsFailure(`recording the rehearsal in s3://${bucket}/${keys.latest}`, err);
      }
      return { location: `s3://${bucket}/${keys.latest}` };
    },
  };
}
