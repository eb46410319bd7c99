// `stats`: the DORA metrics of the releases of the last N days, from Temporal visibility (the releases and their
// HwayoApp / HwayoOutcome search attributes) and each finished release's result (its DORA facts).
import type { Client } from '@temporalio/client';
import { doraSummary, renderDoraSummary, type ReleaseFacts } from '../dora/summary';
import { parseDuration } from '../plan/duration';
import { SA_APP, SA_OUTCOME, type ReleaseResult } from '../workflows/definitions';
import { EXIT, optional, parse, usageError, type Command, type Io } from './cli';
import { CONNECTION_HELP, CONNECTION_OPTIONS, withClient } from './connection';
import { listQuery } from './list';

const HELP = `Usage: hwayo-release stats [--since 30d] [--app APP] [--json]

The DORA metrics of the releases started within --since (default 30d), from Temporal visibility:
deployment frequency (releases that moved traffic to green), change failure rate (of those, the ones
rolled back or recovered by the emergency path), lead time (release requested to 100% on green, median)
and time to restore (rollback started to blue verified, median). Releases still running are not counted.

  --since DURATION   how far back (e.g. 7d, 30d, 12h)
  --app APP          one app (HwayoApp)
  --json             the summary as JSON

${CONNECTION_HELP}`;

export interface VisibilityRow {
  workflowId: string;
  runId: string;
  status: string;
  startTime: Date;
  app?: string;
  outcome?: string;
}

/** One row per release: a release continued as new has a row per run, and its last run holds the outcome. */
export function latestRuns(rows: VisibilityRow[]): VisibilityRow[] {
  const byId = new Map<string, VisibilityRow>();
  for (const r of rows) {
    const seen = byId.get(r.workflowId);
    if (
      !seen ||
      (seen.status === 'CONTINUED_AS_NEW' && r.status !== 'CONTINUED_AS_NEW') ||
      r.startTime > seen.startTime
    )
      byId.set(r.workflowId, r);
  }
  return [...byId.values()];
}

export const statsQuery = (sinceIso: string, app?: string): string =>
  listQuery({ app, query: `StartTime >= "${new Date(sinceIso).toISOString()}"` });

async function releaseFacts(client: Client, sinceIso: string, app?: string): Promise<ReleaseFacts[]> {
  const rows: VisibilityRow[] = [];
  for await (const w of client.workflow.list({ query: statsQuery(sinceIso, app), pageSize: 100 }))
    rows.push({
      workflowId: w.workflowId,
      runId: w.runId,
      status: w.status.name,
      startTime: w.startTime,
      app: w.typedSearchAttributes.get(SA_APP),
      outcome: w.typedSearchAttributes.get(SA_OUTCOME),
    });
  return Promise.all(
    latestRuns(rows).map(async (r) => {
      const running = r.status === 'RUNNING';
      const result = running
        ? undefined
        : await client.workflow
            .getHandle(r.workflowId, r.runId)
            .result()
            .then(
              (x) => x as ReleaseResult,
              () => undefined,
            );
      return {
        releaseId: r.workflowId,
        app: r.app ?? '?',
        startedAt: r.startTime.toISOString(),
        // A release that failed or was terminated without a result counts by its search attribute, if any.
        ...(running ? {} : { outcome: result?.outcome ?? r.outcome ?? r.status.toLowerCase() }),
        ...(result?.dora ? { dora: result.dora } : {}),
      };
    }),
  );
}

export const stats: Command = {
  summary: 'DORA metrics of recent releases (deployment frequency, change failure rate, lead time, restore)',
  help: HELP,
  async run(argv: string[], io: Io) {
    const options = {
      ...CONNECTION_OPTIONS,
      since: { type: 'string' },
      app: { type: 'string' },
      json: { type: 'boolean' },
    } as const;
    const args = parse(argv, options, HELP, io, { min: 0, max: 0, names: '' });
    if (!args) return EXIT.ok;
    const sinceText = optional(args.values, 'since') ?? '30d';
    const sinceMs = parseDuration(sinceText);
    if (!sinceMs || typeof sinceText !== 'string' || /^\d+$/.test(sinceText))
      throw usageError(`--since "${sinceText}" is not a duration like 30d, 7d or 12h`);
    const sinceIso = new Date(Date.now() - sinceMs).toISOString();
    const facts = await withClient(args.values, io, ({ client }) =>
      releaseFacts(client, sinceIso, optional(args.values, 'app')),
    );
    const summary = doraSummary(facts, sinceMs / 86_400_000);
    io.out(args.values.json ? JSON.stringify({ since: sinceIso, ...summary }, null, 2) : renderDoraSummary(summary));
    return EXIT.ok;
  },
};
