// AWS side effects: RDS snapshot and restore (idempotent by identifier), S3 artifacts.
import type { ActivityConfig } from './config';
import type { RestoreResult, SnapshotInput, SnapshotResult, StoreReportInput } from './contract';
import type { DatabaseSpec } from '../plan/types';
import { notImplemented } from './errors';

export function createAwsActivities(_config: ActivityConfig) {
  return {
    async snapshotDatabase(_input: SnapshotInput): Promise<SnapshotResult> { return notImplemented('snapshotDatabase'); },
    /** Restores database.backupSnapshot into database.restoredInstance and waits until available (heartbeats). */
    async restoreDatabase(_input: { database: DatabaseSpec }): Promise<RestoreResult> { return notImplemented('restoreDatabase'); },
    async storeReport(_input: StoreReportInput): Promise<{ location: string }> { return notImplemented('storeReport'); },
  };
}
