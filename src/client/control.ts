// Decisions and controls, all sent as workflow UPDATES: the workflow answers each one, so a refusal
// (wrong role, unsigned, nothing to pause, already finished...) is an error and a non-zero exit.
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import {
  abortUpdate,
  approveUpdate,
  pauseUpdate,
  promoteUpdate,
  rejectUpdate,
  resumeUpdate,
  rollbackUpdate,
  statusQuery,
  type ApprovalRecord,
  type ApprovalRequest,
  type AuditEntry,
  type ControlRequest,
  type Decision,
} from '../workflows/definitions';
import {
  planDigest,
  signControlStatement,
  signStatement,
  type ControlAction,
  type Subject,
} from '../workflows/signatures';
import {
  actor,
  CliError,
  EXIT,
  EXIT_CODES_HELP,
  optional,
  parse,
  required,
  usageError,
  type Command,
  type Io,
} from './cli';
import { CONNECTION_HELP, CONNECTION_OPTIONS, withClient } from './connection';
import { readPrivateKey } from './keys';
import { releaseInput, requireRunning } from './release';

/** Runs an update; a refusal by the workflow becomes exit 7 with the workflow's reason. */
async function runUpdate<R>(what: string, id: string, fn: () => Promise<R>): Promise<R> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause as Error | undefined;
      throw new CliError(`${what} refused by ${id}: ${cause?.message ?? err.message}`, EXIT.refused);
    }
    const msg = (err as Error).message ?? '';
    if (/already completed|workflow execution already completed|not found/i.test(msg))
      throw new CliError(`${what} not possible: release ${id} has already finished`, EXIT.refused);
    throw err;
  }
}

const decisionHelp = (
  d: Decision,
) => `Usage: hwayo-release ${d} RELEASE-ID --as APPROVER-ID [--role ROLE] [--key FILE] [--comment TEXT] [--json]

${d === 'approve' ? 'Approves' : 'Rejects'} a release waiting at the approval gate, as an approver listed in its plan.
${d === 'reject' ? 'One accepted rejection ends the release (outcome "rejected").\n' : ''}
  --as APPROVER-ID   your approver id in the plan (approval.approvers[].id)
  --role ROLE        the role you decide for (default: your role in the release's plan)
  --key FILE         your private key (from "keys generate"): signs the statement (workflow id,
                     first run id, decision, role, approver, time, and what is released: version,
                     image tag and the plan's digest, printed before signing); required unless the
                     plan sets approval.allowUnsigned. HWAYO_APPROVER_KEY may name the file instead.
  --comment TEXT     recorded with the decision
  --json             print the workflow's record of the decision

Exits 0 when the workflow accepted the decision and 7 when it refused it (the reason is printed).

${CONNECTION_HELP}

${EXIT_CODES_HELP}`;

function decisionCommand(decision: Decision): Command {
  const help = decisionHelp(decision);
  const update = decision === 'approve' ? approveUpdate : rejectUpdate;
  return {
    summary:
      decision === 'approve'
        ? 'approve a release at the approval gate (signed with --key)'
        : 'reject a release at the approval gate',
    help,
    async run(argv: string[], io: Io) {
      const args = parse(
        argv,
        {
          ...CONNECTION_OPTIONS,
          as: { type: 'string' },
          role: { type: 'string' },
          key: { type: 'string' },
          comment: { type: 'string' },
          json: { type: 'boolean' },
        },
        help,
        io,
        { min: 1, max: 1, names: 'RELEASE-ID' },
      );
      if (!args) return EXIT.ok;
      const v = args.values;
      const id = args.positionals[0];
      const approverId = required(v, 'as');
      const keyFile = optional(v, 'key') ?? io.env.HWAYO_APPROVER_KEY;
      const privateKey = keyFile ? readPrivateKey(keyFile) : undefined;
      return withClient(v, io, async ({ client }) => {
        const { handle, firstRunId } = await requireRunning(client, id);
        let role = optional(v, 'role');
        if (!role) {
          const plan = (await releaseInput(client, id)).plan;
          const me = plan.approval.approvers.find((a) => a.id === approverId);
          if (!me)
            throw new CliError(
              `approver "${approverId}" is not listed in the plan of ${id} (approvers: ${plan.approval.approvers.map((a) => a.id).join(', ')})`,
              EXIT.refused,
            );
          role = me.role;
        }
        const req: ApprovalRequest = { approverId, role, decision, comment: optional(v, 'comment') };
        if (privateKey) {
          const subject = await signingSubject(client, handle, id, io);
          req.signedAt = new Date().toISOString();
          const base = { workflowId: id, runId: firstRunId, decision, role, approverId, signedAt: req.signedAt };
          req.signature = signStatement(subject ? { ...base, ...subject } : base, privateKey);
        }
        const record: ApprovalRecord = await runUpdate(decision, id, () =>
          handle.executeUpdate(update, { args: [req] }),
        );
        if (v.json) {
          io.out(JSON.stringify(record));
        } else {
          const after = await handle.query(statusQuery).catch(() => undefined);
          const rest =
            after && decision === 'approve'
              ? after.missingRoles.length
                ? `; still waiting for ${after.missingRoles.join(', ')}`
                : '; every required role has approved'
              : '';
          io.out(
            `${id}: ${approverId} (${role}) ${decision}d${record.signature ? ' with a signed statement' : ''}${rest}`,
          );
        }
        return EXIT.ok;
      });
    },
  };
}

/**
 * What a signature names: version, image tag and plan digest from the running release. The digest is
 * recomputed from the plan the release was started with, so a person signs only what they can see.
 * Undefined for releases started before signed subjects (they verify the v1 statement).
 */
async function signingSubject(
  client: Client,
  handle: { query: (q: typeof statusQuery) => Promise<{ version: string; imageTag: string; planDigest?: string }> },
  id: string,
  io: Io,
): Promise<Subject | undefined> {
  const s = await handle.query(statusQuery);
  if (!s.planDigest) return undefined;
  const local = planDigest((await releaseInput(client, id)).plan);
  if (local !== s.planDigest)
    throw new CliError(
      `the plan of ${id} does not match the digest the release reports (${s.planDigest} vs ${local}); not signing`,
      EXIT.refused,
    );
  io.err(`signing for ${id}: version ${s.version}, image ${s.imageTag}, plan ${s.planDigest}`);
  return { version: s.version, imageTag: s.imageTag, planDigest: s.planDigest };
}

const CONTROL: Record<ControlAction, { update: typeof abortUpdate; summary: string; text: string }> = {
  abort: {
    update: abortUpdate,
    summary: 'abort a release (rolls back whatever it changed)',
    text: 'Aborts the release: before approval it simply ends; after production changed it rolls back.',
  },
  pause: {
    update: pauseUpdate,
    summary: 'pause the current watch window',
    text: "Pauses the watch window in progress (canary or full switch): promotion and the window's clock stop; analysis keeps running, rollback triggers and green's health failures still roll back. The pause ends by itself after canary.maxPause (1h by default).",
  },
  resume: {
    update: resumeUpdate,
    summary: 'resume a paused release',
    text: 'Resumes a paused release (also one paused by inconclusive metrics).',
  },
  promote: {
    update: promoteUpdate,
    summary: 'skip the remaining canary steps, or end the retention window early',
    text: 'During the canary: skips the remaining canary steps and goes to the full switch. During retention (after success): ends the rollback window now; blue is deleted and the release is final, so the next release can start.',
  },
  rollback: {
    update: rollbackUpdate,
    summary: 'roll back (also within the retention window after success)',
    text: 'Rolls back: traffic to blue, blue verified, green deleted. Also after success, while blue is kept (retention window): there blue is scaled back and ready before traffic moves, and, when the plan requires signatures, the rollback must be signed by a listed operator or approver (--key).',
  },
};

function controlCommand(action: ControlAction): Command {
  const spec = CONTROL[action];
  const keyText =
    action === 'promote' || action === 'resume'
      ? `A ${action} must be signed by an operator or approver of the plan
                  unless the plan sets approval.allowUnsigned.`
      : `Not needed to ${action}, but a name listed with a key in the plan is
                  believed only when signed.`;
  const help = `Usage: hwayo-release ${action} RELEASE-ID ${action === 'rollback' ? '--reason TEXT' : '[--reason TEXT]'} [--by NAME] [--key FILE] [--json]

${spec.text}

  --reason TEXT   why (recorded in the audit log${action === 'rollback' ? ' and the notifications; required' : ''})
  --by NAME       who (default HWAYO_USER or the login name); your operator or approver id
                  in the plan when you sign
  --key FILE      your private key: signs (workflow id, run, action, by, reason, time, version,
                  image tag, plan digest). ${keyText}
                  HWAYO_APPROVER_KEY may name the file instead.
  --json          print the workflow's audit entry

Exits 0 when the workflow accepted the request and 7 when it refused it (the reason is printed).

${CONNECTION_HELP}

${EXIT_CODES_HELP}`;
  return {
    summary: spec.summary,
    help,
    async run(argv: string[], io: Io) {
      const args = parse(
        argv,
        {
          ...CONNECTION_OPTIONS,
          reason: { type: 'string' },
          by: { type: 'string' },
          key: { type: 'string' },
          json: { type: 'boolean' },
        },
        help,
        io,
        { min: 1, max: 1, names: 'RELEASE-ID' },
      );
      if (!args) return EXIT.ok;
      const v = args.values;
      const id = args.positionals[0];
      const reason = action === 'rollback' ? required(v, 'reason') : optional(v, 'reason');
      const keyFile = optional(v, 'key') ?? io.env.HWAYO_APPROVER_KEY;
      const privateKey = keyFile ? readPrivateKey(keyFile) : undefined;
      const req: ControlRequest = { by: actor(v, io), reason };
      return withClient(v, io, async ({ client }) => {
        if (privateKey) await signControl(client, id, action, req, privateKey, io);
        const entry = await control(client, id, action, req);
        io.out(v.json ? JSON.stringify(entry) : `${id}: ${action} accepted (${entry.detail})`);
        return EXIT.ok;
      });
    },
  };
}

/** Adds the signature of a control statement (see signatures.ts) to `req`. */
export async function signControl(
  client: Client,
  id: string,
  action: ControlAction,
  req: ControlRequest,
  privateKey: Uint8Array,
  io: Io,
): Promise<void> {
  const { handle, firstRunId } = await requireRunning(client, id);
  const subject = await signingSubject(client, handle, id, io);
  if (!subject)
    throw new CliError(`release ${id} was started before signed controls; send ${action} without --key`, EXIT.refused);
  req.signedAt = new Date().toISOString();
  req.signature = signControlStatement(
    { workflowId: id, runId: firstRunId, action, by: req.by, reason: req.reason, signedAt: req.signedAt, ...subject },
    privateKey,
  );
}

export async function control(
  client: Client,
  id: string,
  action: ControlAction,
  req: ControlRequest,
): Promise<AuditEntry> {
  if (!req.by.trim()) throw usageError('--by must not be empty');
  const { handle } = await requireRunning(client, id);
  return runUpdate(action, id, () => handle.executeUpdate(CONTROL[action].update, { args: [req] }));
}

export const controlCommands: Record<string, Command> = {
  approve: decisionCommand('approve'),
  reject: decisionCommand('reject'),
  abort: controlCommand('abort'),
  pause: controlCommand('pause'),
  resume: controlCommand('resume'),
  promote: controlCommand('promote'),
  rollback: controlCommand('rollback'),
};
