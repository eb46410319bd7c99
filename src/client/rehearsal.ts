// `hwayo-release rehearsal schedule|run`: the restore rehearsal (src/workflows/restore-rehearsal.ts) on a Temporal
// Schedule, or once now. Its record is what the `restore-rehearsal` preflight check reads.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { RehearsalRecord } from '../activities/aws/rehearsal';
import { parseDuration } from '../plan/duration';
import { DEFAULT_TASK_QUEUE } from '../workflows/definitions';
import { DEFAULT_BACKUP_SNAPSHOT, DEFAULT_REHEARSAL_DATABASE, type RehearsalInput } from '../workflows/rehearsal-defs';
import { CliError, EXIT, EXIT_CODES_HELP, optional, parse, usageError, type Command, type Io } from './cli';
import { CONNECTION_HELP, CONNECTION_OPTIONS, withClient } from './connection';

export const REHEARSAL_SCHEDULE_PREFIX = 'hwayo-rehearsal-schedule-';
const HOUR = 3_600_000;
const RDS_ID = /^[a-zA-Z][a-zA-Z0-9-]{0,62}$/;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  database: { type: 'string' },
  snapshot: { type: 'string' },
  every: { type: 'string' },
  'task-queue': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const HELP = `Usage: hwayo-release rehearsal schedule [--every 24h] [--database ID] [--snapshot ID] [options]
       hwayo-release rehearsal run [--database ID] [--snapshot ID] [options]

Restore rehearsal (SEED 9 "rollback script tested"): restores the backup snapshot into a scratch RDS instance,
checks it (available, the snapshot's engine, encrypted), deletes it, and records the outcome in the worker's
rehearsal bucket (HWAYO_REHEARSAL_BUCKET) under rehearsals/<database>/latest.json, which the preflight check
\`restore-rehearsal\` reads. \`schedule\` creates a Temporal Schedule running it every --every; \`run\` runs it
now, waits and prints the record (exit 0 when it succeeded, 5 when it failed).

Options:
  --database ID      the production instance (default ${DEFAULT_REHEARSAL_DATABASE})
  --snapshot ID      the backup snapshot (default ${DEFAULT_BACKUP_SNAPSHOT})
  --every DURATION   schedule interval, 1h to 7d (default 24h)
  --task-queue NAME  worker task queue (default HWAYO_TASK_QUEUE or "${DEFAULT_TASK_QUEUE}")
  --json             machine-readable output

${CONNECTION_HELP}

${EXIT_CODES_HELP}`;

function rehearsalInput(v: Record<string, unknown>): Required<RehearsalInput> {
  const database = optional(v, 'database') ?? DEFAULT_REHEARSAL_DATABASE;
  const snapshot = optional(v, 'snapshot') ?? DEFAULT_BACKUP_SNAPSHOT;
  for (const [flag, id] of [
    ['database', database],
    ['snapshot', snapshot],
  ])
    if (!RDS_ID.test(id)) throw usageError(`--${flag} ${JSON.stringify(id)} is not an RDS identifier`);
  return { database, snapshot };
}

function interval(v: Record<string, unknown>): number {
  const raw = optional(v, 'every') ?? '24h';
  const ms = parseDuration(raw);
  if (ms === undefined || ms < HOUR || ms > 7 * 24 * HOUR)
    throw usageError(`--every must be a duration from 1h to 7d (got ${JSON.stringify(raw)})`);
  return ms;
}

async function schedule(client: Client, io: Io, input: Required<RehearsalInput>, every: number, taskQueue: string) {
  const scheduleId = `${REHEARSAL_SCHEDULE_PREFIX}${input.database}`;
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'restoreRehearsalWorkflow',
        args: [input],
        taskQueue,
        workflowId: `hwayo-rehearsal-${input.database}`,
      },
      // One scratch instance at a time.
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      state: { note: `restore rehearsal of ${input.database} from ${input.snapshot}` },
    });
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning)
      throw new CliError(
        `${scheduleId} already exists (temporal schedule delete --schedule-id ${scheduleId})`,
        EXIT.refused,
      );
    throw err;
  }
  return scheduleId;
}

function printRecord(io: Io, record: RehearsalRecord, json: boolean) {
  if (json) return io.out(JSON.stringify(record));
  io.out(`restore rehearsal of ${record.database} ${record.ok ? 'succeeded' : 'FAILED'} at ${record.at}`);
  io.out(`  snapshot ${record.snapshot}, scratch instance ${record.scratch}: ${record.detail}`);
}

export const rehearsal: Command = {
  summary: 'restore rehearsal of the database backup: schedule it (Temporal Schedule) or run it now',
  help: HELP,
  async run(argv: string[], io: Io) {
    const args = parse(argv, OPTIONS, HELP, io, { min: 1, max: 1, names: 'schedule | run' });
    if (!args) return EXIT.ok;
    const v = args.values;
    const action = args.positionals[0];
    if (action !== 'schedule' && action !== 'run') throw usageError(`unknown rehearsal command ${action}`);
    const input = rehearsalInput(v);
    const taskQueue = optional(v, 'task-queue') ?? io.env.HWAYO_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
    if (action === 'schedule') {
      const every = interval(v);
      return withClient(v, io, async ({ client }) => {
        const scheduleId = await schedule(client, io, input, every, taskQueue);
        io.out(v.json ? JSON.stringify({ scheduleId, everyMs: every }) : `${scheduleId}: every ${every / HOUR} h`);
        return EXIT.ok;
      });
    }
    if (v.every !== undefined) throw usageError('--every is for rehearsal schedule');
    return withClient(v, io, async ({ client }) => {
      const record = await client.workflow.execute<(i: RehearsalInput) => Promise<RehearsalRecord>>(
        'restoreRehearsalWorkflow',
        { args: [input], taskQueue, workflowId: `hwayo-rehearsal-${input.database}-${Date.now()}` },
      );
      printRecord(io, record, Boolean(v.json));
      return record.ok ? EXIT.ok : EXIT.failed;
    });
  },
};
