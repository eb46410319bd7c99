// When a control may act (control-rules.ts): the stage table for every action, and where an accepted one is kept.
import type { ControlRequest, Stage } from '../../src/workflows/definitions';
import { controlRefusal, recordControl, watching, type ControlState } from '../../src/workflows/control-rules';
import type { ControlAction } from '../../src/workflows/signatures';

const req: ControlRequest = { by: 'oncall', reason: 'error spike' };
const ACTIONS: ControlAction[] = ['abort', 'pause', 'resume', 'promote', 'rollback'];
const refusal = (action: ControlAction, stage: Stage, control: ControlState = {}, r: ControlRequest = req) =>
  controlRefusal(action, r, stage, control);

test('a request that does not say who sends it is refused, for every action', () => {
  for (const action of ACTIONS) {
    expect(refusal(action, 'canary', {}, { by: ' ' })).toBe('the request must say who sends it ("by")');
    expect(controlRefusal(action, undefined as unknown as ControlRequest, 'canary', {})).toBe(
      'the request must say who sends it ("by")',
    );
  }
});

test('a finished release, or one already rolling back, takes no control', () => {
  for (const action of ACTIONS) {
    expect(refusal(action, 'done')).toBe('the release has finished');
    expect(refusal(action, 'rolling-back')).toBe('the release is already rolling-back');
    expect(refusal(action, 'emergency')).toBe('the release is already emergency');
  }
});

test('only the canary and the full switch are watched', () => {
  expect((['canary', 'full-switch'] as Stage[]).every(watching)).toBe(true);
  expect((['preflight', 'awaiting-approval', 'green-deploy', 'retention', 'promoting'] as Stage[]).some(watching)).toBe(
    false,
  );
});

test('abort: any stage before promotion, once', () => {
  for (const stage of [
    'preflight',
    'awaiting-approval',
    'preflight-recheck',
    'green-deploy',
    'canary',
    'full-switch',
    'promoting',
  ] as Stage[]) {
    expect(refusal('abort', stage)).toBeUndefined();
  }
  expect(refusal('abort', 'canary', { abort: req })).toBe('an abort is already under way');
  expect(refusal('abort', 'retention')).toBe(
    'the release is already promoted; use rollback within the retention window',
  );
});

test('pause: only a watched window, once; resume: only a paused release', () => {
  expect(refusal('pause', 'canary')).toBeUndefined();
  expect(refusal('pause', 'full-switch')).toBeUndefined();
  expect(refusal('pause', 'green-deploy')).toBe('nothing to pause during green-deploy');
  expect(refusal('pause', 'canary', { paused: { by: 'qa' } })).toBe('already paused by qa');
  expect(refusal('resume', 'canary')).toBe('the release is not paused');
  expect(refusal('resume', 'canary', { paused: { by: 'hwayo-release' } })).toBeUndefined();
});

test('promote: skips canary steps once, or retires blue early during retention unless a rollback or a retire came first', () => {
  expect(refusal('promote', 'canary')).toBeUndefined();
  expect(refusal('promote', 'canary', { promote: req })).toBe('a promote is already under way');
  expect(refusal('promote', 'full-switch')).toBe(
    'promote skips canary steps (or, in retention, retires blue early); the release is in full-switch',
  );
  expect(refusal('promote', 'retention')).toBeUndefined();
  expect(refusal('promote', 'retention', { retire: req })).toBe('blue is already being retired');
  expect(refusal('promote', 'retention', { rollback: req })).toBe('a rollback is already under way');
});

test('rollback: needs a reason; green, a watched window or retention, once', () => {
  expect(refusal('rollback', 'canary', {}, { by: 'qa', reason: ' ' })).toBe('a rollback needs a reason');
  for (const stage of ['green-deploy', 'canary', 'full-switch'] as Stage[]) {
    expect(refusal('rollback', stage)).toBeUndefined();
    expect(refusal('rollback', stage, { rollback: req })).toBe('a rollback is already under way');
  }
  expect(refusal('rollback', 'retention')).toBeUndefined();
  expect(refusal('rollback', 'retention', { retire: req })).toBe('blue is already being retired');
  for (const stage of ['preflight', 'awaiting-approval', 'preflight-recheck', 'promoting'] as Stage[]) {
    expect(refusal('rollback', stage)).toBe(`nothing to roll back during ${stage}; use abort`);
  }
});

test('an accepted control is kept where the release looks for it; a promote in retention retires blue', () => {
  const control: ControlState = {};
  recordControl(control, 'pause', 'canary', req);
  expect(control.paused).toBe(req);
  recordControl(control, 'resume', 'canary', { by: 'lead' });
  expect(control.paused).toBeUndefined();
  recordControl(control, 'promote', 'canary', req);
  expect(control).toEqual({ paused: undefined, promote: req });
  const retained: ControlState = {};
  recordControl(retained, 'promote', 'retention', req);
  recordControl(retained, 'rollback', 'retention', req);
  recordControl(retained, 'abort', 'canary', req);
  expect(retained).toEqual({ retire: req, rollback: req, abort: req });
});
