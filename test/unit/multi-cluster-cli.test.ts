// The CLI's side of a multi-cluster release: a plan file with waves, and `status` with a row per cluster.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wavesLine } from '../../src/client/plan';
import { renderStatus } from '../../src/client/status';
import { loadPlanFile, PlanError } from '../../src/plan/load';
import { loadReleaseFile } from '../../src/plan/release-file';
import type { ReleaseStatus } from '../../src/workflows/definitions';

const dir = mkdtempSync(join(tmpdir(), 'hwayo-waves-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const PLAN = 'app: hwayo\napproval: { allowUnsigned: true }\n';

test('a plan without waves reads exactly as a single-cluster plan', () => {
  const path = file('single.yaml', PLAN);
  expect(loadReleaseFile(path)).toEqual({ plan: loadPlanFile(path) });
});

test('waves and onFailure sit beside the plan; the rest is the plan every cluster runs', () => {
  const path = file(
    'waves.yaml',
    `${PLAN}waves:\n  - clusters: [a]\n    bake: 30m\n  - clusters: [{ name: b, steps: [{ weight: 10, watch: 15m }] }]\n    gate: false\nonFailure: rollback-failing\n`,
  );
  const { plan, waves } = loadReleaseFile(path);
  expect(plan).toEqual(loadPlanFile(file('plain.yaml', PLAN)));
  expect(waves).toEqual({
    waves: [
      { clusters: [{ name: 'a' }], bakeMs: 1_800_000, gate: false },
      { clusters: [{ name: 'b', steps: [{ weight: 10, watchMs: 900_000 }] }], bakeMs: 0, gate: false },
    ],
    onFailure: 'rollback-failing',
  });
});

test('bad waves are a plan error naming the field', () => {
  const path = file('bad.yaml', `${PLAN}waves: [{ clusters: [a, a] }]\n`);
  expect(() => loadReleaseFile(path)).toThrow(PlanError);
  expect(() => loadReleaseFile(path)).toThrow('waves[0].clusters[1]: cluster "a" is in more than one place');
});

test('status prints a row per cluster', () => {
  const s = {
    releaseId: 'hwayo-2.4.0',
    app: 'hwayo',
    version: '2.4.0',
    imageTag: 't',
    stage: 'waves',
    step: 0,
    steps: 3,
    greenWeight: 0,
    paused: false,
    approvals: [],
    missingRoles: [],
    multiCluster: {
      clusters: ['a', 'b'],
      wavesDigest: 'sha256:w',
      onFailure: 'rollback-all',
      rows: [
        {
          cluster: 'a',
          region: 'eu-west-1',
          wave: 0,
          stage: 'retention',
          weight: 100,
          lastVerdict: 'pass at 100%',
          outcome: 'succeeded',
          ended: false,
        },
        {
          cluster: 'b',
          region: 'us-east-1',
          wave: 1,
          stage: 'canary',
          weight: 30,
          lastVerdict: 'pass at 30%',
          ended: false,
        },
      ],
    },
  } as ReleaseStatus;
  const text = renderStatus(s);
  expect(text).toContain('clusters (onFailure rollback-all; approvals name a, b):');
  expect(text).toMatch(/a\s+eu-west-1\s+1\s+retention\s+100%\s+pass at 100%\s+succeeded/);
  expect(text).toMatch(/b\s+us-east-1\s+2\s+canary\s+30%\s+pass at 30%\s+-/);
});

test('plan validate prints the waves of a plan file', () => {
  const { waves } = loadReleaseFile(
    file('validate.yaml', `${PLAN}waves:\n  - { clusters: [a], bake: 30m }\n  - { clusters: [b, c], gate: true }\n`),
  );
  expect(wavesLine(waves!)).toBe('  waves:       1: a, bake 30m; 2 (gated): b, c; onFailure rollback-all');
});
