// `status` and `watch`: the release as people follow it. `watch` redraws every second until the
// release is decided: stage, canary step, weight, the watch window as a bar, the last metric values
// against the plan's thresholds, approvals, and the decision a human is asked for.
import { clusterRows } from './cluster-rows';
import { policyLine } from '../policy/schema';
import type { Client } from '@temporalio/client';
import { formatDuration } from '../plan/duration';
import type { MetricSpec, ReleasePlan } from '../plan/types';
import type { ReleaseResult, ReleaseStatus } from '../workflows/definitions';
import { EXIT, EXIT_CODES_HELP, exitCodeForOutcome, parse, sleep, usageError, type Command, type Io } from './cli';
import { CONNECTION_HELP, CONNECTION_OPTIONS, withClient } from './connection';
import { releaseInput, viewRelease } from './release';

export function bar(fraction: number, width = 30): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${String(Math.round(f * 100)).padStart(3)}%`;
}

function bounds(m: MetricSpec): string {
  const parts: string[] = [];
  if (m.healthy?.max !== undefined) parts.push(`healthy <= ${m.healthy.max}`);
  if (m.healthy?.min !== undefined) parts.push(`healthy >= ${m.healthy.min}`);
  if (m.rollback?.above !== undefined) parts.push(`rollback > ${m.rollback.above}`);
  if (m.rollback?.below !== undefined) parts.push(`rollback < ${m.rollback.below}`);
  if (m.compareToStable) parts.push('vs stable');
  return parts.join(', ');
}

function judge(m: MetricSpec | undefined, value: number): string {
  if (!m) return '';
  if (
    (m.rollback?.above !== undefined && value > m.rollback.above) ||
    (m.rollback?.below !== undefined && value < m.rollback.below)
  )
    return 'ROLLBACK';
  if (
    (m.healthy?.max !== undefined && value > m.healthy.max) ||
    (m.healthy?.min !== undefined && value < m.healthy.min)
  )
    return 'UNHEALTHY';
  return 'ok';
}

/** The status as lines of text; `plan` (from the release input) adds the metric thresholds. */
export function renderStatus(s: ReleaseStatus, plan?: ReleasePlan, now = Date.now()): string {
  const lines: string[] = [];
  lines.push(`${s.releaseId}: ${s.app} ${s.version} (${s.imageTag})`);
  const step = s.step === 0 ? 'before canary' : s.step > s.steps ? 'full switch' : `step ${s.step} of ${s.steps}`;
  lines.push(
    `  stage ${s.stage}${s.paused ? ' (PAUSED)' : ''}  |  ${step}  |  green weight ${s.greenWeight}%${s.outcome ? `  |  outcome ${s.outcome}` : ''}`,
  );
  if (s.reason) lines.push(`  reason: ${s.reason}`);
  if (s.environments) lines.push(`  blue ${s.environments.blue} (production)  ->  green ${s.environments.green}`);
  if (s.policy) lines.push(`  ${policyLine(s.policy)}`);
  lines.push(...clusterRows(s));
  if (s.lastKnownGoodTag) lines.push(`  last known good (emergency path): ${s.lastKnownGoodTag}`);
  if (s.nonce) lines.push(`  control nonce ${s.nonce} (a signed control names it; good once)`);
  if (s.window) {
    const done = s.window.plannedMs > 0 ? 1 - s.window.remainingMs / s.window.plannedMs : 1;
    lines.push(
      `  ${s.window.stage} ${s.window.weight}% watch ${bar(done)}  ${formatDuration(Math.max(0, s.window.remainingMs))} of ${formatDuration(s.window.plannedMs)} left`,
    );
  }
  if (s.lastAnalysis) {
    const a = s.lastAnalysis;
    lines.push(`  last analysis ${a.at} (${a.stage} ${a.weight}%, ${a.kind}): ${a.verdict.toUpperCase()} ${a.detail}`);
    for (const r of a.readings) {
      const spec = plan?.metrics.find((m) => m.name === r.name);
      const unit = spec?.unit ?? '';
      const value = 'value' in r ? `${+r.value.toFixed(3)}${unit}` : `? (${r.inconclusive})`;
      const verdict = 'value' in r ? judge(spec, r.value) : 'inconclusive';
      lines.push(`    ${r.name.padEnd(26)} ${value.padStart(12)}  ${(spec ? bounds(spec) : '').padEnd(38)} ${verdict}`);
    }
  }
  const approvals = s.approvals.filter((a) => a.accepted);
  if (s.approvals.length || s.stage === 'awaiting-approval') {
    lines.push(
      `  approvals: ${approvals.length ? approvals.map((a) => `${a.approverId} (${a.role}) ${a.decision}d${a.signature ? ' [signed]' : ''}`).join(', ') : 'none yet'}`,
    );
    const refused = s.approvals.filter((a) => !a.accepted);
    if (refused.length) lines.push(`  refused: ${refused.map((a) => `${a.approverId}: ${a.refusal}`).join('; ')}`);
    if (s.missingRoles.length && s.stage === 'awaiting-approval')
      lines.push(
        `  waiting for: ${s.missingRoles.join(', ')}${s.approvalDeadline ? ` until ${s.approvalDeadline}` : ''}`,
      );
  }
  if (s.pendingDecision)
    lines.push(`  PENDING ${s.pendingDecision.kind} since ${s.pendingDecision.since}: ${s.pendingDecision.detail}`);
  if (s.rollbackWindowEndsAt) {
    const left = Date.parse(s.rollbackWindowEndsAt) - now;
    lines.push(
      `  rollback possible until ${s.rollbackWindowEndsAt}${left > 0 ? ` (${formatDuration(left)} left)` : ''}: hwayo-release rollback ${s.releaseId} --reason ...`,
    );
  }
  return lines.join('\n');
}

export function renderResult(id: string, r: ReleaseResult): string {
  return [
    `${id}: finished, outcome ${r.outcome}${r.reason ? ` (${r.reason})` : ''}`,
    `  green weights: ${r.weights.length ? r.weights.map((w) => `${w}%`).join(' -> ') : 'none set'}`,
    `  ${r.report.timeline.length} events, ${r.report.approvals.filter((a) => a.accepted).length} accepted decisions; full report: hwayo-release report ${id}`,
  ].join('\n');
}

/** A release is decided once it finished, or succeeded and waits out its blue retention window. */
const decided = (s: ReleaseStatus) =>
  s.stage === 'done' ||
  s.stage === 'retention' ||
  // A multi-cluster release is decided once every cluster runs at 100% (each child keeps its own blue).
  (s.multiCluster?.rows.every((r) => r.outcome === 'succeeded') ?? false);

/**
 * Follows a release until it is decided; returns the exit code of its outcome. `redraw` clears the
 * terminal each second; otherwise a frame is printed only when it changed (logs, CI).
 */
export async function follow(
  client: Client,
  workflowId: string,
  io: Io,
  opts: { json: boolean; redraw: boolean; intervalMs?: number },
): Promise<number> {
  let plan: ReleasePlan | undefined;
  try {
    plan = (await releaseInput(client, workflowId)).plan;
  } catch {
    plan = undefined; // thresholds are a nicety; the status alone still renders
  }
  let last = '';
  for (;;) {
    const view = await viewRelease(client, workflowId);
    if (!view.running) {
      if (opts.json)
        io.out(
          JSON.stringify(
            view.result
              ? {
                  releaseId: workflowId,
                  finished: true,
                  result: { outcome: view.result.outcome, reason: view.result.reason, weights: view.result.weights },
                }
              : { releaseId: workflowId, finished: true, closedAs: view.closedAs, failure: view.failure },
          ),
        );
      else
        io.out(
          view.result
            ? renderResult(workflowId, view.result)
            : `${workflowId}: ${view.closedAs.toLowerCase()}: ${view.failure ?? ''}`,
        );
      return view.result ? exitCodeForOutcome(view.result.outcome) : EXIT.failed;
    }
    const frame = renderStatus(view.status, plan);
    if (!opts.json) {
      // Off a terminal, print when the release moves, not when a metric's last digit does.
      const st = view.status;
      const stable = JSON.stringify([
        st.stage,
        st.step,
        st.greenWeight,
        st.paused,
        st.outcome,
        st.lastAnalysis?.verdict,
        st.pendingDecision?.kind,
        st.approvals.length,
      ]);
      if (opts.redraw)
        io.out(`\x1b[H\x1b[2J${frame}\n\n(${new Date().toISOString()}; Ctrl-C stops watching, not the release)`);
      else if (stable !== last) io.out(`--- ${new Date().toISOString()}\n${frame}`);
      last = stable;
    }
    if (decided(view.status)) {
      if (opts.json)
        io.out(JSON.stringify({ releaseId: workflowId, finished: view.status.stage === 'done', status: view.status }));
      return exitCodeForOutcome(view.status.outcome);
    }
    if (io.signal?.aborted) return EXIT.ok;
    await sleep(opts.intervalMs ?? 1_000, io.signal);
    if (io.signal?.aborted) return EXIT.ok;
  }
}

const STATUS_HELP = `Usage: hwayo-release status RELEASE-ID [--json]

Shows where a release is: stage, canary step, green weight, watch window, last metrics against
the plan's thresholds, approvals, a pending decision. For a finished release: its outcome.
Exits 0 when shown (7 when there is no such release).

${CONNECTION_HELP}`;

const WATCH_HELP = `Usage: hwayo-release watch RELEASE-ID [--json] [--interval SECONDS]

Follows a release, redrawn every second (on a terminal; otherwise a new frame is printed when
something changes), until it is decided: finished, or succeeded and waiting out the blue retention
window. Exits with the outcome's code. Ctrl-C stops watching, not the release.

  --json               print the final status as JSON only
  --interval SECONDS   poll interval (default 1)

${CONNECTION_HELP}

${EXIT_CODES_HELP}`;

export const status: Command = {
  summary: 'show where a release is',
  help: STATUS_HELP,
  async run(argv: string[], io: Io) {
    const args = parse(argv, { ...CONNECTION_OPTIONS, json: { type: 'boolean' } }, STATUS_HELP, io, {
      min: 1,
      max: 1,
      names: 'RELEASE-ID',
    });
    if (!args) return EXIT.ok;
    const id = args.positionals[0];
    return withClient(args.values, io, async ({ client }) => {
      const view = await viewRelease(client, id);
      if (view.running) {
        const plan = await releaseInput(client, id).then(
          (i) => i.plan,
          () => undefined,
        );
        io.out(
          args.values.json
            ? JSON.stringify({ releaseId: id, running: true, status: view.status }, null, 2)
            : renderStatus(view.status, plan),
        );
      } else if (args.values.json) {
        io.out(
          JSON.stringify(
            {
              releaseId: id,
              running: false,
              closedAs: view.closedAs,
              outcome: view.result?.outcome,
              reason: view.result?.reason,
              weights: view.result?.weights,
              failure: view.failure,
            },
            null,
            2,
          ),
        );
      } else {
        io.out(
          view.result
            ? renderResult(id, view.result)
            : `${id}: ${view.closedAs.toLowerCase()}${view.failure ? `: ${view.failure}` : ''}`,
        );
      }
      return EXIT.ok;
    });
  },
};

export const watch: Command = {
  summary: 'follow a release live until it is decided',
  help: WATCH_HELP,
  async run(argv: string[], io: Io) {
    const args = parse(
      argv,
      { ...CONNECTION_OPTIONS, json: { type: 'boolean' }, interval: { type: 'string' } },
      WATCH_HELP,
      io,
      { min: 1, max: 1, names: 'RELEASE-ID' },
    );
    if (!args) return EXIT.ok;
    const interval = args.values.interval === undefined ? 1 : Number(args.values.interval);
    if (!Number.isFinite(interval) || interval <= 0)
      throw usageError('--interval must be a positive number of seconds');
    return withClient(args.values, io, ({ client }) =>
      follow(client, args.positionals[0], io, {
        json: Boolean(args.values.json),
        redraw: io.isTTY,
        intervalMs: interval * 1000,
      }),
    );
  },
};
