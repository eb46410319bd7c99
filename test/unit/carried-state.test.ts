// Continue-as-new hands every carried field to the next run (release-state.ts carriers): each one
// survives restore() then snapshot(), and the carried JSON keeps the committed histories' shape.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultPlan } from '../../src/plan/load';
import type { ReleaseInput } from '../../src/workflows/definitions';
import { ReleaseState, type CarriedState } from '../../src/workflows/release-state';

// The workflow context ReleaseState reads (jest hoists this above the imports): ids, the run's patches, uuid4.
const mockPatches = new Set<string>();
let mockUuids = 0;
jest.mock('@temporalio/workflow', () => ({
  ...jest.requireActual('@temporalio/workflow'),
  workflowInfo: () => ({ workflowId: 'release-hwayo-2.4.0', firstExecutionRunId: 'run-1' }),
  patched: (name: string) => mockPatches.has(name),
  uuid4: () => `uuid-${++mockUuids}`,
  log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  setCurrentDetails: () => undefined,
  upsertSearchAttributes: () => undefined,
}));
const input = { plan: defaultPlan(), version: '2.4.0', imageTag: 'v2.4.0' } as ReleaseInput;

/** A run that took over `carried`, its undo steps rebuilt by name as release.ts does. */
function continued(carried: CarriedState) {
  const r = new ReleaseState(input);
  r.restore(carried);
  for (const name of [...carried.saga].reverse()) r.saga.add(name, async () => undefined);
  return r;
}

// Every field set, none to its default (Required: a field added to CarriedState must be added here).
const full: Required<CarriedState> = {
  startedAt: '2026-12-01T10:00:00.000Z',
  blue: 'prod-b',
  green: 'prod-a',
  stage: 'canary',
  outcome: 'rolled-back',
  reason: 'canary at 25%: error_rate 7 > 5 (rollback trigger)',
  step: 2,
  greenWeight: 25,
  weights: [5, 25],
  approvals: [
    {
      role: 'qa-lead',
      approverId: 'kim',
      decision: 'approve',
      at: '2026-12-01T10:01:00.000Z',
      accepted: true,
      via: 'update',
    },
  ],
  audit: [{ at: '2026-12-01T10:01:00.000Z', action: 'pause', by: 'lee', accepted: true, detail: 'paused' }],
  timeline: [{ at: '2026-12-01T10:00:01.000Z', stage: 'preflight', event: 'preflight passed (9 checks)' }],
  preflightRuns: [
    { at: '2026-12-01T10:00:01.000Z', results: [{ name: 'tls', ok: true, detail: 'valid for 80 days' }] },
  ],
  steps: [{ weight: 5, plannedMs: 300_000, elapsedMs: 301_000, pausedMs: 0, result: 'passed' }],
  analyses: [
    {
      at: '2026-12-01T10:03:00.000Z',
      stage: 'canary',
      weight: 5,
      kind: 'tick',
      readings: [{ name: 'error_rate', value: 0.2 }],
      verdict: 'pass',
      detail: 'all metrics within bounds',
    },
  ],
  approvalDeadlineMs: 1_764_583_200_000,
  control: { paused: { by: 'lee', reason: 'look at the logs' } },
  blueReplicas: { 'api-gateway': 3 },
  notificationSeq: 7,
  gate: { opened: true, decided: 'approved' },
  saga: ['traffic-to-blue', 'verify-blue'],
  sagaRan: ['delete-green'],
  runs: 2,
  policy: { source: 'configmap hwayo-release/hwayo-release-policy', digest: 'sha256:abc', environment: 'prod' },
  nonce: 'nonce-of-run-2',
  images: ['registry/api@sha256:0123'],
  windowRules: { freezes: [{ from: '2026-12-24T00:00:00Z', until: '2026-12-27T00:00:00Z', reason: 'holidays' }] },
  rollbackOnAlerts: ['HighErrorRate'],
};

beforeEach(() => {
  mockPatches.clear();
  mockUuids = 0;
});

test('every carried field comes back whole in the next run, which counts itself', () => {
  for (const p of ['approval-v2', 'control-nonce', 'release-attestation']) mockPatches.add(p);
  const next = continued(full).snapshot();
  expect(next).toEqual({ ...full, runs: full.runs + 1 });
  // Every key, in the order of the record (no field dropped, none added).
  expect(Object.keys(next)).toEqual(Object.keys(full));
  expect(JSON.stringify(next)).toBe(JSON.stringify({ ...full, runs: full.runs + 1 }));
});

test("a committed history's carried state goes on byte for byte", () => {
  const history = JSON.parse(readFileSync(join(__dirname, '../histories/continued-run-2.json'), 'utf8')) as {
    events: { workflowExecutionStartedEventAttributes: { input: { payloads: { data: string }[] } } }[];
  };
  const started = history.events[0].workflowExecutionStartedEventAttributes;
  const { carried } = JSON.parse(Buffer.from(started.input.payloads[0].data, 'base64').toString('utf8')) as {
    carried: { state: CarriedState };
  };
  const next = continued(carried.state).snapshot();
  expect(JSON.stringify({ ...next, runs: next.runs - 1 })).toBe(JSON.stringify(carried.state));
});
