// The multi-cluster release's pure parts: the policy's cluster registry, the plan's waves, and the parent's
// decisions (wave sequencing, onFailure, the outcome when clusters end on different versions).
import { defaultPlan } from '../../src/plan/load';
import { clustersOf, resolveWaves, unknownClusterProblems, wavePlanProblems } from '../../src/plan/waves';
import { clusterRegistryProblems, registeredClusters } from '../../src/policy/clusters';
import { parsePolicy } from '../../src/policy/schema';
import { controlRefusal } from '../../src/workflows/control-rules';
import { renderReportMarkdown } from '../../src/workflows/report';
import { statementText } from '../../src/workflows/signatures';
import {
  clusterPlan,
  holdLaterWaves,
  initialRows,
  multiOutcome,
  rollbackTargets,
  waveState,
  type ClusterRow,
} from '../../src/workflows/wave-rules';
import { platformPeople, seedPolicy } from './policy-fixture';

describe('the policy registers clusters', () => {
  const { keys } = platformPeople();
  test('name, region and the queue hwayo-<name>', () => {
    const { policy, problems } = parsePolicy({
      ...seedPolicy(keys),
      clusters: [
        { name: 'a', region: 'eu-west-1' },
        { name: 'b', region: 'us-east-1', taskQueue: 'hwayo-b' },
      ],
    });
    expect(problems).toEqual([]);
    expect(registeredClusters(policy?.clusters)).toEqual([
      { name: 'a', region: 'eu-west-1', taskQueue: 'hwayo-a' },
      { name: 'b', region: 'us-east-1', taskQueue: 'hwayo-b' },
    ]);
  });

  test('duplicate names, a queue not named after its cluster and the main queue are refused', () => {
    expect(
      clusterRegistryProblems([
        { name: 'a', region: 'r1' },
        { name: 'a', region: 'r2' },
        { name: 'b', region: 'r1', taskQueue: 'hwayo-a' },
        { name: 'release', region: 'r1' },
      ]),
    ).toEqual([
      'clusters: "a" is registered twice',
      'clusters.b.taskQueue must be hwayo-b (got "hwayo-a"): a cluster\'s worker polls the queue named after it',
      'clusters: "release" would share the main task queue hwayo-release; choose another name',
    ]);
  });

  test('a malformed cluster entry names its field', () => {
    const { problems } = parsePolicy({ ...seedPolicy(keys), clusters: [{ name: 'A_b', region: 'x' }] });
    expect(problems).toEqual(['clusters.0.name must be a lowercase DNS label of at most 32 characters']);
  });
});

describe("a plan's waves", () => {
  test('the document form resolves: a bare name takes the plan steps, a cluster may bring its own', () => {
    const { plan, problems } = resolveWaves({
      waves: [
        { clusters: ['a'], bake: '30m' },
        { clusters: [{ name: 'b', steps: [{ weight: 10, watch: '5m' }] }, 'c'], gate: true },
      ],
      onFailure: 'rollback-failing',
    });
    expect(problems).toEqual([]);
    expect(plan).toEqual({
      waves: [
        { clusters: [{ name: 'a' }], bakeMs: 30 * 60_000, gate: false },
        { clusters: [{ name: 'b', steps: [{ weight: 10, watchMs: 300_000 }] }, { name: 'c' }], bakeMs: 0, gate: true },
      ],
      onFailure: 'rollback-failing',
    });
    expect(clustersOf(plan!)).toEqual(['a', 'b', 'c']);
  });

  test('no waves: a single-cluster plan; onFailure defaults to rollback-all', () => {
    expect(resolveWaves({})).toEqual({ problems: [] });
    expect(resolveWaves({ onFailure: 'rollback-all' }).problems).toEqual(['onFailure needs waves']);
    expect(resolveWaves({ waves: [{ clusters: ['a'] }] }).plan?.onFailure).toBe('rollback-all');
  });

  test('bad waves are refused, each problem naming its field', () => {
    const { problems } = resolveWaves({
      waves: [
        { clusters: ['a'], bake: 'soon', extra: 1 },
        {
          clusters: [
            'a',
            {
              name: 'b',
              steps: [
                { weight: 50, watch: '1m' },
                { weight: 20, watch: '1m' },
              ],
            },
          ],
        },
        { clusters: [] },
      ],
      onFailure: 'hold',
    });
    expect(problems).toEqual([
      'waves[0] has unknown key(s) extra',
      'waves[0].bake must be a duration like "10m" (got "soon")',
      'waves[2].clusters must name at least one cluster',
      'onFailure must be rollback-failing or rollback-all',
    ]);
    expect(wavePlanProblems({ waves: [{ clusters: [], bakeMs: 0, gate: false }], onFailure: 'hold' })).toEqual([
      'waves[0].clusters must name at least one cluster',
      'onFailure must be rollback-failing or rollback-all',
    ]);
    expect(
      wavePlanProblems({
        waves: [
          { clusters: [{ name: 'a' }], bakeMs: 0, gate: false },
          {
            clusters: [
              { name: 'a' },
              {
                name: 'b',
                steps: [
                  { weight: 50, watchMs: 60_000 },
                  { weight: 20, watchMs: 60_000 },
                ],
              },
            ],
            bakeMs: 0,
            gate: false,
          },
        ],
        onFailure: 'rollback-all',
      }),
    ).toEqual([
      'waves[1].clusters[0]: cluster "a" is in more than one place',
      'waves[1].clusters[1].steps[1].weight must be greater than the previous 50',
    ]);
    expect(
      wavePlanProblems({
        waves: [{ clusters: [{ name: 'a', steps: [{ weight: 100, watchMs: 60_000 }] }], bakeMs: 0, gate: false }],
        onFailure: 'rollback-all',
      }),
    ).toEqual(['waves[0].clusters[0].steps[0].weight must be below 100 (the full switch is 100)']);
  });

  test('a cluster the policy does not register is refused', () => {
    const plan = {
      waves: [{ clusters: [{ name: 'a' }, { name: 'x' }], bakeMs: 0, gate: false }],
      onFailure: 'rollback-all' as const,
    };
    expect(unknownClusterProblems(plan, [{ name: 'a', region: 'r', taskQueue: 'hwayo-a' }])).toEqual([
      'cluster "x" is not registered in the platform policy (registered: a)',
    ]);
    expect(unknownClusterProblems(plan, [])).toHaveLength(2);
  });
});

describe('the parent decides', () => {
  const waves = [
    { clusters: [{ name: 'a' }], bakeMs: 0, gate: false },
    { clusters: [{ name: 'b' }, { name: 'c' }], bakeMs: 0, gate: false },
    { clusters: [{ name: 'd' }], bakeMs: 0, gate: false },
  ];
  const rows = (): ClusterRow[] => initialRows(waves, (c) => `region-${c}`);
  const set = (rs: ClusterRow[], cluster: string, patch: Partial<ClusterRow>) =>
    Object.assign(
      rs.find((r) => r.cluster === cluster)!,
      patch,
    );

  test("a cluster's child runs its own steps, or the plan's", () => {
    const plan = defaultPlan();
    expect(clusterPlan(plan, { name: 'a' })).toBe(plan);
    const own = clusterPlan(plan, { name: 'b', steps: [{ weight: 10, watchMs: 1000 }] });
    expect(own.canary.steps).toEqual([{ weight: 10, watchMs: 1000 }]);
    expect(plan.canary.steps).toHaveLength(3);
  });

  test('a wave moves when every cluster runs at 100%, fails as soon as one fails', () => {
    const rs = rows();
    expect(waveState(rs, 0)).toBe('running');
    set(rs, 'a', { stage: 'retention', outcome: 'succeeded' });
    expect(waveState(rs, 0)).toBe('moved');
    set(rs, 'b', { stage: 'retention', outcome: 'succeeded' });
    expect(waveState(rs, 1)).toBe('running');
    set(rs, 'c', { stage: 'rolling-back', outcome: 'rolled-back' });
    expect(waveState(rs, 1)).toBe('failed');
  });

  test('onFailure: rollback-all rolls back every running child; rollback-failing none; later waves are held', () => {
    const rs = rows();
    set(rs, 'a', { stage: 'retention', outcome: 'succeeded' });
    set(rs, 'b', { stage: 'canary' });
    set(rs, 'c', { stage: 'done', ended: true, outcome: 'rolled-back' });
    holdLaterWaves(rs, 1);
    expect(rs.find((r) => r.cluster === 'd')!.stage).toBe('held');
    expect(rollbackTargets(rs, 'rollback-all')).toEqual(['a', 'b']);
    expect(rollbackTargets(rs, 'rollback-failing')).toEqual([]);
  });

  test('the outcome: all on the new version, all back, or mixed (said in the reason)', () => {
    const rs = rows();
    for (const c of ['a', 'b', 'c', 'd']) set(rs, c, { ended: true, stage: 'done', outcome: 'succeeded' });
    expect(multiOutcome(rs, '2.4.0')).toEqual({ outcome: 'succeeded' });
    set(rs, 'c', { outcome: 'rolled-back' });
    set(rs, 'd', { stage: 'held', ended: false, outcome: undefined });
    expect(multiOutcome(rs, '2.4.0')).toEqual({
      outcome: 'rolled-back',
      reason: 'clusters end on different versions: a, b on 2.4.0; c, d on the previous version (c rolled-back)',
      mixed: { onNew: ['a', 'b'], onPrevious: ['c', 'd'] },
    });
    set(rs, 'a', { outcome: 'rolled-back-after-success' });
    set(rs, 'b', { outcome: 'emergency-recovered' });
    expect(multiOutcome(rs, '2.4.0')).toEqual({
      outcome: 'emergency-recovered',
      reason:
        'every cluster is on the previous version (a rolled-back-after-success, b emergency-recovered, c rolled-back)',
    });
  });
});

test('the v4 approval statement names the clusters: another list is another text', () => {
  const base = {
    workflowId: 'r',
    runId: 'x',
    decision: 'approve' as const,
    role: 'qa-lead',
    approverId: 'carol',
    signedAt: '2026-12-06T08:00:00.000Z',
    version: '2.4.0',
    imageTag: 't',
    planDigest: 'sha256:p',
  };
  const v4 = { ...base, statementVersion: 4 as const, clusters: ['a', 'b'], wavesDigest: 'sha256:w' };
  expect(statementText(v4)).toBe(
    'hwayo-release approval v4\n["r","x","approve","qa-lead","carol","2026-12-06T08:00:00.000Z","2.4.0","t","sha256:p","","",["a","b"],"sha256:w"]',
  );
  expect(statementText({ ...v4, clusters: ['a'] })).not.toBe(statementText(v4));
  expect(statementText({ ...base, statementVersion: 3 })).toMatch(/^hwayo-release approval v3\n/);
});

test('a promote opens a wave gate only while the parent waits at one', () => {
  const req = { by: 'alice', reason: 'a looks good' };
  expect(controlRefusal('promote', req, 'wave-gate', {})).toBeUndefined();
  expect(controlRefusal('promote', req, 'wave-gate', { promote: req })).toBe('the next wave is already opened');
  expect(controlRefusal('promote', req, 'waves', {})).toMatch(/the release is in waves/);
});

test('the report has a section per cluster and says when clusters end on different versions', () => {
  const report = {
    releaseId: 'r',
    app: 'hwayo',
    version: '2.4.0',
    imageTag: 't',
    outcome: 'rolled-back' as const,
    startedAt: 'x',
    finishedAt: 'y',
    timeline: [],
    approvals: [],
    preflight: [],
    steps: [],
    analyses: [],
    compensations: [],
    audit: [],
    clusters: [
      {
        cluster: 'a',
        region: 'eu',
        wave: 1,
        workflowId: 'r-a',
        outcome: 'succeeded' as const,
        weights: [5, 100],
        lastVerdict: 'pass at 100%',
      },
      { cluster: 'b', region: 'us', wave: 2, workflowId: 'r-b', outcome: 'rolled-back' as const, weights: [5, 0] },
    ],
    mixedVersions: { onNew: ['a'], onPrevious: ['b'] },
  };
  const md = renderReportMarkdown(report);
  expect(md).toContain('**Clusters on different versions**: a on 2.4.0; b on the previous version.');
  expect(md).toContain('### a (eu, wave 1)\n\n- Outcome: **succeeded**\n- Green weights: 5% -> 100%');
  expect(md).toContain('### b (us, wave 2)\n\n- Outcome: **rolled-back**');
  expect(renderReportMarkdown({ ...report, clusters: undefined, mixedVersions: undefined })).not.toContain(
    '## Clusters',
  );
});
