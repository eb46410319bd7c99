import { auditBatchProblems, auditBody, auditKey, lockProblem, retainUntil } from '../../src/activities/aws/audit-log';
import {
  appendDrafts,
  auditLogProblems,
  foldDora,
  newJournal,
  recordDrafts,
  type AuditDraft,
  type AuditLogEntry,
} from '../../src/workflows/audit-entries';

const run = (at: string, ...results: [string, boolean][]) => ({
  at,
  results: results.map(([name, ok]) => ({ name, ok, detail: ok ? 'ok' : 'down' })),
});

test('records become entries once, in time order: each check verdict, approvals apart from controls', () => {
  const j = newJournal();
  const records = {
    preflightRuns: [run('2026-12-06T01:00:00.000Z', ['nodes', true], ['redis', false])],
    audit: [
      { at: '2026-12-06T01:05:00.000Z', action: 'approve', by: 'qa-lead', accepted: true, detail: 'qa-lead approved' },
      { at: '2026-12-06T00:59:00.000Z', action: 'pause', by: 'eve', accepted: false, detail: 'not now', signed: true },
    ],
  };
  const first = recordDrafts(j, records);
  expect(first.map((d) => [d.kind, d.ok, d.by, d.detail])).toEqual([
    ['control', false, 'eve', 'pause: not now'],
    ['check', true, undefined, 'nodes: ok'],
    ['check', false, undefined, 'redis: down'],
    ['approval', true, 'qa-lead', 'approve: qa-lead approved'],
  ]);
  expect(first[0].data).toEqual({ signed: true });
  // Taken once: the same records give nothing more; a new run and a new control give only themselves.
  expect(recordDrafts(j, records)).toEqual([]);
  records.preflightRuns.push(run('2026-12-06T02:00:00.000Z', ['release-baseline', true]));
  records.audit.push({ at: '2026-12-06T02:01:00.000Z', action: 'resume', by: 'eve', accepted: true, detail: 'ok' });
  expect(recordDrafts(j, records).map((d) => d.detail)).toEqual(['release-baseline: ok', 'resume: ok']);
});

test('entries are numbered from 0 without a gap, across appends', () => {
  const j = newJournal();
  const d = (at: string): AuditDraft => ({ at, kind: 'traffic', detail: 'x', data: { weight: 5 } });
  appendDrafts(j, 'rel-1', [d('2026-12-06T01:00:00.000Z'), d('2026-12-06T01:01:00.000Z')]);
  appendDrafts(j, 'rel-1', [d('2026-12-06T01:02:00.000Z')]);
  expect(j.pending.map((e) => [e.releaseId, e.seq])).toEqual([
    ['rel-1', 0],
    ['rel-1', 1],
    ['rel-1', 2],
  ]);
  expect(j.next).toBe(3);
});

const traffic = (at: string, weight: number): AuditDraft => ({ at, kind: 'traffic', detail: '', data: { weight } });
const fold = (drafts: AuditDraft[]) => drafts.reduce(foldDora, { deployed: false });

test('DORA facts: full traffic, a failure of a changed production and its restore', () => {
  const start: AuditDraft = { at: 'T0', kind: 'start', detail: '' };
  expect(fold([start, traffic('T1', 5), traffic('T2', 100), traffic('T3', 100)])).toEqual({
    deployed: true,
    requestedAt: 'T0',
    fullTrafficAt: 'T2',
  });
  const rolledBack = fold([
    start,
    traffic('T1', 5),
    { at: 'T2', kind: 'rollback', detail: 'error_rate' },
    traffic('T3', 0),
    { at: 'T4', kind: 'compensation', ok: false, detail: 'verify-blue: not ready' },
    { at: 'T5', kind: 'outcome', detail: '', data: { outcome: 'emergency-recovered' } },
  ]);
  expect(rolledBack).toEqual({ deployed: true, requestedAt: 'T0', failedAt: 'T2', restoredAt: 'T5' });
  expect(
    fold([
      traffic('T1', 5),
      { at: 'T2', kind: 'rollback', detail: '' },
      { at: 'T3', kind: 'compensation', ok: true, detail: 'verify-blue' },
    ]).restoredAt,
  ).toBe('T3');
  // A rollback before any traffic moved (rejected, aborted before the canary) is no change failure.
  expect(fold([{ at: 'T1', kind: 'rollback', detail: '' }]).failedAt).toBeUndefined();
  // A failure that never came back is not restored.
  expect(
    fold([
      traffic('T1', 5),
      { at: 'T2', kind: 'rollback', detail: '' },
      { at: 'T3', kind: 'outcome', detail: '', data: { outcome: 'emergency-failed' } },
    ]).restoredAt,
  ).toBeUndefined();
});

const entry = (seq: number, kind: AuditLogEntry['kind'] = 'check', releaseId = 'r'): AuditLogEntry => ({
  releaseId,
  seq,
  at: '2026-12-06T01:00:00.000Z',
  kind,
  detail: '',
});

test('a read-back log is complete only with every number from 0 and an outcome last', () => {
  expect(auditLogProblems('r', [entry(0, 'start'), entry(1), entry(2, 'outcome')])).toEqual([]);
  expect(auditLogProblems('r', [entry(0, 'start'), entry(3, 'outcome')])).toEqual(['entries 1..2 are missing']);
  expect(auditLogProblems('r', [entry(1), entry(2, 'outcome')])).toEqual(['entries 0..0 are missing']);
  expect(auditLogProblems('r', [entry(0), entry(0), entry(1, 'outcome', 'other')])).toEqual([
    'entry 0 appears twice',
    'entry 1 names release other',
  ]);
  expect(auditLogProblems('r', [entry(0, 'start')])).toEqual(['no outcome entry yet (still running?)']);
  expect(auditLogProblems('r', [])).toEqual(['no entry']);
});

test('an entry is one object whose key, bytes and retention follow from the entry alone', () => {
  const e = entry(42, 'traffic', 'release-hwayo-2.4.0');
  expect(auditKey(e.releaseId, e.seq)).toBe('audit/release-hwayo-2.4.0/00000042.json');
  expect(auditBody(e)).toBe(auditBody(JSON.parse(JSON.stringify(e)) as AuditLogEntry));
  expect(retainUntil('2026-12-06T01:00:00.000Z').toISOString()).toBe('2033-12-06T01:00:00.000Z');
});

test('a batch naming another release, a bad number, kind or time is refused before anything is written', () => {
  expect(auditBatchProblems({ releaseId: 'r', entries: [entry(0)] })).toEqual([]);
  expect(auditBatchProblems({ releaseId: '../x', entries: [entry(0)] })).toHaveLength(1);
  expect(auditBatchProblems({ releaseId: 'r', entries: [] })).toEqual(['entries: 1 to 500 entries']);
  const bad = { ...entry(-1, 'deleted' as never, 'q'), at: 'yesterday' };
  expect(auditBatchProblems({ releaseId: 'r', entries: [bad] })).toEqual([
    'entries[0]: names another release',
    'entries[0].seq: not a number >= 0',
    'entries[0].kind: "deleted" is not an audit kind',
    'entries[0].at: not a time',
  ]);
});

test('the audit bucket must lock every object in COMPLIANCE mode for at least 7 years', () => {
  expect(lockProblem('Enabled', { DefaultRetention: { Mode: 'COMPLIANCE', Years: 7 } })).toBeUndefined();
  expect(lockProblem('Enabled', { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } })).toBeUndefined();
  expect(lockProblem(undefined, undefined)).toBe('has no Object Lock');
  expect(lockProblem('Enabled', { DefaultRetention: { Mode: 'GOVERNANCE', Years: 7 } })).toContain('GOVERNANCE');
  expect(lockProblem('Enabled', { DefaultRetention: { Mode: 'COMPLIANCE', Years: 1 } })).toContain('365 days');
  expect(lockProblem('Enabled', undefined)).toContain('none');
});
