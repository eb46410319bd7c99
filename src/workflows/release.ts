// The whole release as one durable workflow: preflight, approval gate, green environment, canary
// steps with continuous analysis, full switch, retention window, report. Every wait is a workflow
// timer or condition, so it survives worker restarts; every decision is a pure function call.
import {
  ApplicationFailure, CancellationScope, condition, isCancellation, log, patched, setCurrentDetails, setHandler,
  upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { CheckResult, MetricReading, Severity } from '../activities/contract';
import { formatDuration } from '../plan/duration';
import type { PreflightCheck } from '../plan/types';
import { gateState, missingRoles, refusalReason, signaturesRequired } from './approvals';
import { controlAuthority } from './control-auth';
import {
  describeVerdict, emergencyRestoreId, emergencySnapshotId, evaluateSample, healthFailuresExceeded, metricQueries, needsStable, nextTickMs,
  notificationKey, pageDedupKey, sidesFor,
  type QueryVars,
} from './decisions';
import {
  abortSignal, abortUpdate, approveSignal, approveUpdate, auditQuery, pauseSignal, pauseUpdate, promoteSignal, promoteUpdate,
  rejectSignal, rejectUpdate, resumeSignal, resumeUpdate, rollbackSignal, rollbackUpdate, SA_APP, SA_OUTCOME, SA_STAGE,
  SA_VERSION, SA_WEIGHT, statusQuery,
  type AnalysisRecord, type ApprovalRecord, type ApprovalRequest, type AuditEntry, type ControlRequest, type Outcome,
  type PendingDecision, type ReleaseInput, type ReleaseReport, type ReleaseResult, type ReleaseStatus, type Stage,
} from './definitions';
import { refusedResult, releaseInputProblems } from './input';
import { call, DEFAULT_OPTIONS, emergencyOptions, longOptions, METRIC_OPTIONS, NOTIFY_OPTIONS, TICK_HEALTH_OPTIONS, TICK_METRIC_OPTIONS, TRAFFIC_OPTIONS } from './proxies';
import { renderReportMarkdown } from './report';
import { Saga } from './saga';
import { planDigest, type Subject } from './signatures';
import { analysisResults, releaseMetrics, rollbackTrigger } from './sinks';

type ControlAction = 'abort' | 'pause' | 'resume' | 'promote' | 'rollback';
type WatchOutcome =
  | { result: 'completed' }
  | { result: 'promote' }
  | { result: 'abort'; reason: string }
  | { result: 'rollback'; reason: string };

/** Ends the release early with an outcome (no production change left to undo, or already undone). */
class Finished extends Error {
  constructor(readonly outcome: Outcome, readonly reason: string) {
    super(reason);
  }
}

export async function releaseWorkflow(input: ReleaseInput): Promise<ReleaseResult> {
  const info = workflowInfo();
  // Trust nothing given: a release started outside the CLI skipped its checks. An invalid input ends
  // the run here, before any command (no activity, no search attribute, no notification).
  if (patched('validate-input')) {
    const problems = releaseInputProblems(input, info.workflowId);
    if (problems.length) {
      const refused = refusedResult(input, problems, info.workflowId, new Date().toISOString());
      log.warn(refused.reason ?? 'invalid input', { releaseId: info.workflowId });
      return refused;
    }
  }
  const { plan, version, imageTag } = input;
  const releaseId = info.workflowId;
  // Reassigned once, before anything touches production, when the plan alternates its namespaces.
  let blue = plan.environments.blue;
  let green = plan.environments.green;
  const vars = (): QueryVars => ({ app: plan.app, version, blueNamespace: blue, greenNamespace: green });
  const iso = (ms = Date.now()) => new Date(ms).toISOString();
  const startedAt = iso();

  // ---- state (everything the status query, the report and the tests read) ----
  let stage: Stage = 'preflight';
  let outcome: Outcome | undefined;
  let reason: string | undefined;
  let step = 0;
  let greenWeight = 0;
  const weights: number[] = [];
  const approvals: ApprovalRecord[] = [];
  const audit: AuditEntry[] = [];
  const timeline: ReleaseReport['timeline'] = [];
  const preflightRuns: ReleaseReport['preflight'] = [];
  const stepsLog: ReleaseReport['steps'] = [];
  const analyses: AnalysisRecord[] = [];
  const saga = new Saga();
  let approvalDeadlineMs: number | undefined;
  let window: ReleaseStatus['window'];
  let pending: PendingDecision | undefined;
  let rollbackWindowEndsMs: number | undefined;
  // `retire`: a promote during retention, which ends the rollback window early (blue deleted now).
  const control: { abort?: ControlRequest; rollback?: ControlRequest; promote?: ControlRequest; paused?: ControlRequest; retire?: ControlRequest } = {};
  const current = (key: keyof typeof control): ControlRequest | undefined => control[key];
  const blueReplicas: Record<string, number> = {};
  let notificationSeq = 0;

  const event = (text: string) => {
    timeline.push({ at: iso(), stage, event: text });
    log.info(text, { releaseId, stage });
  };

  const updateUi = () => {
    if (input.searchAttributes !== false) {
      upsertSearchAttributes([
        { key: SA_APP, value: plan.app },
        { key: SA_VERSION, value: version },
        { key: SA_STAGE, value: stage },
        { key: SA_WEIGHT, value: greenWeight },
        ...(outcome ? [{ key: SA_OUTCOME, value: outcome }] : []),
      ]);
    }
    const lines = [
      `**${plan.app} ${version}** (${imageTag}): ${stage}${outcome ? `, outcome **${outcome}**` : ''}`,
      `green weight ${greenWeight}%${step ? `, step ${Math.min(step, plan.canary.steps.length)}/${plan.canary.steps.length}` : ''}`,
    ];
    if (stage === 'awaiting-approval') lines.push(`waiting for: ${missingRoles(plan, approvals).join(', ')}`);
    if (pending) lines.push(`pending: ${pending.detail}`);
    setCurrentDetails(lines.join('\n\n'));
  };

  const enter = (next: Stage, text?: string) => {
    stage = next;
    event(text ?? `entered ${next}`);
    updateUi();
  };

  const status = (): ReleaseStatus => ({
    releaseId, app: plan.app, version, imageTag, stage, outcome, reason,
    environments: { blue, green }, step, steps: plan.canary.steps.length, greenWeight, paused: control.paused !== undefined, window,
    approvals: [...approvals], missingRoles: missingRoles(plan, approvals),
    approvalDeadline: approvalDeadlineMs ? iso(approvalDeadlineMs) : undefined,
    ...(subject ? { planDigest: subject.planDigest, signaturesRequired: signaturesRequired(plan) } : {}),
    lastAnalysis: analyses[analyses.length - 1], pendingDecision: pending,
    rollbackWindowEndsAt: rollbackWindowEndsMs ? iso(rollbackWindowEndsMs) : undefined,
  });

  // ---- notifications: the seed's routing (critical -> Slack #critical + PagerDuty + e-mail) ----
  const notify = async (severity: Severity, what: string, text: string): Promise<void> => {
    const key = notificationKey(releaseId, info.runId, ++notificationSeq, what);
    const message = `[${plan.app} ${version}] ${text}`;
    const sends: Promise<unknown>[] = [
      call(NOTIFY_OPTIONS, `slack ${severity}: ${what}`, 'postSlack', { channel: plan.notifications.slackChannels[severity], severity, text: message, idempotencyKey: key }),
    ];
    if (severity === 'critical') {
      if (plan.notifications.pagerduty) {
        sends.push(call(NOTIFY_OPTIONS, `page: ${what}`, 'sendPage', { action: 'trigger', dedupKey: pageDedupKey(releaseId, info.runId, what), summary: message, severity, source: 'hwayo-release', details: { stage, version } }));
      }
      sends.push(call(NOTIFY_OPTIONS, `email: ${what}`, 'sendEmail', { to: plan.notifications.email, subject: `[hwayo-release] ${plan.app} ${version}: ${what}`, text: message, idempotencyKey: key, severity }));
    }
    // A failed notification never stops a release or a rollback; it is recorded.
    const results = await Promise.allSettled(sends);
    results.forEach((r) => r.status === 'rejected' && event(`notification "${what}" failed: ${String(r.reason)}`));
  };

  // ---- approvals ----
  // From `approval-v2` on: signed statements name what is released (version, tag, plan digest),
  // signatures are required unless the plan says allowUnsigned, controls are checked for who sent
  // them, and the gate takes decisions only while it is open. Older histories keep the old rules.
  const subject: Subject | undefined = patched('approval-v2') ? { version, imageTag, planDigest: planDigest(plan) } : undefined;
  const gate: { opened: boolean; decided?: string } = { opened: false };
  const gateClosedBecause = (): string | undefined => {
    if (gate.decided) return gate.decided;
    if (!gate.opened) return stage === 'preflight' ? 'preflight is still running; the gate opens when it has passed' : `the release is in ${stage}`;
    if (approvalDeadlineMs !== undefined && Date.now() >= approvalDeadlineMs) return 'the approval deadline has passed';
    return stage === 'awaiting-approval' ? undefined : `the release is in ${stage}`;
  };
  const handleApproval = (req: ApprovalRequest, via: 'signal' | 'update'): ApprovalRecord => {
    const closedBecause = subject ? gateClosedBecause() : undefined;
    const refusal = refusalReason(req, {
      plan, workflowId: releaseId, runId: info.firstExecutionRunId, nowMs: Date.now(), records: approvals,
      ...(subject ? { waiting: closedBecause === undefined, closedBecause, strict: { subject } } : { waiting: stage === 'preflight' || stage === 'awaiting-approval' }),
    });
    const record: ApprovalRecord = { ...req, at: iso(), accepted: refusal === undefined, refusal, via };
    approvals.push(record);
    // The decision closes the gate at once: nothing after it (a reject during the baseline re-check) counts.
    if (subject && record.accepted && gateState(plan, approvals) !== 'waiting') {
      gate.decided = gateState(plan, approvals) === 'rejected' ? `rejected by ${req.approverId} (${req.role})` : 'every required role has approved';
    }
    audit.push({ at: record.at, action: req.decision, by: req.approverId, accepted: record.accepted, detail: refusal ?? `${req.role} ${req.decision}d${req.comment ? `: ${req.comment}` : ''}` });
    if (record.accepted) event(`${req.approverId} (${req.role}) ${req.decision}d`);
    updateUi();
    return record;
  };
  const approvalUpdate = (req: ApprovalRequest) => {
    const record = handleApproval(req, 'update');
    if (!record.accepted) throw ApplicationFailure.create({ type: 'Refused', message: record.refusal, nonRetryable: true });
    return record;
  };
  setHandler(approveSignal, (req) => void handleApproval({ ...req, decision: 'approve' }, 'signal'));
  setHandler(rejectSignal, (req) => void handleApproval({ ...req, decision: 'reject' }, 'signal'));
  setHandler(approveUpdate, (req) => approvalUpdate({ ...req, decision: 'approve' }));
  setHandler(rejectUpdate, (req) => approvalUpdate({ ...req, decision: 'reject' }));

  // ---- control requests: every one is audited, accepted or refused ----
  const watching = () => stage === 'canary' || stage === 'full-switch';
  const refuseControl = (action: ControlAction, req: ControlRequest): string | undefined => {
    if (!req || typeof req.by !== 'string' || !req.by.trim()) return 'the request must say who sends it ("by")';
    if (stage === 'done') return 'the release has finished';
    if (stage === 'rolling-back' || stage === 'emergency') return `the release is already ${stage}`;
    switch (action) {
      case 'abort':
        if (stage === 'retention') return 'the release is already promoted; use rollback within the retention window';
        return control.abort ? 'an abort is already under way' : undefined;
      case 'pause':
        if (!watching()) return `nothing to pause during ${stage}`;
        return control.paused ? `already paused by ${control.paused.by}` : undefined;
      case 'resume':
        return control.paused ? undefined : 'the release is not paused';
      case 'promote':
        if (stage === 'retention') {
          if (control.retire) return 'blue is already being retired';
          return control.rollback ? 'a rollback is already under way' : undefined;
        }
        if (stage !== 'canary') return `promote skips canary steps (or, in retention, retires blue early); the release is in ${stage}`;
        return control.promote ? 'a promote is already under way' : undefined;
      case 'rollback':
        if (!req.reason?.trim()) return 'a rollback needs a reason';
        if (stage === 'retention') return control.retire ? 'blue is already being retired' : undefined;
        if (stage === 'green-deploy' || watching()) return control.rollback ? 'a rollback is already under way' : undefined;
        return `nothing to roll back during ${stage}; use abort`;
    }
  };
  const applyControl = (action: ControlAction, req: ControlRequest): AuditEntry => {
    let refusal = refuseControl(action, req);
    let signed: boolean | undefined;
    if (subject && !refusal) {
      const auth = controlAuthority(action, req, { plan, workflowId: releaseId, runId: info.firstExecutionRunId, nowMs: Date.now(), subject });
      refusal = auth.refusal;
      signed = auth.verified;
    }
    const entry: AuditEntry = { at: iso(), action, by: req?.by, accepted: !refusal, detail: refusal ?? (req.reason || action), ...(signed !== undefined ? { signed } : {}) };
    audit.push(entry);
    if (!refusal) {
      if (action === 'pause') control.paused = req;
      else if (action === 'resume') control.paused = undefined;
      else if (action === 'promote' && stage === 'retention') control.retire = req;
      else control[action] = req;
      event(`${action} by ${req.by}${req.reason ? `: ${req.reason}` : ''}`);
      updateUi();
    }
    return entry;
  };
  const controlUpdate = (action: ControlAction) => (req: ControlRequest) => {
    const entry = applyControl(action, req);
    if (!entry.accepted) throw ApplicationFailure.create({ type: 'Refused', message: entry.detail, nonRetryable: true });
    return entry;
  };
  setHandler(abortSignal, (req) => void applyControl('abort', req));
  setHandler(pauseSignal, (req) => void applyControl('pause', req));
  setHandler(resumeSignal, (req) => void applyControl('resume', req));
  setHandler(promoteSignal, (req) => void applyControl('promote', req));
  setHandler(rollbackSignal, (req) => void applyControl('rollback', req));
  setHandler(abortUpdate, controlUpdate('abort'));
  setHandler(pauseUpdate, controlUpdate('pause'));
  setHandler(resumeUpdate, controlUpdate('resume'));
  setHandler(promoteUpdate, controlUpdate('promote'));
  setHandler(rollbackUpdate, controlUpdate('rollback'));
  setHandler(statusQuery, status);
  setHandler(auditQuery, () => [...audit]);

  // ---- building blocks ----
  const failures = (failed: CheckResult[]) => failed.map((f) => `${f.name} (${f.detail})`).join('; ');
  const runChecks = async (which: (c: PreflightCheck) => boolean = () => true): Promise<CheckResult[]> => {
    const checks = plan.preflight.checks.filter(which);
    const results = await Promise.all(checks.map((check) =>
      call(DEFAULT_OPTIONS, `preflight: ${check.name}`, 'runCheck', { check, context: { blueNamespace: blue, greenNamespace: green, route: plan.traffic, services: plan.services.map((s) => s.name), app: plan.app, version: input.version, imageTag: input.imageTag }, evidence: input.evidence })
        .catch((err: unknown): CheckResult => ({ name: check.name, ok: false, detail: `check could not run: ${errorText(err)}` }))));
    preflightRuns.push({ at: iso(), results: results.map(({ name, ok, detail }) => ({ name, ok, detail })) });
    return results;
  };

  const setWeight = async (weight: number, why: string) => {
    await call(TRAFFIC_OPTIONS, `traffic: green ${weight}%`, 'setTrafficWeight', { route: plan.traffic, blueNamespace: blue, greenNamespace: green, greenWeight: weight });
    greenWeight = weight;
    weights.push(weight);
    event(`green weight ${weight}% (${why})`);
    updateUi();
  };

  const greenHealthy = async (includeDataStores: boolean, namespace = green): Promise<{ healthy: boolean; detail: string }> => {
    try {
      // Ticks (no data stores) time out sooner, so a worker crash mid-tick delays a rollback by seconds.
      const options = !includeDataStores && patched('tick-timeouts') ? TICK_HEALTH_OPTIONS : DEFAULT_OPTIONS;
      const r = await call(options, `health: ${namespace}`, 'checkServiceHealth', { namespace, services: plan.services, healthUrlTemplate: plan.healthUrlTemplate, includeDataStores });
      return { healthy: r.healthy, detail: r.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`).join('; ') || 'all healthy' };
    } catch (err) {
      return { healthy: false, detail: `health check could not run: ${errorText(err)}` };
    }
  };

  const analyze = async (kind: 'tick' | 'window-end', watchStage: 'canary' | 'full-switch') => {
    const read = async (side: 'canary' | 'stable'): Promise<MetricReading[]> => {
      const queries = metricQueries(plan.metrics, vars(), side);
      try {
        return await call(patched('tick-timeouts') ? TICK_METRIC_OPTIONS : METRIC_OPTIONS, `metrics: ${side} ${kind}`, 'queryMetrics', { queries });
      } catch (err) {
        return queries.map((q) => ({ name: q.name, inconclusive: 'unreachable' as const, detail: errorText(err) }));
      }
    };
    const [canary, stable] = await Promise.all([read('canary'), needsStable(plan.metrics) ? read('stable') : Promise.resolve(undefined)]);
    const verdict = evaluateSample(plan.metrics, canary, stable, kind);
    const record: AnalysisRecord = { at: iso(), stage: watchStage, weight: greenWeight, kind, readings: canary, stable, verdict: verdict.kind, detail: describeVerdict(verdict) };
    analyses.push(record);
    releaseMetrics.analysis(watchStage, analysisResults(canary, verdict));
    return record;
  };

  const interrupted = (allowPromote: boolean) => control.abort !== undefined || control.rollback !== undefined || (allowPromote && control.promote !== undefined);
  const interruption = (allowPromote: boolean): WatchOutcome | undefined => {
    if (control.abort) return { result: 'abort', reason: `aborted by ${control.abort.by}${control.abort.reason ? `: ${control.abort.reason}` : ''}` };
    if (control.rollback) return { result: 'rollback', reason: `manual rollback by ${control.rollback.by}: ${control.rollback.reason}` };
    if (allowPromote && control.promote) return { result: 'promote' };
    return undefined;
  };

  /** Pauses for a human when metrics stay inconclusive (or rolls back, by plan). */
  const onInconclusive = (detail: string): WatchOutcome | undefined => {
    if (plan.canary.onInconclusive === 'rollback') return { result: 'rollback', reason: `metrics inconclusive ${plan.canary.inconclusiveLimit} times in a row: ${detail}` };
    control.paused = { by: 'hwayo-release', reason: `metrics inconclusive: ${detail}` };
    pending = { kind: 'inconclusive-metrics', since: iso(), detail: `metrics inconclusive ${plan.canary.inconclusiveLimit} times in a row (${detail}); resume to continue, or roll back` };
    event(pending.detail);
    updateUi();
    return undefined;
  };

  /**
   * Watches one window: every analysis interval, rollback triggers and green's health; at the end
   * the healthy thresholds. Pausing freezes the window's clock; abort, rollback and promote end it.
   */
  const watch = async (watchStage: 'canary' | 'full-switch', plannedMs: number): Promise<WatchOutcome> => {
    const allowPromote = watchStage === 'canary';
    const startedMs = Date.now();
    let pausedMs = 0;
    // The window's clock runs while the release is watched and stops while it is paused.
    const remainingMs = () => plannedMs - (Date.now() - startedMs - pausedMs);
    let inconclusiveRun = 0;
    let healthFailures = 0;
    const finish = (o: WatchOutcome): WatchOutcome => {
      stepsLog.push({ weight: greenWeight, plannedMs, elapsedMs: Date.now() - startedMs, pausedMs, result: o.result === 'completed' ? 'passed' : o.result === 'promote' ? 'promoted' : `${o.result}: ${o.reason}` });
      window = undefined;
      return o;
    };
    const waitWhilePaused = async () => {
      const p0 = Date.now();
      pending ??= { kind: 'paused', since: iso(), detail: `paused by ${control.paused?.by}${control.paused?.reason ? `: ${control.paused.reason}` : ''}` };
      updateUi();
      await condition(() => control.paused === undefined || interrupted(allowPromote));
      pausedMs += Date.now() - p0;
      pending = undefined;
      inconclusiveRun = 0;
      updateUi();
    };
    window = { stage: watchStage, weight: greenWeight, plannedMs, remainingMs: plannedMs };
    event(`watching ${watchStage} at ${greenWeight}% for ${formatDuration(plannedMs)}`);
    for (;;) {
      const stop = interruption(allowPromote);
      if (stop) return finish(stop);
      if (control.paused) {
        await waitWhilePaused();
        continue;
      }
      if (remainingMs() <= 0) {
        const end = await analyze('window-end', watchStage);
        if (end.verdict === 'pass') return finish({ result: 'completed' });
        if (end.verdict === 'breach' || end.verdict === 'unhealthy') return finish({ result: 'rollback', reason: `${watchStage} at ${greenWeight}%: ${end.detail}` });
        // Missing data never passes: decide by plan, then look again.
        const o = onInconclusive(end.detail);
        if (o) return finish(o);
        continue;
      }
      const woke = await condition(() => control.paused !== undefined || interrupted(allowPromote), nextTickMs(plan.canary.analysisIntervalMs, remainingMs()));
      window = { stage: watchStage, weight: greenWeight, plannedMs, remainingMs: Math.max(0, remainingMs()) };
      if (woke || remainingMs() <= 0) continue;
      const [tick, health] = await Promise.all([analyze('tick', watchStage), plan.canary.healthCheckFailureLimit > 0 ? greenHealthy(false) : Promise.resolve({ healthy: true, detail: '' })]);
      if (tick.verdict === 'breach') return finish({ result: 'rollback', reason: `${watchStage} at ${greenWeight}%: ${tick.detail}` });
      healthFailures = health.healthy ? 0 : healthFailures + 1;
      if (healthFailuresExceeded(plan, healthFailures)) return finish({ result: 'rollback', reason: `${watchStage} at ${greenWeight}%: health check failed ${healthFailures} times in a row (${health.detail})` });
      inconclusiveRun = tick.verdict === 'inconclusive' ? inconclusiveRun + 1 : 0;
      if (inconclusiveRun >= plan.canary.inconclusiveLimit) {
        const o = onInconclusive(tick.detail);
        if (o) return finish(o);
      }
    }
  };

  /** Seed section 6 emergency procedures, in the seed's order. */
  const emergency = async (why: string): Promise<void> => {
    enter('emergency', `emergency procedures: ${why}`);
    const beganMs = Date.now();
    await notify('critical', 'emergency', `Emergency procedures started: ${why}`);
    await call(TRAFFIC_OPTIONS, 'maintenance mode on', 'setMaintenanceMode', { route: plan.traffic, blueNamespace: blue, greenNamespace: green, on: true });
    event('maintenance mode on');
    const before: Record<string, Record<string, number>> = {};
    for (const ns of [blue, green]) {
      before[ns] = await call(DEFAULT_OPTIONS, `scale ${ns} to 0`, 'scaleDeployments', { namespace: ns, replicas: 0 });
      event(`scaled ${ns} to 0`);
    }
    const snapshotId = emergencySnapshotId(plan.database.snapshotPrefix, beganMs);
    // Real snapshots and restores take long: the plan's budgets, heartbeating (plans from before them: 1 h).
    const { snapshotTimeoutMs = 60 * 60_000, restoreTimeoutMs = 60 * 60_000 } = plan.database;
    await call(emergencyOptions(snapshotTimeoutMs), `snapshot ${plan.database.instance}`, 'snapshotDatabase', { database: plan.database, snapshotId });
    event(`database snapshot ${snapshotId} taken`);
    const restoreInto = emergencyRestoreId(plan.database.restoredInstance, beganMs);
    const restored = await call(emergencyOptions(restoreTimeoutMs), `restore ${plan.database.backupSnapshot} into ${restoreInto}`, 'restoreDatabase', {
      database: plan.database, instance: restoreInto, owner: `${releaseId.slice(0, 200)}/${info.firstExecutionRunId}`,
    });
    event(`restored ${plan.database.backupSnapshot} into ${restored.instance} (${restored.endpoint})`);
    await call(DEFAULT_OPTIONS, 'switch database connection', 'switchDatabaseConnection', { namespaces: [blue, green], secret: plan.database.connectionSecret, endpoint: restored.endpoint });
    event(`connection secret now points at ${restored.endpoint}`);
    await call(DEFAULT_OPTIONS, `scale ${blue} back up`, 'scaleDeployments', { namespace: blue, replicas: { ...before[blue], ...blueReplicas } });
    event(`scaled ${blue} back up`);
    if (input.lastKnownGoodTag) {
      await call(DEFAULT_OPTIONS, `deploy ${input.lastKnownGoodTag} to ${blue}`, 'deployVersion', { namespace: blue, imageTag: input.lastKnownGoodTag, services: plan.services });
      event(`deployed last known good ${input.lastKnownGoodTag} to ${blue}`);
    }
    const ready = await call(longOptions(plan.rollback.blueReadyTimeoutMs), `wait ${blue} ready`, 'waitForRollout', { namespace: blue, deployments: plan.services.map((s) => s.name), timeoutMs: plan.rollback.blueReadyTimeoutMs });
    const health = ready.ready ? await greenHealthy(true, blue) : { healthy: false, detail: ready.detail };
    if (health.healthy) {
      await call(TRAFFIC_OPTIONS, 'maintenance mode off', 'setMaintenanceMode', { route: plan.traffic, blueNamespace: blue, greenNamespace: green, on: false });
      event('blue recovered; maintenance mode off');
      outcome = 'emergency-recovered';
    } else {
      event(`blue still unhealthy after recovery: ${health.detail}; maintenance mode stays on`);
      outcome = 'emergency-failed';
    }
    await notify('critical', 'incident', `Incident response: emergency recovery ${outcome === 'emergency-recovered' ? 'restored service on blue' : 'did NOT restore service'} (${why}). Database restored to ${restored.instance}; snapshot ${snapshotId}.`);
  };

  /** Brings blue back and checks it; falls through to the emergency path when blue is not healthy. */
  const verifyBlue = async () => {
    const ready = await call(longOptions(plan.rollback.blueReadyTimeoutMs), `wait ${blue} ready`, 'waitForRollout', { namespace: blue, deployments: plan.services.map((s) => s.name), timeoutMs: plan.rollback.blueReadyTimeoutMs })
      .catch((err: unknown) => ({ ready: false, detail: errorText(err) }));
    const health = ready.ready ? await greenHealthy(true, blue) : { healthy: false, detail: `blue not ready: ${ready.detail}` };
    if (health.healthy) {
      event('blue verified healthy');
      return;
    }
    event(`blue verification failed: ${health.detail}`);
    await emergency(`blue verification failed after rollback: ${health.detail}`);
  };

  const deleteGreen = async () => {
    await call(longOptions(10 * 60_000), `delete ${green}`, 'deleteNamespace', { name: green, waitMs: 10 * 60_000 });
    event(`deleted ${green}`);
  };

  const rollBack = async (why: string, finalOutcome: Outcome, severity: Severity = 'critical') => {
    enter('rolling-back', `rolling back: ${why}`);
    reason = why;
    outcome = finalOutcome;
    releaseMetrics.rollback(rollbackTrigger(why));
    await notify(severity, 'rollback-started', `Rolling back: ${why}`);
    try {
      await saga.compensate();
    } finally {
      const ok = outcome !== 'emergency-failed';
      await notify(ok ? 'warning' : 'critical', 'rollback-finished', `Rollback finished (${outcome}): ${saga.ran.join(' -> ')}`);
    }
  };

  const storeReport = async (): Promise<ReleaseReport> => {
    const report: ReleaseReport = {
      releaseId, app: plan.app, version, imageTag, outcome: outcome ?? 'failed', reason, startedAt, finishedAt: iso(),
      timeline: [...timeline], approvals: [...approvals], preflight: [...preflightRuns], steps: [...stepsLog], analyses: [...analyses],
      compensations: [...saga.ran], audit: [...audit],
      ...(subject && !signaturesRequired(plan) && approvals.some((a) => a.accepted && a.decision === 'approve' && !a.signature) ? { approvedWithoutSignatures: true } : {}),
    };
    try {
      const { location } = await call(DEFAULT_OPTIONS, 'store report', 'storeReport', {
        bucket: plan.artifactsBucket, key: `reports/${releaseId}/report`, markdown: renderReportMarkdown(report), json: JSON.stringify(report),
      });
      event(`report stored at ${location}`);
    } catch (err) {
      event(`report could not be stored: ${errorText(err)}`);
    }
    return report;
  };

  // ---- the release ----
  const body = async (): Promise<void> => {
    updateUi();
    event(`release of ${plan.app} ${version} (${imageTag}) requested${input.requestedBy ? ` by ${input.requestedBy}` : ''}`);

    // 0. Which namespace is production: after a success, the other one of the pair. (Plans from before
    // `alternate` existed lack the field, so their histories replay without this call.)
    if (plan.environments.alternate) {
      const found = await call(DEFAULT_OPTIONS, 'find the live environment', 'findLiveEnvironment', { route: plan.traffic, namespaces: [blue, green] });
      const sides = sidesFor(plan.environments, found.live);
      [blue, green] = [sides.blue, sides.green];
      event(`${found.detail}: blue ${blue}, green ${green}${sides.swapped ? ' (the plan\'s names swapped)' : ''}`);
      updateUi();
    }

    // 1. Preflight: nothing changes in production unless every check passes.
    const results = await runChecks();
    let checkedAtMs = Date.now();
    const failed = results.filter((r) => !r.ok);
    if (failed.length) throw new Finished('preflight-failed', `preflight failed: ${failures(failed)}`);
    event(`preflight passed (${results.length} checks)`);

    // 2. Approval gate.
    approvalDeadlineMs = Date.now() + plan.approval.timeoutMs;
    gate.opened = true;
    enter('awaiting-approval', `waiting for approval by ${plan.approval.requiredRoles.join(', ')} until ${iso(approvalDeadlineMs)}`);
    pending = { kind: 'approval', since: iso(), detail: `approval by ${plan.approval.requiredRoles.join(', ')}` };
    await notify('info', 'approval-requested', `Release waits for approval by ${plan.approval.requiredRoles.join(', ')} (until ${iso(approvalDeadlineMs)})`);
    const decided = await condition(() => gateState(plan, approvals) !== 'waiting' || control.abort !== undefined, plan.approval.timeoutMs);
    gate.decided ??= control.abort ? 'the release was aborted' : !decided ? 'the approval deadline has passed' : undefined;
    pending = undefined;
    releaseMetrics.approvalWait((Date.now() - (approvalDeadlineMs - plan.approval.timeoutMs)) / 1000,
      current('abort') ? 'aborted' : !decided ? 'timed-out' : gateState(plan, approvals) === 'rejected' ? 'rejected' : 'approved');
    if (control.abort) throw new Finished('aborted', `aborted by ${control.abort.by} before approval${control.abort.reason ? `: ${control.abort.reason}` : ''}`);
    if (!decided) throw new Finished('approval-timed-out', `no decision from ${missingRoles(plan, approvals).join(', ')} within ${formatDuration(plan.approval.timeoutMs)}`);
    if (gateState(plan, approvals) === 'rejected') {
      const r = approvals.find((a) => a.accepted && a.decision === 'reject')!;
      throw new Finished('rejected', `rejected by ${r.approverId} (${r.role})${r.comment ? `: ${r.comment}` : ''}`);
    }
    event('approved by every required role');

    // Stale infrastructure checks are run again before anything in production changes.
    if (Date.now() - checkedAtMs > plan.preflight.freshnessMs) {
      enter('preflight-recheck', `approval came ${formatDuration(Date.now() - checkedAtMs)} after preflight; re-running infrastructure checks`);
      const again = (await runChecks((c) => c.group === 'infrastructure')).filter((r) => !r.ok);
      checkedAtMs = Date.now();
      if (again.length) throw new Finished('preflight-failed', `infrastructure re-check failed: ${failures(again)}`);
    } else if (patched('baseline-after-approval') && plan.preflight.checks.some((c) => c.kind === 'release-baseline')) {
      // However fresh the other checks are, what may have moved while people decided (another release
      // of the app deploying into the same green, a manual switch) is looked at again before green.
      const again = (await runChecks((c) => c.kind === 'release-baseline')).filter((r) => !r.ok);
      if (again.length) throw new Finished('preflight-failed', `release baseline changed while waiting for approval: ${failures(again)}`);
      event('release baseline re-checked after approval');
    }

    const early = interruption(false);
    if (early && 'reason' in early) throw new Finished('aborted', early.reason);

    // 3. Green environment next to blue.
    enter('green-deploy', `deploying ${imageTag} to ${green}`);
    saga.add('delete-green', deleteGreen);
    await call(DEFAULT_OPTIONS, `create ${green}`, 'createNamespace', { name: green, labels: { 'app.kubernetes.io/part-of': plan.app, 'hwayo.io/release': releaseId, 'hwayo.io/environment': 'green' } })
      .catch((err: unknown) => {
        // Someone else's namespace under green's name: never ours to delete on the way out.
        if (failureType(err) === 'NamespaceNotOwned' && patched('keep-foreign-namespace')) saga.remove('delete-green');
        throw err;
      });
    const copied = await call(DEFAULT_OPTIONS, `copy secrets ${blue} -> ${green}`, 'copySecretsAndConfig', { from: blue, to: green });
    event(`copied ${copied.secrets.length} secrets, ${copied.configMaps.length} config maps and ${copied.networkPolicies?.length ?? 0} network policies`);
    const deployed = await call(DEFAULT_OPTIONS, `deploy ${imageTag} to ${green}`, 'deployGreen', {
      from: blue, to: green, imageTag, services: plan.services, labels: { 'hwayo.io/release': releaseId, 'hwayo.io/version': version },
    });
    event(`deployed ${deployed.deployments.map((d) => d.name).join(', ')}`);
    const ready = await call(longOptions(plan.green.readyTimeoutMs), `wait ${green} ready`, 'waitForRollout', { namespace: green, deployments: plan.services.map((s) => s.name), timeoutMs: plan.green.readyTimeoutMs });
    if (!ready.ready) throw new Rollback(`green not ready within ${formatDuration(plan.green.readyTimeoutMs)}: ${ready.detail}`, 'failed', 'warning');
    const health = await greenHealthy(true);
    if (!health.healthy) throw new Rollback(`green health checks failed: ${health.detail}`, 'failed', 'warning');
    const stopped = interruption(false);
    if (stopped?.result === 'abort') throw new Rollback(stopped.reason, 'aborted', 'warning');
    if (stopped?.result === 'rollback') throw new Rollback(stopped.reason, 'rolled-back', 'warning');
    event('green ready and healthy');

    // 4. Canary steps. From the first shift on, undoing means traffic back to blue, then verify blue.
    saga.add('verify-blue', verifyBlue);
    saga.add('traffic-to-blue', async () => setWeight(0, 'rollback'));
    enter('canary');
    for (const [i, s] of plan.canary.steps.entries()) {
      step = i + 1;
      await setWeight(s.weight, `canary step ${step}/${plan.canary.steps.length}`);
      const o = await watch('canary', s.watchMs);
      if (o.result === 'abort') throw new Rollback(o.reason, 'aborted');
      if (o.result === 'rollback') throw new Rollback(o.reason, 'rolled-back');
      if (o.result === 'promote') {
        event(`promoted by ${control.promote?.by}: skipping ${plan.canary.steps.length - step} remaining canary step(s)`);
        break;
      }
      await notify('info', `canary-${s.weight}`, `Canary ${s.weight}% passed its ${formatDuration(s.watchMs)} watch`);
    }

    // 5. Full switch, then the final watch and checks.
    step = plan.canary.steps.length + 1;
    enter('full-switch');
    await setWeight(100, 'full switch');
    const final = await watch('full-switch', plan.fullSwitch.watchMs);
    if (final.result === 'abort') throw new Rollback(final.reason, 'aborted');
    if (final.result === 'rollback') throw new Rollback(final.reason, 'rolled-back');
    const finalHealth = await greenHealthy(true);
    if (!finalHealth.healthy) throw new Rollback(`final health check failed: ${finalHealth.detail}`, 'rolled-back');

    // 6. Success: keep blue small for the retention window, then delete it.
    enter('promoting', 'release verified at 100%; retiring blue');
    const backup = await call(DEFAULT_OPTIONS, `back up ${blue}`, 'backupNamespace', { namespace: blue, bucket: plan.artifactsBucket, key: `backups/${releaseId}/${blue}.yaml` });
    event(`backed up ${backup.objects} objects of ${blue} to ${backup.location}`);
    Object.assign(blueReplicas, await call(DEFAULT_OPTIONS, `scale ${blue} to 1`, 'scaleDeployments', { namespace: blue, replicas: 1 }));
    event(`scaled ${blue} to 1 replica per deployment`);
    outcome = 'succeeded';
    saga.clear();
    rollbackWindowEndsMs = Date.now() + plan.retention.blueKeepMs;
    enter('retention', `blue kept until ${iso(rollbackWindowEndsMs)} for emergency rollback`);
    pending = { kind: 'rollback-window', since: iso(), detail: `rollback possible until ${iso(rollbackWindowEndsMs)}` };
    await storeReport();
    await notify('info', 'succeeded', `Release succeeded; blue kept until ${iso(rollbackWindowEndsMs)} for rollback`);
    await condition(() => control.rollback !== undefined || control.retire !== undefined, Math.max(0, rollbackWindowEndsMs - Date.now()));
    pending = undefined;
    if (current('rollback')) {
      // Handlers mutate `control`; read it through a function so narrowing above does not apply.
      const req = current('rollback')!;
      const why = `rollback after success by ${req.by}: ${req.reason}`;
      enter('rolling-back', why);
      reason = why;
      outcome = 'rolled-back-after-success';
      releaseMetrics.rollback('manual-after-success');
      await notify('critical', 'rollback-started', `Rolling back a promoted release: ${why}`);
      // Blue runs one replica per deployment now: scale it up and wait before it takes traffic.
      saga.add('delete-green', deleteGreen);
      saga.add('verify-blue', verifyBlue);
      saga.add('traffic-to-blue', async () => setWeight(0, 'rollback after success'));
      saga.add('scale-blue-up', async () => {
        await call(DEFAULT_OPTIONS, `scale ${blue} back up`, 'scaleDeployments', { namespace: blue, replicas: blueReplicas });
        event(`scaled ${blue} back to ${JSON.stringify(blueReplicas)}`);
        await call(longOptions(plan.rollback.blueReadyTimeoutMs), `wait ${blue} ready`, 'waitForRollout', { namespace: blue, deployments: plan.services.map((s) => s.name), timeoutMs: plan.rollback.blueReadyTimeoutMs });
      });
      await saga.compensate();
      await notify('warning', 'rollback-finished', `Rollback after success finished (${outcome})`);
      return;
    }
    const retire = current('retire');
    const ended = retire ? `retention ended early by ${retire.by}${retire.reason ? ` (${retire.reason})` : ''}` : 'retention window over';
    enter('promoting', `${ended}; deleting ${blue}`);
    await call(longOptions(10 * 60_000), `delete ${blue}`, 'deleteNamespace', { name: blue, waitMs: 10 * 60_000 });
    event(`deleted ${blue}`);
    await notify('info', 'blue-retired', `${ended[0].toUpperCase()}${ended.slice(1)}: ${blue} deleted; the release is final`);
  };

  try {
    await body();
  } catch (err) {
    await CancellationScope.nonCancellable(async () => {
      if (err instanceof Rollback) {
        await rollBack(err.why, err.outcome, err.severity);
      } else if (err instanceof Finished) {
        outcome = err.outcome;
        reason = err.reason;
        event(err.reason);
        await notify(err.outcome === 'preflight-failed' || err.outcome === 'approval-timed-out' ? 'warning' : 'info', err.outcome, err.reason);
      } else if (isCancellation(err)) {
        if (stage === 'retention' || stage === 'promoting') {
          event('workflow cancelled after promotion; production stays on green, blue is left in place');
          outcome = 'cancelled';
        } else if (saga.pending.length === 0) {
          outcome = 'cancelled';
          reason = 'workflow cancelled before production changed';
          event(reason);
          await notify('warning', 'cancelled', reason);
        } else {
          await rollBack('workflow cancelled', 'cancelled', 'warning');
        }
      } else {
        await rollBack(`unexpected failure: ${errorText(err)}`, 'failed');
      }
    }).catch((compensationError: unknown) => {
      outcome = outcome === 'emergency-recovered' || outcome === 'emergency-failed' ? outcome : 'emergency-failed';
      reason = `${reason ?? ''}; compensation failed: ${errorText(compensationError)}`;
    });
    if (isCancellation(err)) {
      stage = 'done';
      updateUi();
      await CancellationScope.nonCancellable(storeReport);
      throw err;
    }
  }

  stage = 'done';
  event(`release finished: ${outcome}${reason ? ` (${reason})` : ''}`);
  updateUi();
  const report = await CancellationScope.nonCancellable(storeReport);
  return { outcome: outcome ?? 'failed', reason, weights: [...weights], report };
}

/** Thrown inside the release to leave through the rollback saga. */
class Rollback extends Error {
  constructor(readonly why: string, readonly outcome: Outcome, readonly severity: Severity = 'critical') {
    super(why);
  }
}

/** The type of the ApplicationFailure behind an activity failure (e.g. 'NamespaceNotOwned'). */
function failureType(err: unknown): string | undefined {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof ApplicationFailure ? cause.type ?? undefined : undefined;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}
