// What `audit` prints: the audit log read back from its bucket and the release's history from Temporal,
// each summed up in a few lines (pure, so the unit tests check the text).
import type { temporal } from '@temporalio/proto';
import { AUDIT_KINDS, auditLogProblems, type AuditLogEntry } from '../workflows/audit-entries';
import type { AuditReadBack } from './audit-read';

type Event = temporal.api.history.v1.IHistoryEvent;

const eventName = (e: Event): string =>
  Object.keys(e)
    .find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k])
    ?.replace(/EventAttributes$/, '') ?? 'unknown';

const time = (e: Event | undefined): string => {
  const t = e?.eventTime;
  return t ? new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString() : '?';
};

const counts = (names: string[]): string =>
  [...names.reduce((m, n) => m.set(n, (m.get(n) ?? 0) + 1), new Map<string, number>())]
    .map(([n, c]) => `${n} ${c}`)
    .join(', ');

/** The audit log's lines and whether it is the whole log. */
export function auditLogSummary(
  releaseId: string,
  bucket: string,
  log: AuditReadBack,
): { lines: string[]; complete: boolean } {
  const problems = auditLogProblems(releaseId, log.entries);
  const { entries } = log;
  const kinds = AUDIT_KINDS.map((k) => [k, entries.filter((e) => e.kind === k).length] as const).filter(([, n]) => n);
  const outcome = entries.find((e) => e.kind === 'outcome');
  const lines = [
    `Audit log: s3://${bucket}/audit/${releaseId}/ (Object Lock, COMPLIANCE)`,
    `  ${entries.length} entries${entries.length ? `, ${entries[0].at} .. ${entries[entries.length - 1].at}` : ''}: ` +
      (problems.length
        ? `INCOMPLETE: ${problems.join('; ')}`
        : `complete, numbered 0..${entries.length - 1} without a gap`),
    `  ${kinds.map(([k, n]) => `${k} ${n}`).join(', ') || 'no entries'}`,
    ...(outcome ? [`  outcome: ${outcome.detail}`] : []),
    ...(log.tampered.length
      ? [`  WARNING: replaced or deleted (the first version, locked, is what is shown): ${log.tampered.join(', ')}`]
      : []),
    ...entries.map(entryLine),
  ];
  return { lines, complete: problems.length === 0 && log.tampered.length === 0 };
}

export const entryLine = (e: AuditLogEntry): string =>
  `  ${String(e.seq).padStart(4)} ${e.at} ${e.kind.padEnd(12)} ${e.ok === undefined ? '' : e.ok ? 'ok ' : 'NO '}` +
  `${e.by ? `${e.by}: ` : ''}${e.detail}`;

/** The history of every run of the release (first run first), summed up; `source` says where it was read. */
export function historySummary(runs: Event[][], source = 'Temporal'): string[] {
  const all = runs.flat();
  const last = all[all.length - 1];
  const activities = all
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((n): n is string => !!n);
  const signals = all
    .map((e) => e.workflowExecutionSignaledEventAttributes?.signalName)
    .filter((n): n is string => !!n);
  const updates = all
    .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name)
    .filter((n): n is string => !!n);
  return [
    `History (${source}): ${runs.length} run(s), ${all.length} events (${runs.map((r) => r.length).join(' + ')}), ${time(all[0])} .. ${time(last)}`,
    `  last event: ${last ? eventName(last) : 'none'}`,
    `  activities: ${counts(activities) || 'none'}`,
    `  signals: ${counts(signals) || 'none'}; updates: ${counts(updates) || 'none'}`,
  ];
}
