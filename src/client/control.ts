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
  type ReleaseStatus,
} from '../workflows/definitions';
import { planDigest, signControlStatement, signStatement, type ControlAction } from '../workflows/signatures';
import { actor, CliError, EXIT, EXIT_CODES_HELP, optional, required, usageError, type Command, type Io } from './cli';
import { CONNECTION_HELP, withClient } from './connection';
import { signedCommand } from './signed-command';
import { reviewedPlan, reviewMismatch } from './expect-plan';
import { nameProblem, textProblem } from '../workflows/request-limits';
import { releaseInput, requireRunning } from './release';
import { approvalStatement, controlStatement, signingLine } from './statements';
import { confirmedRollbackReason, ROLLBACK_HELP, ROLLBACK_OPTIONS } from './rollback-reason';

/** The workflow refuses a request out of its bounds (request-limits.ts): say so before anything is sent. */
function withinLimits(...problems: (string | undefined)[]): void {
  const problem = problems.find((p) => p !== undefined);
  if (problem) throw usageError(problem);
}

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
) => `Usage: hwayo-release ${d} RELEASE-ID --as APPROVER-ID [--role ROLE] [--key FILE] [--expect-plan FILE]
         [--comment TEXT] [--json]

${d === 'approve' ? 'Approves' : 'Rejects'} a release waiting at the approval gate, as an approver listed in its plan.
${d === 'reject' ? 'One accepted rejection ends the release (outcome "rejected").\n' : ''}
  --as APPROVER-ID   your approver id in the plan (approval.approvers[].id)
  --role ROLE        the role you decide for (default: your role in the release's plan)
  --key FILE         your private key (from "keys generate"; mode 0600, refused when group or others
                     may read it): signs the statement (workflow id,
                     first run id, decision, role, approver, time, and what is released: version,
                     image tag, the plan's digest and the last known good tag the emergency path
                     would deploy, printed before signing); required unless the plan sets
                     approval.allowUnsigned. HWAYO_APPROVER_KEY may name the file instead.
  --expect-plan FILE the plan you reviewed: with --key, nothing is signed unless the release runs exactly
                     this plan (same digest); the plan and platform policy digests are printed first
  --comment TEXT     recorded with the decision (one line, at most 1,000 characters)
  --json             print the workflow's record of the decision

Ids and roles are 1-63 letters, digits, ".", "_" or "-", matched exactly (no trimming, no case folding).

Exits 0 when the workflow accepted the decision and 7 when it refused it (the reason is printed).

${CONNECTION_HELP}

${EXIT_CODES_HELP}`;

function decisionCommand(decision: Decision): Command {
  const help = decisionHelp(decision);
  const update = decision === 'approve' ? approveUpdate : rejectUpdate;
  return signedCommand({
    summary:
      decision === 'approve'
        ? 'approve a release at the approval gate (signed with --key)'
        : 'reject a release at the approval gate',
    help,
    options: {
      as: { type: 'string' },
      role: { type: 'string' },
      'expect-plan': { type: 'string' },
      comment: { type: 'string' },
    },
    positionals: { min: 1, max: 1, names: 'RELEASE-ID' },
    async run(args, io) {
      const v = args.values;
      const id = args.positionals[0];
      const approverId = required(v, 'as');
      withinLimits(
        nameProblem('--as', approverId),
        v.role === undefined ? undefined : nameProblem('--role', v.role),
        textProblem('--comment', v.comment),
      );
      const privateKey = args.privateKey();
      const expectPlan = optional(v, 'expect-plan');
      if (expectPlan && !privateKey) throw usageError('--expect-plan goes with --key: it guards what you sign');
      // The digest of the plan the person reviewed, as `start` would have sent it.
      const reviewed = expectPlan ? reviewedPlan(expectPlan) : undefined;
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
          const status = await signingStatus(client, handle, id, io);
          const mismatch = reviewed && reviewMismatch(id, reviewed, status);
          if (mismatch) throw new CliError(mismatch, EXIT.refused);
          req.signedAt = new Date().toISOString();
          const base = { workflowId: id, runId: firstRunId, decision, role, approverId, signedAt: req.signedAt };
          req.signature = signStatement(status ? approvalStatement(base, status) : base, privateKey);
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
  });
}

/**
 * The release's status, to sign against (statements.ts builds the statement from it). The plan digest
 * is recomputed from the plan the release was started with (and the last known good tag read from its
 * input), so a person signs only what they can see. Undefined for releases started before signed subjects.
 */
async function signingStatus(
  client: Client,
  handle: { query: (q: typeof statusQuery) => Promise<ReleaseStatus> },
  id: string,
  io: Io,
): Promise<ReleaseStatus | undefined> {
  const s = await handle.query(statusQuery);
  if (!s.planDigest) return undefined;
  const input = await releaseInput(client, id);
  const local = planDigest(input.plan);
  if (local !== s.planDigest)
    throw new CliError(
      `the plan of ${id} does not match the digest the release reports (${s.planDigest} vs ${local}); not signing`,
      EXIT.refused,
    );
  if (s.approvalStatement === 3 && (s.lastKnownGoodTag ?? '') !== (input.lastKnownGoodTag ?? ''))
    throw new CliError(
      `the last known good tag of ${id} does not match what the release reports (${s.lastKnownGoodTag ?? 'none'} vs ${input.lastKnownGoodTag ?? 'none'}); not signing`,
      EXIT.refused,
    );
  io.err(signingLine(id, s));
  return s;
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
  const help = `Usage: hwayo-release ${action} RELEASE-ID ${action === 'rollback' ? '--reason TEXT --category CAT [--yes]' : '[--reason TEXT]'} [--by NAME] [--key FILE] [--json]

${spec.text}

  --reason TEXT   why (recorded in the audit log${action === 'rollback' ? ' and the notifications; required' : ''});
                  one line, at most 1,000 characters${action === 'rollback' ? `\n${ROLLBACK_HELP}` : ''}
  --by NAME       who (default HWAYO_USER or the login name); your operator or approver id
                  in the plan when you sign; 1-63 letters, digits, ".", "_" or "-", and a
                  listed id in another case (Alice for alice) is refused
  --key FILE      your private key (mode 0600, refused when group or others may read it): signs
                  (workflow id, run, action, by, reason, time, version, image tag, plan digest, and
                  the release's stage, step and current nonce, so the statement is good once, now).
                  ${keyText}
                  HWAYO_APPROVER_KEY may name the file instead.
  --json          print the workflow's audit entry

Exits 0 when the workflow accepted the request and 7 when it refused it (the reason is printed).

${CONNECTION_HELP}

${EXIT_CODES_HELP}`;
  return signedCommand({
    summary: spec.summary,
    help,
    options: {
      reason: { type: 'string' },
      by: { type: 'string' },
      ...(action === 'rollback' ? ROLLBACK_OPTIONS : {}),
    },
    positionals: { min: 1, max: 1, names: 'RELEASE-ID' },
    async run(args, io) {
      const v = args.values;
      const id = args.positionals[0];
      withinLimits(textProblem('--reason', v.reason));
      const reason = action === 'rollback' ? await confirmedRollbackReason(id, v, io) : optional(v, 'reason');
      const privateKey = args.privateKey();
      const req: ControlRequest = { by: actor(v, io), reason };
      withinLimits(nameProblem('--by', req.by), textProblem('--reason', reason));
      return withClient(v, io, async ({ client }) => {
        if (privateKey) await signControl(client, id, action, req, privateKey, io);
        const entry = await control(client, id, action, req);
        io.out(v.json ? JSON.stringify(entry) : `${id}: ${action} accepted (${entry.detail})`);
        return EXIT.ok;
      });
    },
  });
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
  const status = await signingStatus(client, handle, id, io);
  req.signedAt = new Date().toISOString();
  const base = { workflowId: id, runId: firstRunId, action, by: req.by, reason: req.reason, signedAt: req.signedAt };
  const statement = status && controlStatement(base, status);
  if (!statement)
    throw new CliError(`release ${id} was started before signed controls; send ${action} without --key`, EXIT.refused);
  // A release that issues nonces verifies control v2: good at this stage and step, once.
  if ('nonce' in statement) req.nonce = statement.nonce;
  req.signature = signControlStatement(statement, privateKey);
}

export async function control(
  client: Client,
  id: string,
  action: ControlAction,
  req: ControlRequest,
): Promise<AuditEntry> {
  withinLimits(nameProblem('--by', req.by), textProblem('--reason', req.reason));
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
