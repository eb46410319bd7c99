import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { latestRuns, statsQuery, type VisibilityRow } from '../../src/client/stats';
import { doraObservation, doraSummary, renderDoraSummary, type ReleaseFacts } from '../../src/dora/summary';
import { WorkerMetrics } from '../../src/worker/metrics';

const at = (h: number, m = 0) => new Date(Date.UTC(2026, 11, 1, h, m)).toISOString();
const facts = (over: Partial<ReleaseFacts['dora']> = {}) => ({ deployed: true, requestedAt: at(0), ...over });

test('a release counts as a deployment once traffic moved; a failure once it rolled back after that', () => {
  expect(doraObservation('succeeded', facts({ fullTrafficAt: at(3) }))).toEqual({
    deployment: 'success',
    leadTimeSeconds: 3 * 3600,
  });
  expect(doraObservation('rolled-back', facts({ failedAt: at(1), restoredAt: at(2) }))).toEqual({
    deployment: 'failure',
    restoreSeconds: 3600,
  });
  // Rejected, refused or aborted before any traffic moved: production never changed.
  expect(doraObservation('rejected', { deployed: false })).toEqual({});
  expect(doraObservation('rolled-back', { deployed: false })).toEqual({});
  expect(doraObservation('emergency-failed', facts({ failedAt: at(1) }))).toEqual({ deployment: 'failure' });
  // Releases from before the audit log go by their outcome only.
  expect(doraObservation('succeeded', undefined)).toEqual({ deployment: 'success' });
  expect(doraObservation('rolled-back-after-success', undefined)).toEqual({ deployment: 'failure' });
  expect(doraObservation('aborted', undefined)).toEqual({});
});

test('the summary: frequency per day, failure rate of deployments, median lead time and restore', () => {
  const releases: ReleaseFacts[] = [
    { releaseId: 'a', app: 'hwayo', outcome: 'succeeded', startedAt: at(0), dora: facts({ fullTrafficAt: at(2) }) },
    { releaseId: 'b', app: 'hwayo', outcome: 'succeeded', startedAt: at(0), dora: facts({ fullTrafficAt: at(4) }) },
    {
      releaseId: 'c',
      app: 'hwayo',
      outcome: 'rolled-back',
      startedAt: at(0),
      dora: facts({ failedAt: at(1), restoredAt: at(1, 6) }),
    },
    { releaseId: 'd', app: 'hwayo', outcome: 'rejected', startedAt: at(0), dora: { deployed: false } },
    { releaseId: 'e', app: 'hwayo', startedAt: at(0) },
  ];
  const s = doraSummary(releases, 2);
  expect(s).toEqual({
    days: 2,
    releases: 4,
    deployments: 3,
    failures: 1,
    deploymentsPerDay: 1.5,
    changeFailureRate: 1 / 3,
    leadTimeMedianSeconds: 3 * 3600,
    restoreMedianSeconds: 360,
    running: 1,
  });
  const text = renderDoraSummary(s);
  expect(text).toContain('3 deployment(s), 1.50 per day');
  expect(text).toContain('33% (1 of 3)');
  expect(text).toContain('3.0 h');
  expect(text).toContain('6 min');
  expect(renderDoraSummary(doraSummary([], 30))).toContain('change failure rate    n/a (0 of 0)');
});

test('visibility rows: one per release, its last run (a continued release has one row per run)', () => {
  const row = (workflowId: string, runId: string, status: string, h: number): VisibilityRow => ({
    workflowId,
    runId,
    status,
    startTime: new Date(at(h)),
  });
  const rows = [
    row('r1', 'a', 'CONTINUED_AS_NEW', 0),
    row('r1', 'c', 'COMPLETED', 2),
    row('r1', 'b', 'CONTINUED_AS_NEW', 1),
    row('r2', 'x', 'RUNNING', 0),
  ];
  expect(latestRuns(rows).map((r) => [r.workflowId, r.runId])).toEqual([
    ['r1', 'c'],
    ['r2', 'x'],
  ]);
  expect(statsQuery('2026-11-06T00:00:00.000Z', 'hw"ayo')).toBe(
    'WorkflowType = "releaseWorkflow" AND HwayoApp = "hw\\"ayo" AND (StartTime >= "2026-11-06T00:00:00.000Z")',
  );
});

test('the worker exports the DORA metrics from a finished release', async () => {
  const m = new WorkerMetrics();
  m.observeDora('hwayo', 'succeeded', facts({ fullTrafficAt: at(2) }));
  m.observeDora('hwayo', 'rolled-back', facts({ failedAt: at(1), restoredAt: at(1, 3) }));
  m.observeDora('hwayo', 'rejected', { deployed: false });
  const text = await m.registry.metrics();
  expect(text).toContain('hwayo_dora_deployments_total{app="hwayo",result="success"} 1');
  expect(text).toContain('hwayo_dora_deployments_total{app="hwayo",result="failure"} 1');
  expect(text).toContain('hwayo_dora_lead_time_seconds_sum{app="hwayo"} 7200');
  expect(text).toContain('hwayo_dora_time_to_restore_seconds_sum{app="hwayo"} 180');
});

test("the dashboard's DORA row queries the four metrics by the names the worker exports", async () => {
  const file = join(__dirname, '..', '..', 'deploy', 'grafana', 'dashboards', 'hwayo-releases.json');
  const d = JSON.parse(readFileSync(file, 'utf8')) as {
    panels: { type: string; title: string; targets?: { expr: string }[]; gridPos: { y: number } }[];
  };
  const row = d.panels.find((p) => p.type === 'row' && p.title.startsWith('DORA'))!;
  const next = d.panels.find((p) => p.type === 'row' && p.gridPos.y > row.gridPos.y)?.gridPos.y ?? Infinity;
  const dora = d.panels.filter((p) => p.type !== 'row' && p.gridPos.y > row.gridPos.y && p.gridPos.y < next);
  expect(dora.map((p) => p.title)).toEqual([
    'Deployment frequency (deployments in range)',
    'Change failure rate',
    'Lead time for changes (median)',
    'Time to restore (median)',
  ]);
  const exported = (await new WorkerMetrics().registry.getMetricsAsJSON()).map((x) => x.name);
  for (const p of dora)
    for (const t of p.targets ?? [])
      for (const name of t.expr.match(/hwayo_\w+/g) ?? []) expect(exported).toContain(name.replace(/_bucket$/, ''));
});
