// `incident ack|resolve|status`: the incident a release opened (incident.ts), taken and resolved with
// statements signed like controls (the plan's operator and approver keys; the incident's nonce).
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import {
  ackIncidentUpdate,
  incidentIdOf,
  incidentStatusQuery,
  resolveIncidentUpdate,
  type IncidentAction,
  type IncidentRequest,
  type IncidentStatus,
} from '../workflows/incident-definitions';
import { signIncidentStatement } from '../workflows/incident-signatures';
import { nameProblem, textProblem } from '../workflows/request-limits';
import { actor, CliError, EXIT, EXIT_CODES_HELP, optional, parse, usageError, type Command, type Io } from './cli';
import { CONNECTION_HELP, CONNECTION_OPTIONS, withClient } from './connection';
import { signedCommand } from './signed-command';

/** An incident id, or the id of the release that opened it. */
export const incidentId = (arg: string): string => (arg.endsWith('-incident') ? arg : incidentIdOf(arg));

async function runningIncident(client: Client, id: string) {
  const handle = client.workflow.getHandle(id);
  const { status, runId } = await handle.describe();
  if (status.name !== 'RUNNING')
    throw new CliError(`incident ${id} is no longer open (${status.name.toLowerCase()})`, EXIT.refused);
  return { handle, runId };
}

export function statusLines(s: IncidentStatus): string[] {
  return [
    `${s.incidentId}: ${s.severity} incident, ${s.state} (release ${s.releaseId})`,
    `cause: ${s.cause}`,
    `opened ${s.openedAt}${s.respondBy ? `; escalates unless taken by ${s.respondBy}` : ''}`,
    ...(s.commander ? [`commander: ${s.commander}${s.acknowledgedAt ? ` since ${s.acknowledgedAt}` : ''}`] : []),
    ...(s.resolvedAt ? [`resolved ${s.resolvedAt} by ${s.resolvedBy}`] : []),
    `escalations: ${s.escalations}; status updates: ${s.updates}; nonce: ${s.nonce}`,
    ...(s.review ? [`review: ${s.review}`] : []),
  ];
}

const actionHelp = (
  action: IncidentAction,
) => `Usage: hwayo-release incident ${action} INCIDENT [--by NAME] [--key FILE] [--note TEXT] [--json]

${action === 'ack' ? 'Takes the incident as its commander: it stops escalating (status updates go on).' : 'Resolves the incident: status updates stop and the post-incident review is stored in S3.'}
INCIDENT is the incident's id or the id of the release that opened it.

  --by NAME    who (default HWAYO_USER or the login name): your operator or approver id in the plan
  --key FILE   your private key (mode 0600): signs (incident, run, action, by, note, time and the
               incident's current nonce, so the statement is good once); required unless the plan
               sets approval.allowUnsigned. HWAYO_APPROVER_KEY may name the file instead.
  --note TEXT  recorded with it (one line, at most 1,000 characters)
  --json       print the incident's record of it

Exits 0 when the incident accepted it and 7 when it refused it (the reason is printed).

${CONNECTION_HELP}

${EXIT_CODES_HELP}`;

function actionCommand(action: IncidentAction): Command {
  const help = actionHelp(action);
  return signedCommand({
    summary: action === 'ack' ? 'take an incident as its commander (signed)' : 'resolve an incident (signed)',
    help,
    options: { by: { type: 'string' }, note: { type: 'string' } },
    positionals: { min: 1, max: 1, names: 'INCIDENT' },
    async run(args, io) {
      const v = args.values;
      const id = incidentId(args.positionals[0]);
      const req: IncidentRequest = { by: actor(v, io), note: optional(v, 'note') };
      const problem = nameProblem('--by', req.by) ?? textProblem('--note', req.note);
      if (problem) throw usageError(problem);
      const privateKey = args.privateKey();
      return withClient(v, io, async ({ client }) => {
        const { handle, runId } = await runningIncident(client, id);
        if (privateKey) {
          const { nonce } = await handle.query(incidentStatusQuery);
          req.signedAt = new Date().toISOString();
          req.nonce = nonce;
          const statement = {
            incidentId: id,
            runId,
            action,
            by: req.by,
            note: req.note,
            signedAt: req.signedAt,
            nonce,
          };
          req.signature = signIncidentStatement(statement, privateKey);
        }
        const update = action === 'ack' ? ackIncidentUpdate : resolveIncidentUpdate;
        const entry = await handle.executeUpdate(update, { args: [req] }).catch((err: unknown) => {
          if (!(err instanceof WorkflowUpdateFailedError)) throw err;
          throw new CliError(
            `${action} refused by ${id}: ${(err.cause as Error)?.message ?? err.message}`,
            EXIT.refused,
          );
        });
        io.out(v.json ? JSON.stringify(entry) : `${id}: ${entry.event}`);
        return EXIT.ok;
      });
    },
  });
}

const STATUS_HELP = `Usage: hwayo-release incident status INCIDENT [--json]

Shows an incident: severity, state, commander, escalations, status updates, the nonce a signed ack or
resolve names, and the review once resolved. INCIDENT is the incident's id or its release's id.

${CONNECTION_HELP}`;

const statusCommand: Command = {
  summary: 'show an incident',
  help: STATUS_HELP,
  async run(argv: string[], io: Io) {
    const args = parse(argv, { ...CONNECTION_OPTIONS, json: { type: 'boolean' } }, STATUS_HELP, io, {
      min: 1,
      max: 1,
      names: 'INCIDENT',
    });
    if (!args) return EXIT.ok;
    const id = incidentId(args.positionals[0]);
    return withClient(args.values, io, async ({ client }) => {
      const s = await client.workflow.getHandle(id).query(incidentStatusQuery);
      io.out(args.values.json ? JSON.stringify(s) : statusLines(s).join('\n'));
      return EXIT.ok;
    });
  },
};

export const incidentCommands: Record<string, Command> = {
  ack: actionCommand('ack'),
  resolve: actionCommand('resolve'),
  status: statusCommand,
};
