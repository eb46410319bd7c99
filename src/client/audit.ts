// `audit RELEASE-ID`: the release's audit log, read back from its Object Lock bucket and checked whole (every
// number from 0, an outcome last), beside the release's history from Temporal: while the namespace keeps it, then
// from the cluster's archive (archived-history.ts).
import type { temporal } from '@temporalio/proto';
import { DEFAULT_AUDIT_BUCKET } from '../activities/aws/audit-log';
import { CliError, EXIT, optional, parse, type Command, type Io } from './cli';
import { CONNECTION_HELP, CONNECTION_OPTIONS, releaseHandle, withClient } from './connection';
import { archivedChain, continuedInto } from './archived-history';
import { readAuditLog } from './audit-read';
import { auditLogSummary, historySummary } from './audit-summary';
import { cliS3 } from './s3';

const HELP = `Usage: hwayo-release audit RELEASE-ID [--bucket BUCKET] [--no-history]

Reads the release's audit log back (s3://BUCKET/audit/RELEASE-ID/, one object per operation, each
locked in COMPLIANCE mode for 7 years) and checks it is whole: numbered from 0 without a gap, ending
with the outcome; every version is read, so an entry replaced or deleted later still shows as first
written (and is reported). Then sums up the release's history from Temporal (every run); past the
namespace's retention, from the cluster's history archive (S3) when the namespace archives.
Exits 7 when the log is incomplete or was tampered with.

  --bucket BUCKET   the audit bucket (default: HWAYO_AUDIT_BUCKET, else ${DEFAULT_AUDIT_BUCKET})
  --no-history      the audit log only (no Temporal needed)

AWS: AWS_REGION, AWS_ENDPOINT_URL, credentials from the environment or the default chain.
${CONNECTION_HELP}`;

type Event = temporal.api.history.v1.IHistoryEvent;

export const audit: Command = {
  summary: "read a release's audit log back (and its history) and check it is whole",
  help: HELP,
  async run(argv: string[], io: Io) {
    const options = { ...CONNECTION_OPTIONS, bucket: { type: 'string' }, 'no-history': { type: 'boolean' } } as const;
    const args = parse(argv, options, HELP, io, { min: 1, max: 1, names: 'RELEASE-ID' });
    if (!args) return EXIT.ok;
    const id = args.positionals[0];
    const bucket = optional(args.values, 'bucket') ?? (io.env.HWAYO_AUDIT_BUCKET || DEFAULT_AUDIT_BUCKET);
    const s3 = cliS3(io.env);
    let log;
    try {
      log = await readAuditLog(s3, bucket, id);
    } catch (err) {
      throw new CliError(`cannot read s3://${bucket}/audit/${id}/: ${(err as Error).name}: ${(err as Error).message}`);
    } finally {
      s3.destroy();
    }
    const summary = auditLogSummary(id, bucket, log);
    io.out(summary.lines.join('\n'));
    if (!args.values['no-history']) {
      const history = await withClient(args.values, io, async ({ client, namespace }) => {
        const found = await releaseHandle(client, id).catch((err: unknown) => {
          if (err instanceof CliError && err.code === EXIT.refused) return undefined;
          throw err;
        });
        // Past the namespace's retention the execution is gone: its runs are read back from the archive.
        if (!found) {
          const archived = await archivedChain(client, namespace, id);
          return archived.runs
            ? historySummary(archived.runs, `Temporal archive, ${archived.uri}`)
            : [`History (Temporal): none for ${id}, past the namespace's retention (${archived.why})`];
        }
        const chain: Event[][] = [];
        for (let runId: string | undefined = found.firstRunId; runId; runId = continuedInto(chain[chain.length - 1]))
          chain.push((await client.workflow.getHandle(id, runId).fetchHistory()).events ?? []);
        return historySummary(chain);
      });
      io.out(history.join('\n'));
    }
    if (!summary.complete) throw new CliError(`the audit log of ${id} is not whole (see above)`, EXIT.refused);
    return EXIT.ok;
  },
};
