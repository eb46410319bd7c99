// AWS side effects: RDS snapshot and restore (idempotent by identifier), S3 artifacts.
import { activityInfo, heartbeat, sleep } from '@temporalio/activity';
import {
  CreateDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  type DBInstance,
  type DBSnapshot,
} from '@aws-sdk/client-rds';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { attestationKey, attestRelease } from '../../attestation/statement';
import { awsClients } from './clients';
import { awsFailure, isAwsNotFound } from '../classify';
import type { ActivityConfig } from '../config';
import type { RestoreInput, RestoreResult, SnapshotInput, SnapshotResult, StoreReportInput } from '../contract';
import { nonRetryable, retryable } from '../errors';

/** How often a wait polls RDS; each poll also heartbeats. */
export const RDS_POLL_MS = 5_000;

/** Heartbeat details of restoreDatabase: a retried attempt resumes waiting instead of restoring again. */
export interface RestoreProgress {
  instance: string;
  existed: boolean;
  startedAt: number;
  lastStatus?: string;
}

// RDS states from which "available" will not come without a person.
const DEAD_INSTANCE = new Set([
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'deleting',
  'storage-full',
  'inaccessible-encryption-credentials',
]);
const IDENTIFIER = /^[a-zA-Z][a-zA-Z0-9-]{0,254}$/;
/** The tag naming the release (and run) that restored an instance. */
export const OWNER_TAG = 'hwayo-release/owner';

function requireIdentifier(what: string, id: string, maxLength = 255) {
  if (!IDENTIFIER.test(id) || id.endsWith('-') || id.includes('--') || id.length > maxLength) {
    throw nonRetryable(
      'InvalidInput',
      `${what} "${id}" is not a valid RDS identifier (at most ${maxLength} letters, digits, single hyphens, starting with a letter)`,
    );
  }
}

/**
 * Refuses an existing instance this restore did not create: adopting another release's instance would point production
 * at it.
 */
function requireOwner(db: DBInstance, instance: string, owner: string | undefined) {
  const tags = db.TagList ?? [];
  const tag = (key: string) => tags.find((t) => t.Key === key)?.Value;
  if (owner === undefined) {
    // A task scheduled before owners existed: at least made by a restore of ours.
    if (tag('created-by') === 'hwayo-release') return;
    throw nonRetryable(
      'Conflict',
      `instance ${instance} already exists and was not restored by hwayo-release: rename or delete it, or set database.restoredInstance`,
    );
  }
  const found = tag(OWNER_TAG);
  if (found !== owner) {
    throw nonRetryable(
      'Conflict',
      `instance ${instance} already exists and belongs to ${found ? `release ${found}` : 'no hwayo-release restore'}, not ${owner}: it is not adopted`,
    );
  }
}

/** A describe call whose "not found" means absent, not failure. */
export async function findOrUndefined<T>(what: string, describe: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await describe();
  } catch (err) {
    if (isAwsNotFound(err)) return undefined;
    throw awsFailure(`describing ${what}`, err);
  }
}

export function createAwsActivities(config: ActivityConfig) {
  const aws = awsClients(config);

  const findSnapshot = (id: string): Promise<DBSnapshot | undefined> =>
    findOrUndefined(
      `snapshot ${id}`,
      async () => (await aws.rds().send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }))).DBSnapshots?.[0],
    );

  const findInstance = (id: string): Promise<DBInstance | undefined> =>
    findOrUndefined(
      `instance ${id}`,
      async () => (await aws.rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0],
    );

  /** Polls until the snapshot is available, heartbeating each poll. */
  async function waitSnapshotAvailable(id: string): Promise<DBSnapshot> {
    for (;;) {
      const snap = await findSnapshot(id);
      if (!snap) throw nonRetryable('NotFound', `snapshot ${id} disappeared while waiting for it`);
      if (snap.Status === 'available') return snap;
      if (snap.Status === 'failed' || snap.Status === 'deleting')
        throw nonRetryable('Conflict', `snapshot ${id} is ${snap.Status}`);
      heartbeat({ snapshotId: id, lastStatus: snap.Status });
      await sleep(RDS_POLL_MS);
    }
  }

  return {
    async snapshotDatabase(input: SnapshotInput): Promise<SnapshotResult> {
      const { database, snapshotId } = input;
      requireIdentifier('snapshot id', snapshotId);
      const found = await findSnapshot(snapshotId);
      // Same name, another database: not ours to adopt (another release's emergency in the same second).
      if (found && found.DBInstanceIdentifier !== database.instance) {
        throw nonRetryable(
          'Conflict',
          `snapshot ${snapshotId} already exists for instance ${found.DBInstanceIdentifier}, not ${database.instance}`,
        );
      }
      let existed = found !== undefined;
      if (!existed) {
        try {
          await aws.rds().send(
            new CreateDBSnapshotCommand({
              DBSnapshotIdentifier: snapshotId,
              DBInstanceIdentifier: database.instance,
              Tags: [{ Key: 'created-by', Value: 'hwayo-release' }],
            }),
          );
        } catch (err) {
          // A concurrent attempt took it first: that one is ours too.
          if ((err as Error).name === 'DBSnapshotAlreadyExistsFault') existed = true;
          else if ((err as Error).name === 'DBInstanceNotFoundFault')
            throw nonRetryable('NotFound', `database instance ${database.instance} not found: cannot snapshot it`);
          else throw awsFailure(`snapshotting ${database.instance} as ${snapshotId}`, err);
        }
      }
      const snap = await waitSnapshotAvailable(snapshotId);
      return { snapshotId, status: snap.Status ?? 'unknown', existed };
    },

    /** Restores database.backupSnapshot into database.restoredInstance and waits until available (heartbeats). */
    async restoreDatabase(input: RestoreInput): Promise<RestoreResult> {
      const { backupSnapshot, instance: source } = input.database;
      const restoredInstance = input.instance ?? input.database.restoredInstance;
      requireIdentifier('restored instance', restoredInstance, 63);
      const resumed = activityInfo().heartbeatDetails as RestoreProgress | undefined;
      let progress: RestoreProgress;
      const existing = resumed?.instance === restoredInstance ? undefined : await findInstance(restoredInstance);
      if (resumed?.instance === restoredInstance) {
        progress = resumed; // an earlier attempt of this restore already started (or adopted) it
      } else if (existing) {
        requireOwner(existing, restoredInstance, input.owner);
        progress = { instance: restoredInstance, existed: true, startedAt: Date.now() };
      } else {
        if (!(await findSnapshot(backupSnapshot)))
          throw nonRetryable('NotFound', `backup snapshot ${backupSnapshot} not found: nothing to restore from`);
        // Keep the network placement of the instance being replaced, or the apps could not reach the new one.
        const original = await findInstance(source);
        progress = { instance: restoredInstance, existed: false, startedAt: Date.now() };
        try {
          await aws.rds().send(
            new RestoreDBInstanceFromDBSnapshotCommand({
              DBInstanceIdentifier: restoredInstance,
              DBSnapshotIdentifier: backupSnapshot,
              DBInstanceClass: original?.DBInstanceClass,
              DBSubnetGroupName: original?.DBSubnetGroup?.DBSubnetGroupName,
              VpcSecurityGroupIds: original?.VpcSecurityGroups?.map((g) => g.VpcSecurityGroupId ?? '').filter(Boolean),
              Tags: [
                { Key: 'created-by', Value: 'hwayo-release' },
                { Key: 'restored-from', Value: backupSnapshot },
                ...(input.owner ? [{ Key: OWNER_TAG, Value: input.owner }] : []),
              ],
            }),
          );
        } catch (err) {
          if ((err as Error).name !== 'DBInstanceAlreadyExistsFault')
            throw awsFailure(`restoring ${restoredInstance} from ${backupSnapshot}`, err);
          // Someone created it between our look and our restore: ours only if the owner tag says so.
          const raced = await findInstance(restoredInstance);
          if (!raced)
            throw retryable('Conflict', `instance ${restoredInstance} was reported as existing but is not found`);
          requireOwner(raced, restoredInstance, input.owner);
          progress.existed = true;
        }
      }
      heartbeat(progress);
      for (;;) {
        const db = await findInstance(restoredInstance);
        if (!db)
          throw nonRetryable('NotFound', `restored instance ${restoredInstance} disappeared while waiting for it`);
        const status = db.DBInstanceStatus ?? 'unknown';
        if (status === 'available') {
          if (!db.Endpoint?.Address)
            throw nonRetryable('Conflict', `instance ${restoredInstance} is available but has no endpoint`);
          return {
            instance: restoredInstance,
            endpoint: db.Endpoint.Address,
            port: db.Endpoint.Port ?? 5432,
            existed: progress.existed,
          };
        }
        if (DEAD_INSTANCE.has(status))
          throw nonRetryable('Conflict', `restored instance ${restoredInstance} is ${status}: it needs a person`);
        heartbeat({ ...progress, lastStatus: status });
        await sleep(RDS_POLL_MS);
      }
    },

    async storeReport(input: StoreReportInput): Promise<{ location: string }> {
      const base = input.key.replace(/\.(md|json)$/, '').replace(/^\/+/, '');
      if (!base) throw nonRetryable('InvalidInput', 'report key is empty');
      let parsed: unknown;
      try {
        parsed = JSON.parse(input.json);
      } catch {
        throw nonRetryable('InvalidInput', `report JSON for ${base} does not parse`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw nonRetryable('InvalidInput', `report JSON for ${base} is not an object`);
      // Overwriting the same keys makes a retry harmless.
      const put = (key: string, body: string, contentType: string) =>
        aws.s3().send(new PutObjectCommand({ Bucket: input.bucket, Key: key, Body: body, ContentType: contentType }));
      // ed25519 signatures are deterministic: a retry writes the same attestation bytes.
      let attestation: string | undefined;
      try {
        if (config.attestationKey) attestation = JSON.stringify(attestRelease(input.json, config.attestationKey));
      } catch (err) {
        throw nonRetryable('InvalidInput', `cannot attest the report ${base}: ${(err as Error).message}`);
      }
      try {
        await put(`${base}.md`, input.markdown, 'text/markdown; charset=utf-8');
        await put(`${base}.json`, input.json, 'application/json');
        if (attestation) await put(attestationKey(base), attestation, 'application/json');
      } catch (err) {
        throw awsFailure(`storing report s3://${input.bucket}/${base}`, err);
      }
      return { location: `s3://${input.bucket}/${base}.md` };
    },
  };
}
