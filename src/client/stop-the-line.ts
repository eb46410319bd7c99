// `hwayo-release freeze` / `unfreeze`: the org-wide stop-the-line. Both are signed by an operator key of the
// platform policy and sent as updates to the singleton workflow hwayo-stop-the-line, started here if it is not
// running yet. `start` consults it too, so a frozen org refuses a new release before it is submitted.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { stopTheLineState } from '../stop-the-line-state';
import { DEFAULT_TASK_QUEUE } from '../workflows/definitions';
import { signText } from '../workflows/signatures';
import {
  STOP_THE_LINE_ID,
  stopTheLineStatement,
  stopTheLineUpdate,
  type StopTheLineRequest,
} from '../workflows/stop-the-line-defs';
import { actor, CliError, EXIT, EXIT_CODES_HELP, optional, required, type Command } from './cli';
import { CONNECTION_HELP, withClient } from './connection';
import { signedCommand } from './signed-command';

/** Refuses a new release while the line is stopped (the workflow refuses it too). */
export async function refuseWhileStopped(client: Client): Promise<void> {
  const s = await stopTheLineState(client);
  if (s.frozen)
    throw new CliError(
      `stop-the-line by ${s.by} since ${s.since}: ${s.reason}. No release starts until \`hwayo-release unfreeze\``,
      EXIT.refused,
    );
}

async function ensureRunning(client: Client, taskQueue: string): Promise<void> {
  try {
    await client.workflow.start('stopTheLineWorkflow', { args: [{}], taskQueue, workflowId: STOP_THE_LINE_ID });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

function command(action: 'freeze' | 'unfreeze'): Command {
  const help = `Usage: hwayo-release ${action} --reason TEXT --key FILE [--by ID] [--json]

${
  action === 'freeze'
    ? 'Stops the line for the whole organisation: every running release holds before its next traffic increase\n(its analysis and rollback triggers keep acting) and no new release starts.'
    : 'Lifts the stop-the-line: held releases move on at their next check (within a minute), new ones may start.'
}
Signed by an operator of the platform policy (--key, default HWAYO_APPROVER_KEY); --by defaults to HWAYO_USER.

Options:
  --reason TEXT         why (required; recorded and shown in every held release's status)
  --key FILE            the operator's private key file (hwayo-release keys generate)
  --by ID               the operator id the policy lists
  --task-queue NAME     the worker task queue (default HWAYO_TASK_QUEUE or "${DEFAULT_TASK_QUEUE}")
  --json                print the state as JSON

${CONNECTION_HELP}

${EXIT_CODES_HELP}`;
  return signedCommand({
    summary: action === 'freeze' ? 'stop the line: hold every release, refuse new ones' : 'lift the stop-the-line',
    help,
    options: { reason: { type: 'string' }, by: { type: 'string' }, 'task-queue': { type: 'string' } },
    positionals: { min: 0, max: 0, names: '' },
    async run(args, io) {
      const v = args.values;
      const reason = required(v, 'reason');
      const privateKey = args.privateKey();
      if (!privateKey)
        throw new CliError(`${action} is signed: pass --key FILE (or set HWAYO_APPROVER_KEY)`, EXIT.usage);
      const by = actor(v, io);
      const taskQueue = optional(v, 'task-queue') ?? io.env.HWAYO_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
      return withClient(v, io, async ({ client }) => {
        await ensureRunning(client, taskQueue);
        // Signed for this singleton's state: its seq and, once it has one, its chain (the first run's id).
        const { seq, chain } = await stopTheLineState(client);
        const base = { action, by, reason, seq, ...(chain === undefined ? {} : { chain }) };
        const req: StopTheLineRequest = { ...base, signature: signText(stopTheLineStatement(base), privateKey) };
        const answer = await client.workflow
          .getHandle(STOP_THE_LINE_ID)
          .executeUpdate(stopTheLineUpdate, { args: [req] });
        if (!answer.accepted) throw new CliError(`${action} refused: ${answer.detail}`, EXIT.refused);
        const s = answer.state;
        io.out(v.json ? JSON.stringify(s) : s.frozen ? `frozen by ${s.by} since ${s.since}: ${s.reason}` : 'unfrozen');
        return EXIT.ok;
      });
    },
  });
}

export const stopTheLineCommands: Record<string, Command> = {
  freeze: command('freeze'),
  unfreeze: command('unfreeze'),
};
