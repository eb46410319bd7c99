// What the watch loop does after each look at a window (analysis.ts): every branch, pure.
import { defaultPlan } from '../../src/plan/load';
import type { ReleasePlan } from '../../src/plan/types';
import type { ControlState } from '../../src/workflows/control-rules';
import {
  afterTick,
  afterWindowEnd,
  interruption,
  maxPauseMs,
  pauseLeftMs,
  type Sample,
  type WatchCounts,
} from '../../src/workflows/analysis';

const plan = defaultPlan(); // inconclusiveLimit 3, onInconclusive pause, healthCheckFailureLimit 3
const withCanary = (over: Partial<ReleasePlan['canary']>): ReleasePlan => ({
  ...plan,
  canary: { ...plan.canary, ...over },
});
const at = { stage: 'canary' as const, weight: 25 };
const zero: WatchCounts = { inconclusiveRun: 0, healthFailures: 0 };
const healthy = { healthy: true, detail: 'all healthy' };
const sick = { healthy: false, detail: 'api-gateway: 503' };
const pass: Sample = { verdict: 'pass', detail: 'all metrics within bounds', metrics: [] };
const breach: Sample = { verdict: 'breach', detail: 'error_rate 7 > 5 (rollback trigger)', metrics: ['error_rate'] };
const unhealthy: Sample = { verdict: 'unhealthy', detail: 'cpu 90 > 80 (healthy maximum)', metrics: ['cpu'] };
const unknown: Sample = { verdict: 'inconclusive', detail: 'error_rate: no reading', metrics: [] };

describe('interruption: a control that ends the window', () => {
  const by = (who: string, reason?: string) => ({ by: who, reason });
  test('nothing accepted: the window goes on', () => {
    expect(interruption({}, true)).toBeUndefined();
    expect(interruption({ paused: by('oncall') }, true)).toBeUndefined();
  });
  test('an abort stops with its sender and reason, before a rollback or a promote', () => {
    const control: ControlState = {
      abort: by('oncall', 'bad build'),
      rollback: by('qa', 'defect'),
      promote: by('lead'),
    };
    expect(interruption(control, true)).toEqual({
      result: 'abort',
      reason: 'aborted by oncall: bad build',
      trigger: { kind: 'abort', by: 'oncall' },
    });
    expect(interruption({ abort: by('oncall') }, false)).toEqual({
      result: 'abort',
      reason: 'aborted by oncall',
      trigger: { kind: 'abort', by: 'oncall' },
    });
  });
  test('a manual rollback stops before a promote', () => {
    expect(interruption({ rollback: by('qa', 'defect'), promote: by('lead') }, true)).toEqual({
      result: 'rollback',
      reason: 'manual rollback by qa: defect',
      trigger: { kind: 'manual', by: 'qa' },
    });
  });
  test('a promote ends only a window that may skip steps (the canary)', () => {
    expect(interruption({ promote: by('lead') }, true)).toEqual({ result: 'promote' });
    expect(interruption({ promote: by('lead') }, false)).toBeUndefined();
  });
});

describe('afterWindowEnd: every healthy threshold must hold', () => {
  test('a pass completes the window', () => {
    expect(afterWindowEnd(plan, at, pass, zero)).toEqual({ do: 'complete' });
  });
  test.each([
    ['breach', breach],
    ['unhealthy', unhealthy],
  ])('a %s rolls back, typed as a metric trigger naming the metrics', (_kind, sample) => {
    expect(afterWindowEnd(plan, at, sample, zero)).toEqual({
      do: 'rollback',
      reason: `canary at 25%: ${sample.detail}`,
      trigger: { kind: 'metric', stage: 'canary', weight: 25, metrics: sample.metrics },
    });
  });
  test('inconclusive pauses for a person at once (no run needed), keeping the counts', () => {
    const counts = { inconclusiveRun: 1, healthFailures: 2 };
    expect(afterWindowEnd(plan, at, unknown, counts)).toEqual({
      do: 'pause',
      detail: 'error_rate: no reading',
      counts,
    });
  });
  test('inconclusive rolls back when the plan says so', () => {
    expect(
      afterWindowEnd(withCanary({ onInconclusive: 'rollback' }), { stage: 'full-switch', weight: 100 }, unknown, zero),
    ).toEqual({
      do: 'rollback',
      reason: 'metrics inconclusive 3 times in a row: error_rate: no reading',
      trigger: { kind: 'inconclusive-metrics' },
    });
  });
});

describe('afterTick: rollback triggers, health, runs of inconclusive looks', () => {
  test('a pass with green healthy continues with both runs reset', () => {
    expect(afterTick(plan, at, pass, healthy, { inconclusiveRun: 2, healthFailures: 2 })).toEqual({
      do: 'continue',
      counts: zero,
    });
  });
  test('a breach rolls back at once, whatever the health', () => {
    expect(afterTick(plan, at, breach, sick, zero)).toEqual({
      do: 'rollback',
      reason: 'canary at 25%: error_rate 7 > 5 (rollback trigger)',
      trigger: { kind: 'metric', stage: 'canary', weight: 25, metrics: ['error_rate'] },
    });
  });
  test('health failures are counted up to the limit, and one more rolls back as a health-check trigger', () => {
    expect(afterTick(plan, at, pass, sick, { inconclusiveRun: 0, healthFailures: 2 })).toEqual({
      do: 'continue',
      counts: { inconclusiveRun: 0, healthFailures: 3 },
    });
    expect(afterTick(plan, at, pass, sick, { inconclusiveRun: 0, healthFailures: 3 })).toEqual({
      do: 'rollback',
      reason: 'canary at 25%: health check failed 4 times in a row (api-gateway: 503)',
      trigger: { kind: 'health-check' },
    });
  });
  test('with no health limit, failures never roll back', () => {
    expect(
      afterTick(withCanary({ healthCheckFailureLimit: 0 }), at, pass, sick, { inconclusiveRun: 0, healthFailures: 99 }),
    ).toEqual({ do: 'continue', counts: { inconclusiveRun: 0, healthFailures: 100 } });
  });
  test('inconclusive looks are counted; the limit-th pauses for a person, carrying the counts', () => {
    expect(afterTick(plan, at, unknown, healthy, { inconclusiveRun: 1, healthFailures: 0 })).toEqual({
      do: 'continue',
      counts: { inconclusiveRun: 2, healthFailures: 0 },
    });
    expect(afterTick(plan, at, unknown, sick, { inconclusiveRun: 2, healthFailures: 0 })).toEqual({
      do: 'pause',
      detail: 'error_rate: no reading',
      counts: { inconclusiveRun: 3, healthFailures: 1 },
    });
  });
  test('the limit-th inconclusive look rolls back when the plan says so', () => {
    expect(
      afterTick(withCanary({ onInconclusive: 'rollback' }), at, unknown, healthy, {
        inconclusiveRun: 2,
        healthFailures: 0,
      }),
    ).toEqual({
      do: 'rollback',
      reason: 'metrics inconclusive 3 times in a row: error_rate: no reading',
      trigger: { kind: 'inconclusive-metrics' },
    });
  });
  test('an unhealthy verdict at a tick is no rollback trigger: it ends an inconclusive run like a pass', () => {
    expect(afterTick(plan, at, unhealthy, healthy, { inconclusiveRun: 2, healthFailures: 0 })).toEqual({
      do: 'continue',
      counts: zero,
    });
  });
});

describe('pauseLeftMs: a pause holds a window for canary.maxPause at most', () => {
  test("the plan's maxPause, 1 h for a plan from before it; expired at 0", () => {
    expect(maxPauseMs(withCanary({ maxPauseMs: 30 * 60_000 }))).toBe(30 * 60_000);
    expect(maxPauseMs(withCanary({ maxPauseMs: undefined }))).toBe(3_600_000);
    expect(pauseLeftMs(plan, 1_000, 1_000 + 59 * 60_000)).toBe(60_000);
    expect(pauseLeftMs(plan, 1_000, 1_000 + 60 * 60_000)).toBe(0);
  });
});
