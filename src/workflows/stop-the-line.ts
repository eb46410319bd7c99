// The org-wide stop-the-line as a singleton workflow (id hwayo-stop-the-line): the platform owns its state in
// Temporal, so it outlives worker and server restarts. Operators freeze and unfreeze it with signed updates;
// releases ask it (activity readStopTheLine) before they start and before every traffic increase.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { PolicyReading } from '../activities/policy';
import { parsePolicy } from '../policy/schema';
import { continuedByItself } from './checkpoint';
import { errorText } from './exits';
import { call, DEFAULT_OPTIONS } from './proxies';
import { verifyText } from './signatures';
import {
  stopTheLineQuery,
  stopTheLineStatement,
  stopTheLineUpdate,
  type StopTheLineAnswer,
  type StopTheLineRequest,
  type StopTheLineState,
} from './stop-the-line-defs';

const ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const HISTORY_LIMIT = 2_000;

/** Why a request may not change the state; undefined when it may (keys: operator id to public keys). */
export function stopTheLineProblem(
  req: StopTheLineRequest,
  state: StopTheLineState,
  keys: Map<string, string[]>,
): string | undefined {
  if (req.action !== 'freeze' && req.action !== 'unfreeze') return 'action must be freeze or unfreeze';
  if (typeof req.by !== 'string' || !ID.test(req.by)) return '--by must be an operator id';
  if (typeof req.reason !== 'string' || !req.reason.trim() || req.reason.length > 500)
    return 'a reason (1 to 500 characters) is required';
  if (req.seq !== state.seq) return `signed for seq ${req.seq}, the stop-the-line is at ${state.seq}: sign again`;
  if (state.chain !== undefined && req.chain !== state.chain)
    return `signed for another stop-the-line (${req.chain ?? 'none named'}), this one is ${state.chain}: sign again`;
  const known = keys.get(req.by);
  if (!known) return `${req.by} is not an operator of the platform policy`;
  if (typeof req.signature !== 'string' || !known.some((k) => verifyText(stopTheLineStatement(req), req.signature, k)))
    return `the signature is not ${req.by}'s`;
  if (req.action === 'freeze' && state.frozen) return `already frozen by ${state.by}: ${state.reason}`;
  if (req.action === 'unfreeze' && !state.frozen) return 'not frozen';
  return undefined;
}

/** Every operator's keys across the policy's environments; none without a policy (nobody may freeze). */
function operatorKeys(reading: PolicyReading): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  const { policy } = parsePolicy(reading.policy);
  for (const env of policy?.environments ?? [])
    for (const o of env.approval.operators) keys.set(o.id, [...(keys.get(o.id) ?? []), o.publicKey]);
  return keys;
}

/**
 * The state this run starts from (patch stop-the-line-chain): only a run the singleton continued itself carries
 * one (a client could otherwise start it frozen in an operator's name, or at a seq an old signature names); the
 * chain is the first run's id, kept across continue-as-new.
 */
export function startingState(
  given: StopTheLineState | undefined,
  run: Parameters<typeof continuedByItself>[0],
  firstRunId: string,
): { state: StopTheLineState; ignored: boolean } {
  const carried = given !== undefined && continuedByItself(run);
  return {
    state: { ...(carried ? given : { frozen: false, seq: 0 }), chain: firstRunId },
    ignored: !!given && !carried,
  };
}

export async function stopTheLineWorkflow(input: { state?: StopTheLineState } = {}): Promise<void> {
  let state: StopTheLineState = input.state ?? { frozen: false, seq: 0 };
  if (patched('stop-the-line-chain')) {
    const i = workflowInfo();
    const run = {
      continuedFromRunId: i.continuedFromExecutionRunId,
      attempt: i.attempt,
      cronSchedule: i.cronSchedule,
      retryPolicy: i.retryPolicy,
    };
    const start = startingState(input.state, run, i.firstExecutionRunId);
    if (start.ignored) log.warn('stop-the-line: a state given at start is ignored (only a continued run carries one)');
    state = start.state;
  }
  setHandler(stopTheLineQuery, () => ({ ...state }));
  setHandler(stopTheLineUpdate, async (req): Promise<StopTheLineAnswer> => {
    let keys: Map<string, string[]>;
    try {
      keys = operatorKeys(await call(DEFAULT_OPTIONS, 'read the platform policy', 'readPlatformPolicy'));
    } catch (err) {
      return { accepted: false, detail: `the platform policy could not be read: ${errorText(err)}`, state };
    }
    const problem = stopTheLineProblem(req, state, keys);
    if (problem) {
      log.warn(`stop-the-line ${req?.action} refused: ${problem}`);
      return { accepted: false, detail: problem, state: { ...state } };
    }
    Object.assign(state, {
      frozen: req.action === 'freeze',
      by: req.by,
      since: new Date().toISOString(),
      reason: req.reason,
      seq: state.seq + 1,
    });
    log.info(`stop-the-line ${req.action} by ${req.by}: ${req.reason}`);
    return { accepted: true, detail: `${req.action} by ${req.by}`, state: { ...state } };
  });
  // Runs until cancelled; a long history moves to a new run with the state.
  await condition(() => workflowInfo().historyLength > HISTORY_LIMIT || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof stopTheLineWorkflow>({ state });
}
