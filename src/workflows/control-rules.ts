// When a control may act, pure: the stage rules for abort, pause, resume, promote and rollback, one
// row per action. Who may send one is control-auth.ts; the workflow audits every refusal.
import type { ControlRequest, Stage } from './definitions';
import type { ControlAction } from './signatures';

/**
 * The controls a release has accepted and not yet acted on. `retire` is a promote during retention,
 * which ends the rollback window early (blue deleted now).
 */
export interface ControlState {
  abort?: ControlRequest;
  rollback?: ControlRequest;
  promote?: ControlRequest;
  paused?: ControlRequest;
  retire?: ControlRequest;
}

/** A traffic window is being watched: the stages a pause or a rollback acts on. */
export const watching = (stage: Stage): boolean => stage === 'canary' || stage === 'full-switch';

type StageRule = (stage: Stage, control: ControlState, req: ControlRequest) => string | undefined;

const STAGE_RULES: Record<ControlAction, StageRule> = {
  abort: (stage, control) => {
    if (stage === 'retention') return 'the release is already promoted; use rollback within the retention window';
    return control.abort ? 'an abort is already under way' : undefined;
  },
  pause: (stage, control) => {
    if (!watching(stage)) return `nothing to pause during ${stage}`;
    return control.paused ? `already paused by ${control.paused.by}` : undefined;
  },
  resume: (_stage, control) => (control.paused ? undefined : 'the release is not paused'),
  promote: (stage, control) => {
    if (stage === 'wave-gate') return control.promote ? 'the next wave is already opened' : undefined;
    if (stage === 'retention') {
      if (control.retire) return 'blue is already being retired';
      return control.rollback ? 'a rollback is already under way' : undefined;
    }
    if (stage !== 'canary')
      return `promote skips canary steps (or, in retention, retires blue early); the release is in ${stage}`;
    return control.promote ? 'a promote is already under way' : undefined;
  },
  rollback: (stage, control, req) => {
    if (!req.reason?.trim()) return 'a rollback needs a reason';
    if (stage === 'retention') return control.retire ? 'blue is already being retired' : undefined;
    if (stage === 'green-deploy' || watching(stage))
      return control.rollback ? 'a rollback is already under way' : undefined;
    return `nothing to roll back during ${stage}; use abort`;
  },
};

/** Why a control is refused in this stage; undefined when it may go on to the sender's authority. */
export function controlRefusal(
  action: ControlAction,
  req: ControlRequest,
  stage: Stage,
  control: ControlState,
): string | undefined {
  if (!req || typeof req.by !== 'string' || !req.by.trim()) return 'the request must say who sends it ("by")';
  if (stage === 'done') return 'the release has finished';
  if (stage === 'rolling-back' || stage === 'emergency') return `the release is already ${stage}`;
  return STAGE_RULES[action](stage, control, req);
}

/** Records an accepted control where the release looks for it. */
export function recordControl(control: ControlState, action: ControlAction, stage: Stage, req: ControlRequest): void {
  if (action === 'pause') control.paused = req;
  else if (action === 'resume') control.paused = undefined;
  else if (action === 'promote' && stage === 'retention') control.retire = req;
  else control[action] = req;
}
