// What the restore rehearsal workflow and the CLI that starts it share (no workflow APIs: the CLI loads it).
export const DEFAULT_BACKUP_SNAPSHOT = 'hwayo-prod-db-backup-latest';
export const DEFAULT_REHEARSAL_DATABASE = 'hwayo-prod-db';

export interface RehearsalInput {
  /** The production instance whose backup is rehearsed (default hwayo-prod-db). */
  database?: string;
  /** The backup snapshot (default hwayo-prod-db-backup-latest, the one preflight's rds-snapshot check requires). */
  snapshot?: string;
}
