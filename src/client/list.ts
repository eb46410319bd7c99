// `list`: releases found through visibility on the Hwayo* search attributes.
import { RELEASE_WORKFLOW, SA_APP, SA_OUTCOME, SA_STAGE, SA_VERSION, SA_WEIGHT } from '../workflows/definitions';
import { EXIT, optional, parse, usageError, type Command, type Io } from './cli';
import { CONNECTION_HELP, CONNECTION_OPTIONS, withClient } from './connection';

const HELP = `Usage: hwayo-release list [--app APP] [--stage STAGE] [--outcome OUTCOME] [--running] [--limit N] [--json]

Lists releases, newest first, through a visibility query on the search attributes HwayoApp,
HwayoStage, HwayoOutcome (e.g. --app hwayo --stage awaiting-approval).

  --app APP          HwayoApp
  --stage STAGE      HwayoStage (preflight, awaiting-approval, canary, full-switch, retention, done, ...)
  --outcome OUTCOME  HwayoOutcome (succeeded, rolled-back, rejected, aborted, ...)
  --running          only releases still running
  --query TEXT       an extra visibility clause, ANDed with the others
  --limit N          at most N releases (default 50)
  --json             one JSON object per release (id, runId, status, app, version, stage, weight, outcome, start, close)

${CONNECTION_HELP}`;

const quote = (v: string) => `"${v.replace(/["\\]/g, '\\$&')}"`;

export function listQuery(v: {
  app?: string;
  stage?: string;
  outcome?: string;
  running?: boolean;
  query?: string;
}): string {
  const clauses = [`WorkflowType = ${quote(RELEASE_WORKFLOW)}`];
  if (v.app) clauses.push(`${SA_APP.name} = ${quote(v.app)}`);
  if (v.stage) clauses.push(`${SA_STAGE.name} = ${quote(v.stage)}`);
  if (v.outcome) clauses.push(`${SA_OUTCOME.name} = ${quote(v.outcome)}`);
  if (v.running) clauses.push(`ExecutionStatus = "Running"`);
  if (v.query) clauses.push(`(${v.query})`);
  return clauses.join(' AND ');
}

export const list: Command = {
  summary: 'list releases by app, stage or outcome',
  help: HELP,
  async run(argv: string[], io: Io) {
    const args = parse(
      argv,
      {
        ...CONNECTION_OPTIONS,
        app: { type: 'string' },
        stage: { type: 'string' },
        outcome: { type: 'string' },
        running: { type: 'boolean' },
        query: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
      },
      HELP,
      io,
      { min: 0, max: 0, names: '' },
    );
    if (!args) return EXIT.ok;
    const v = args.values;
    const limit = v.limit === undefined ? 50 : Number(v.limit);
    if (!Number.isInteger(limit) || limit < 1) throw usageError('--limit must be a positive whole number');
    const query = listQuery({
      app: optional(v, 'app'),
      stage: optional(v, 'stage'),
      outcome: optional(v, 'outcome'),
      running: Boolean(v.running),
      query: optional(v, 'query'),
    });
    return withClient(v, io, async ({ client }) => {
      const rows: Record<string, unknown>[] = [];
      for await (const w of client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
        const sa = w.typedSearchAttributes;
        rows.push({
          id: w.workflowId,
          runId: w.runId,
          status: w.status.name,
          app: sa.get(SA_APP),
          version: sa.get(SA_VERSION),
          stage: sa.get(SA_STAGE),
          weight: sa.get(SA_WEIGHT),
          outcome: sa.get(SA_OUTCOME),
          start: w.startTime.toISOString(),
          close: w.closeTime?.toISOString(),
        });
        if (rows.length >= limit) break;
      }
      if (v.json) {
        for (const r of rows) io.out(JSON.stringify(r));
      } else if (!rows.length) {
        io.out(`no releases match ${query}`);
      } else {
        const cols = ['id', 'status', 'stage', 'weight', 'outcome', 'start'] as const;
        const cell = (r: Record<string, unknown>, c: string) =>
          r[c] === undefined ? '-' : c === 'weight' ? `${String(r[c])}%` : String(r[c]);
        const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r, c).length)));
        io.out(
          [
            cols.map((c, i) => c.toUpperCase().padEnd(widths[i])).join('  '),
            ...rows.map((r) => cols.map((c, i) => cell(r, c).padEnd(widths[i])).join('  ')),
          ].join('\n'),
        );
      }
      return EXIT.ok;
    });
  },
};
