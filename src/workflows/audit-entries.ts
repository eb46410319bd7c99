// The audit log's entries (seed 8.2: every operation audit-logged, kept 7 years), built by pure
// functions: the workflow collects them in order and numbers them; the appendAuditLog activity stores
// each as one immutable object. Checks, approvals and controls are taken from the release's own
// records (preflight runs, the control audit), so no handler needs a hook; the rest is appended where
// it happens (start, traffic moves, the rollback, each compensation, the outcome).
import type { AuditEntry, ReleaseReport } from './definitions';

export const AUDIT_KINDS = [
  'start',
  'check',
  'approval',
  'control',
  'traffic',
  'rollback',
  'compensation',
  'outcome',
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export type AuditData = Record<string, string | number | boolean>;

/** One operation, as stored: `audit/<releaseId>/<seq>.json`. */
export interface AuditLogEntry {
  releaseId: string;
  /** 0-based, no gaps: a missing number in the bucket is a missing entry. */
  seq: number;
  at: string;
  kind: AuditKind;
  /** Checks: passed; approvals and controls: accepted; compensations: ran without error. */
  ok?: boolean;
  by?: string;
  detail: string;
  data?: AuditData;
}

export type AuditDraft = Omit<AuditLogEntry, 'releaseId' | 'seq'>;

/**
 * The DORA facts of one release, folded from its entries: production changed (a traffic move to green),
 * when green first had all traffic, when a rollback of a changed production started and when it was restored.
 */
export interface DoraFacts {
  deployed: boolean;
  requestedAt?: string;
  fullTrafficAt?: string;
  failedAt?: string;
  restoredAt?: string;
}

/** What the journal carries from run to run (continue-as-new) so numbering and batching go on. */
export interface AuditJournal {
  next: number;
  /** Numbered entries not yet stored: a batch that failed is sent again, with the same numbers and bytes. */
  pending: AuditLogEntry[];
  /** How many preflight runs and control-audit entries were taken. */
  taken: { checks: number; controls: number };
  dora: DoraFacts;
}

export const newJournal = (): AuditJournal => ({
  next: 0,
  pending: [],
  taken: { checks: 0, controls: 0 },
  dora: { deployed: false },
});

/** The records checks, approvals and controls come from. */
export interface AuditRecords {
  preflightRuns: ReleaseReport['preflight'];
  audit: AuditEntry[];
}

const APPROVAL_ACTIONS = new Set(['approve', 'reject']);

/** Entries for the records added since the journal last took them, in time order (stable). */
export function recordDrafts(j: AuditJournal, records: AuditRecords): AuditDraft[] {
  const checks = records.preflightRuns
    .slice(j.taken.checks)
    .flatMap((run) =>
      run.results.map((c): AuditDraft => ({ at: run.at, kind: 'check', ok: c.ok, detail: `${c.name}: ${c.detail}` })),
    );
  const controls = records.audit.slice(j.taken.controls).map((a): AuditDraft => ({
    at: a.at,
    kind: APPROVAL_ACTIONS.has(a.action) ? 'approval' : 'control',
    ok: a.accepted,
    ...(a.by !== undefined ? { by: a.by } : {}),
    detail: `${a.action}: ${a.detail}`,
    data: { signed: a.signed === true },
  }));
  j.taken = { checks: records.preflightRuns.length, controls: records.audit.length };
  return [...checks, ...controls].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/** Numbers drafts onto the journal's pending list and folds them into its DORA facts. */
export function appendDrafts(j: AuditJournal, releaseId: string, drafts: AuditDraft[]): void {
  for (const d of drafts) {
    j.pending.push({ releaseId, seq: j.next++, ...d });
    j.dora = foldDora(j.dora, d);
  }
}

const RESTORED_OUTCOMES = new Set(['rolled-back', 'rolled-back-after-success', 'emergency-recovered', 'cancelled']);

export function foldDora(f: DoraFacts, d: AuditDraft): DoraFacts {
  const weight = d.data?.weight;
  if (d.kind === 'start') return { ...f, requestedAt: f.requestedAt ?? d.at };
  if (d.kind === 'traffic' && typeof weight === 'number') {
    if (weight > 0 && !f.failedAt)
      return { ...f, deployed: true, ...(weight === 100 && !f.fullTrafficAt ? { fullTrafficAt: d.at } : {}) };
    return f;
  }
  if (d.kind === 'rollback' && f.deployed && !f.failedAt) return { ...f, failedAt: d.at };
  if (!f.failedAt || f.restoredAt) return f;
  // Restored: blue verified after the rollback, or a rollback outcome without that (the emergency path).
  if (d.kind === 'compensation' && d.detail === 'verify-blue' && d.ok) return { ...f, restoredAt: d.at };
  if (d.kind === 'outcome' && RESTORED_OUTCOMES.has(String(d.data?.outcome))) return { ...f, restoredAt: d.at };
  return f;
}

/** Why a read-back log is not the whole log: gaps in the numbering, entries of another release. */
export function auditLogProblems(releaseId: string, entries: AuditLogEntry[]): string[] {
  const problems: string[] = [];
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  sorted.forEach((e, i) => {
    if (e.releaseId !== releaseId) problems.push(`entry ${e.seq} names release ${e.releaseId}`);
    const expected = i === 0 ? 0 : sorted[i - 1].seq + 1;
    if (e.seq > expected) problems.push(`entries ${expected}..${e.seq - 1} are missing`);
    if (i > 0 && e.seq === sorted[i - 1].seq) problems.push(`entry ${e.seq} appears twice`);
  });
  if (!sorted.length) problems.push('no entry');
  else if (sorted[sorted.length - 1].kind !== 'outcome') problems.push('no outcome entry yet (still running?)');
  return problems;
}
