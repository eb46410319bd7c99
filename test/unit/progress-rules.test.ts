// A multi-cluster parent's rules for progress claims (src/workflows/progress-rules.ts): which claims it refuses.
import type { ClusterProgress } from '../../src/workflows/multi-cluster-definitions';
import { applyProgress, claimProblem, unconfirmedClaim } from '../../src/workflows/progress-rules';
import type { ClusterRow } from '../../src/workflows/wave-rules';

const row = (over: Partial<ClusterRow> = {}): ClusterRow => ({
  cluster: 'a',
  region: 'region-a',
  wave: 0,
  stage: 'canary',
  weight: 5,
  ended: false,
  ...over,
});
const p = (stage: ClusterProgress['stage'], weight: number, outcome?: ClusterProgress['outcome']): ClusterProgress => ({
  cluster: 'a',
  stage,
  weight,
  ...(outcome ? { outcome } : {}),
});

test('a claim the child bears out is not refused, even when the child has moved on since', () => {
  expect(unconfirmedClaim(row(), p('canary', 25), p('canary', 50))).toBeUndefined();
  expect(unconfirmedClaim(row(), p('retention', 100, 'succeeded'), p('retention', 100, 'succeeded'))).toBeUndefined();
  // The child said rolling back and has finished by the time the parent reads it.
  expect(unconfirmedClaim(row(), p('rolling-back', 0), p('done', 0, 'rolled-back'))).toBeUndefined();
});

test('a claim that would move the wave (to 100% or to failed) where the child does not is refused, saying both', () => {
  expect(unconfirmedClaim(row(), p('retention', 100, 'succeeded'), p('canary', 5))).toBe(
    'a progress signal claimed a retention at 100%, succeeded; its child says canary at 5%: ignored',
  );
  expect(unconfirmedClaim(row(), p('rolling-back', 0), p('canary', 25))).toBe(
    'a progress signal claimed a rolling-back at 0%; its child says canary at 25%: ignored',
  );
});

test('a claim about no running cluster of the release is refused before any reading', () => {
  const rows = [row(), row({ cluster: 'b', stage: 'waiting' }), row({ cluster: 'c', ended: true })];
  const started = (c: string) => c !== 'b';
  expect(claimProblem(rows, { cluster: 'a' }, started)).toEqual({ row: rows[0] });
  for (const cluster of ['b', 'c', 'x'])
    expect(claimProblem(rows, { cluster }, started).problem).toBe(
      `a progress signal named "${cluster}", no running cluster of this release: ignored`,
    );
  expect(claimProblem(rows, undefined, started).problem).toContain('named undefined');
  expect(claimProblem(rows, { cluster: 'y'.repeat(500) }, started).problem!.length).toBeLessThan(140);
});

test('a reading updates the row; the last verdict is cut to 100 characters', () => {
  const r = row();
  applyProgress(r, { ...p('canary', 25), lastVerdict: 'x'.repeat(300) });
  expect([r.stage, r.weight, r.lastVerdict?.length, r.outcome]).toEqual(['canary', 25, 100, undefined]);
});
