// `approve --expect-plan FILE` of a plan with waves: the plan and the waves the person reviewed, both checked.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { reviewedPlan, reviewMismatch } from '../../src/client/expect-plan';
import { loadReleaseFile } from '../../src/plan/release-file';
import type { ReleaseStatus } from '../../src/workflows/definitions';
import { planDigest } from '../../src/workflows/signatures';

const dir = mkdtempSync(join(tmpdir(), 'expect-plan-'));
const local = parseYaml(readFileSync(join(__dirname, '..', '..', 'examples', 'local-plan.yaml'), 'utf8')) as object;
function planFile(name: string, extra: object): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify({ ...local, ...extra }));
  return file;
}
const TWO_WAVES = { waves: [{ clusters: ['a'], bake: '5s' }, { clusters: ['b'] }], onFailure: 'rollback-all' };
const running = (file: string): ReleaseStatus => {
  const { plan, waves } = loadReleaseFile(file);
  return {
    planDigest: planDigest(plan),
    ...(waves
      ? { multiCluster: { clusters: ['a', 'b'], wavesDigest: planDigest(waves), onFailure: 'x', rows: [] } }
      : {}),
  } as ReleaseStatus;
};

test('a plan file with waves is read as start sends it: its plan and its waves', () => {
  const file = planFile('waves', TWO_WAVES);
  const reviewed = reviewedPlan(file);
  expect(reviewed.wavesDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(reviewMismatch('r1', reviewed, running(file))).toBeUndefined();
});

test('other waves, or one cluster, than those reviewed: not signed', () => {
  const reviewed = reviewedPlan(planFile('waves', TWO_WAVES));
  const reversed = planFile('reversed', { ...TWO_WAVES, waves: [{ clusters: ['b'] }, { clusters: ['a'] }] });
  expect(reviewMismatch('r1', reviewed, running(reversed))).toMatch(
    /^r1 runs waves sha256:[0-9a-f]{64}, not the waves you reviewed/,
  );
  const single = planFile('single', {});
  expect(reviewMismatch('r1', reviewed, running(single))).toMatch(
    /^r1 runs in one cluster, not the waves you reviewed/,
  );
  expect(reviewMismatch('r1', reviewedPlan(single), running(reversed))).toMatch(
    /^r1 runs waves sha256:[0-9a-f]{64}, not the single-cluster plan you reviewed/,
  );
  expect(reviewMismatch('r1', reviewedPlan(single), running(single))).toBeUndefined();
});

test('another plan than the one reviewed: not signed, as before', () => {
  const other = planFile('other', { ...TWO_WAVES, fullSwitch: { watch: '9s' } });
  expect(reviewMismatch('r1', reviewedPlan(planFile('waves', TWO_WAVES)), running(other))).toMatch(
    /^r1 runs plan sha256:[0-9a-f]{64}, not the plan you reviewed/,
  );
});
