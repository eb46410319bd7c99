// The release's audit log in the workflow: a journal of numbered entries per release, written in
// batches (one appendAuditLog activity per batch, so history grows by a few events per stage, not per
// entry) after preflight, after the approval gate, after green, at each forward traffic move, before a
// continue-as-new and at the end. Appending is bookkeeping only; writing is behind patch `audit-log`.
import { isCancellation, patched, type ActivityOptions } from '@temporalio/workflow';
import { appendDrafts, newJournal, recordDrafts, type AuditDraft, type AuditJournal } from './audit-entries';
import type { Outcome } from './definitions';
import { errorText } from './exits';
import { call, NON_RETRYABLE } from './proxies';
import { iso, type ReleaseState } from './release-state';

/** A store that is down must not hold a rollback for minutes: the batch waits for the next flush instead. */
const AUDIT_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '20s',
  retry: { initialInterval: '1s', maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE, 'Conflict'] },
};

const journals = new WeakMap<ReleaseState, AuditJournal>();

function journalOf(r: ReleaseState): AuditJournal {
  let j = journals.get(r);
  if (!j) {
    j = newJournal();
    journals.set(r, j);
    const journal = j;
    // Each compensation is audited when it has run, with its own time and result.
    r.saga.observer = (name, error) =>
      append(r, { at: iso(), kind: 'compensation', ok: !error, detail: error ? `${name}: ${errorText(error)}` : name });
    appendTo(r, journal, [
      {
        at: r.startedAt,
        kind: 'start',
        ...(r.input.requestedBy ? { by: r.input.requestedBy } : {}),
        detail: `release of ${r.plan.app} ${r.version} (${r.imageTag}) requested`,
        data: { app: r.plan.app, version: r.version, imageTag: r.imageTag, firstRunId: r.firstRunId },
      },
    ]);
  }
  return j;
}

function appendTo(r: ReleaseState, j: AuditJournal, drafts: AuditDraft[]): void {
  // Records (checks, approvals, controls) that came before this operation go first.
  appendDrafts(j, r.releaseId, recordDrafts(j, r));
  appendDrafts(j, r.releaseId, drafts);
}

function append(r: ReleaseState, draft: AuditDraft): void {
  appendTo(r, journalOf(r), [draft]);
}

/** A continued run takes over the journal its previous run carried (none: a run from before the patch). */
export function resumeAuditLog(r: ReleaseState, carried: AuditJournal | undefined): void {
  if (carried) journals.set(r, JSON.parse(JSON.stringify(carried)) as AuditJournal);
  journalOf(r);
}

/** The journal a continue-as-new hands on. */
export const carriedAuditLog = (r: ReleaseState): AuditJournal => journalOf(r);

export function auditTraffic(r: ReleaseState, weight: number, why: string): void {
  append(r, { at: iso(), kind: 'traffic', detail: `green ${weight}% (${why})`, data: { weight } });
}

export function auditRollback(r: ReleaseState, why: string, outcome: Outcome): void {
  append(r, { at: iso(), kind: 'rollback', detail: why, data: { outcome } });
}

/** The DORA facts of the release so far (the result carries them to the stats command and the worker's metrics). */
export const doraFacts = (r: ReleaseState) => ({ ...journalOf(r).dora });

/**
 * Writes the entries collected since the last write; with `outcome`, the release's outcome entry last. A failed
 * write is recorded in the timeline and its entries go with the next batch, with the same numbers.
 */
export async function flushAuditLog(r: ReleaseState, outcome?: Outcome): Promise<void> {
  const j = journalOf(r);
  if (outcome) {
    const detail = `${outcome}${r.reason ? `: ${r.reason}` : ''}`;
    appendTo(r, j, [{ at: iso(), kind: 'outcome', detail, data: { outcome } }]);
  } else appendTo(r, j, []);
  if (!j.pending.length || !patched('audit-log')) return;
  const entries = [...j.pending];
  try {
    await call(AUDIT_OPTIONS, `audit log: ${entries.length} entries`, 'appendAuditLog', {
      releaseId: r.releaseId,
      entries,
    });
    j.pending.splice(0, entries.length);
  } catch (err) {
    if (isCancellation(err)) throw err;
    r.event(`audit log: ${entries.length} entries could not be written yet: ${errorText(err)}`);
  }
}
