// `report`: the release report (markdown, or --json) from the workflow result; for a release still
// running, a report of where it is so far, from its status and audit log.
import { writeFileSync } from 'node:fs';
import { auditQuery, type AuditEntry, type ReleaseStatus } from '../workflows/definitions';
import { renderReportMarkdown } from '../workflows/report';
import { EXIT, optional, parse, usageError, type Command, type Io } from './cli';
import { CONNECTION_HELP, CONNECTION_OPTIONS, withClient } from './connection';
import { releaseInput, viewRelease } from './release';
import { renderStatus } from './status';

const HELP = `Usage: hwayo-release report RELEASE-ID [--json] [--out FILE]

Prints the release report: outcome, approvals, preflight results, traffic steps, analyses,
compensations, timeline and audit log (markdown, or the JSON ReleaseReport with --json). For a
release still running: its current status and audit log so far.

  --json       JSON instead of markdown
  --out FILE   write to FILE instead of stdout

${CONNECTION_HELP}`;

export function renderInterimMarkdown(s: ReleaseStatus, audit: AuditEntry[], statusText: string): string {
  return (
    [
      `# Release report (in progress): ${s.app} ${s.version} (${s.imageTag})`,
      '',
      `- Release: \`${s.releaseId}\``,
      `- Stage: **${s.stage}**, green weight ${s.greenWeight}%`,
      '',
      '## Status',
      '',
      '```',
      statusText,
      '```',
      '',
      '## Audit',
      '',
      ...(audit.length
        ? audit.map(
            (e) =>
              `- ${e.at} ${e.action}${e.by ? ` by ${e.by}` : ''}: ${e.accepted ? 'accepted' : 'refused'}; ${e.detail}`,
          )
        : ['Nothing yet.']),
    ].join('\n') + '\n'
  );
}

export const report: Command = {
  summary: 'print the release report (markdown or --json)',
  help: HELP,
  async run(argv: string[], io: Io) {
    const args = parse(argv, { ...CONNECTION_OPTIONS, json: { type: 'boolean' }, out: { type: 'string' } }, HELP, io, {
      min: 1,
      max: 1,
      names: 'RELEASE-ID',
    });
    if (!args) return EXIT.ok;
    const id = args.positionals[0];
    const text = await withClient(args.values, io, async ({ client }) => {
      const view = await viewRelease(client, id);
      if (view.running) {
        const audit = await view.handle.query(auditQuery);
        if (args.values.json)
          return JSON.stringify({ releaseId: id, running: true, status: view.status, audit }, null, 2);
        const plan = await releaseInput(client, id).then(
          (i) => i.plan,
          () => undefined,
        );
        return renderInterimMarkdown(view.status, audit, renderStatus(view.status, plan));
      }
      if (!view.result)
        return args.values.json
          ? JSON.stringify({ releaseId: id, running: false, closedAs: view.closedAs, failure: view.failure }, null, 2)
          : `# ${id}\n\nThe workflow ${view.closedAs.toLowerCase()} without a report: ${view.failure ?? ''}\n`;
      return args.values.json ? JSON.stringify(view.result.report, null, 2) : renderReportMarkdown(view.result.report);
    });
    const out = optional(args.values, 'out');
    if (out) {
      try {
        writeFileSync(out, text.endsWith('\n') ? text : `${text}\n`);
      } catch (err) {
        throw usageError(`cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      io.err(`report written to ${out}`);
    } else {
      io.out(text);
    }
    return EXIT.ok;
  },
};
