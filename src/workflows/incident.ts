// One incident (seed section 10) as its own durable workflow, started by the release and outliving it:
// notified per severity, escalated (paged again, the next on-call) every response target until a
// commander takes it with a signed ack, a status update every 30 minutes until a signed resolve, then
// the post-incident review stored in S3. When things happen is incident-rules.ts; this only acts.
import { ApplicationFailure, condition, log, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Severity } from '../activities/contract';
import { notificationKey, pageDedupKey } from './steps';
import { errorText } from './exits';
import {
  ackIncidentSignal,
  ackIncidentUpdate,
  incidentStatusQuery,
  resolveIncidentSignal,
  resolveIncidentUpdate,
  type IncidentAction,
  type IncidentEntry,
  type IncidentInput,
  type IncidentRequest,
  type IncidentStatus,
} from './incident-definitions';
import { buildReview, renderReviewMarkdown } from './incident-review';
import { INCIDENT_ROUTING, nextIncidentEvent, onCallAt, RESPONSE_TARGET_MS } from './incident-rules';
import { incidentAuthority, incidentLimitProblem } from './incident-signatures';
import { call, DEFAULT_OPTIONS, NOTIFY_OPTIONS } from './proxies';
import { iso } from './release-state';

export async function incidentWorkflow(input: IncidentInput): Promise<IncidentStatus> {
  const incident = new Incident(input);
  incident.listen();
  await incident.notify('opened', `Incident opened (${input.severity}): ${input.cause}`, 0);
  for (;;) {
    const next = nextIncidentEvent(incident.clock());
    const resolved = await condition(() => incident.resolvedMs !== undefined, Math.max(0, next.atMs - Date.now()));
    if (resolved) break;
    // Taken while waiting: the escalation that was due is not; the schedule is asked again.
    const due = nextIncidentEvent(incident.clock());
    if (due.atMs > Date.now()) continue;
    if (due.kind === 'escalate') await incident.escalate();
    else await incident.update();
  }
  await incident.storeReview();
  return incident.status();
}

class Incident {
  readonly id: string;
  readonly runId: string;
  readonly openedMs = Date.now();
  acknowledgedMs?: number;
  commander?: string;
  resolvedMs?: number;
  resolvedBy?: string;
  escalations = 0;
  updates = 0;
  nonce = uuid4();
  review?: string;
  private seq = 0;
  readonly events: IncidentEntry[] = [];

  constructor(readonly input: IncidentInput) {
    const info = workflowInfo();
    this.id = info.workflowId;
    this.runId = info.firstExecutionRunId;
    this.event(`opened: ${input.severity}, ${input.cause}`);
  }

  event(text: string): void {
    this.events.push({ at: iso(), event: text });
    log.info(text, { incidentId: this.id });
  }

  clock() {
    const { severity } = this.input;
    return {
      severity,
      openedMs: this.openedMs,
      acknowledgedMs: this.acknowledgedMs,
      escalations: this.escalations,
      updates: this.updates,
    };
  }

  /** Slack to the severity's channel; pages and mails on-call as the severity's routing says. */
  async notify(what: string, text: string, level: number, force: { page?: boolean; email?: boolean } = {}) {
    const { input } = this;
    const route = INCIDENT_ROUTING[input.severity];
    const severity: Severity = route.channel;
    const key = notificationKey(this.id, this.runId, ++this.seq, what);
    const message = `[${input.app} ${input.version}] ${text} (incident ${this.id})`;
    const sends: Promise<unknown>[] = [
      call(NOTIFY_OPTIONS, `slack ${severity}: incident ${what}`, 'postSlack', {
        channel: input.notifications.slackChannels[severity],
        severity,
        text: message,
        idempotencyKey: key,
      }),
    ];
    if ((force.page ?? route.page) && input.notifications.pagerduty)
      sends.push(
        call(NOTIFY_OPTIONS, `page: incident ${what}`, 'sendPage', {
          action: 'trigger',
          dedupKey: pageDedupKey(this.id, this.runId, what),
          summary: message,
          severity: 'critical',
          source: 'hwayo-release',
          details: { incident: this.id, severity: input.severity },
        }),
      );
    if (force.email ?? route.email)
      sends.push(
        call(NOTIFY_OPTIONS, `email: incident ${what}`, 'sendEmail', {
          to: onCallAt(input.onCall, level),
          subject: `[hwayo-release] incident ${input.severity}: ${input.app} ${input.version} ${what} (${this.id})`,
          text: message,
          idempotencyKey: key,
          severity: 'critical',
        }),
      );
    const results = await Promise.allSettled(sends);
    results.forEach((r) => r.status === 'rejected' && this.event(`notification "${what}" failed: ${String(r.reason)}`));
  }

  /** Nobody took it within the target: page again and reach the next on-call. */
  async escalate(): Promise<void> {
    const level = ++this.escalations;
    const to = onCallAt(this.input.onCall, level);
    this.event(
      `not taken within ${RESPONSE_TARGET_MS[this.input.severity] / 60_000} min: escalation ${level} to ${to}`,
    );
    await this.notify(`escalation-${level}`, `Incident NOT acknowledged: escalation ${level}, paging ${to}`, level, {
      page: true,
      email: true,
    });
  }

  async update(): Promise<void> {
    const n = ++this.updates;
    const minutes = Math.round((Date.now() - this.openedMs) / 60_000);
    const who = this.commander ? `commander ${this.commander}` : 'NOT acknowledged';
    this.event(`status update ${n}`);
    await this.notify(`update-${n}`, `Incident status update ${n}: open ${minutes} min, ${who}`, 0, {
      page: false,
      email: false,
    });
  }

  async storeReview(): Promise<void> {
    const review = buildReview(this.input, this.status());
    try {
      const { location } = await call(DEFAULT_OPTIONS, 'store post-incident review', 'storeIncidentReview', {
        bucket: this.input.artifactsBucket,
        key: `incidents/${this.input.releaseId}/review`,
        markdown: renderReviewMarkdown(review),
        json: JSON.stringify(review),
      });
      this.review = location;
      this.event(`post-incident review stored at ${location}`);
    } catch (err) {
      this.event(`post-incident review could not be stored: ${errorText(err)}`);
    }
    await this.notify(
      'resolved',
      `Incident resolved by ${this.resolvedBy}; review: ${this.review ?? 'not stored'}`,
      0,
      {
        page: false,
        email: false,
      },
    );
  }

  /** Ack or resolve, when the sender's authority and the incident's state allow it. */
  take(action: IncidentAction, req: IncidentRequest): { refusal?: string; entry?: IncidentEntry } {
    if (this.resolvedMs !== undefined) return { refusal: 'the incident is already resolved' };
    if (action === 'ack' && this.commander) return { refusal: `already taken by ${this.commander}` };
    const auth = incidentAuthority(action, req, {
      incidentId: this.id,
      runId: this.runId,
      nonce: this.nonce,
      nowMs: Date.now(),
      people: this.input.people,
      signaturesRequired: this.input.signaturesRequired,
    });
    if (auth.refusal) {
      this.event(`${action} by ${String(req?.by)} refused: ${auth.refusal}`);
      return { refusal: auth.refusal };
    }
    if (auth.signed) this.nonce = uuid4();
    const signed = auth.signed ? ' (signed)' : '';
    if (action === 'ack') {
      this.acknowledgedMs = Date.now();
      this.commander = req.by;
      this.event(`taken by ${req.by}${signed} as incident commander${req.note ? `: ${req.note}` : ''}`);
    } else {
      this.resolvedMs = Date.now();
      this.resolvedBy = req.by;
      this.commander ??= req.by;
      this.event(`resolved by ${req.by}${signed}${req.note ? `: ${req.note}` : ''}`);
    }
    return { entry: this.events[this.events.length - 1] };
  }

  listen(): void {
    const asUpdate = (action: IncidentAction) => (req: IncidentRequest) => {
      const { refusal, entry } = this.take(action, req);
      if (refusal || !entry) throw ApplicationFailure.create({ type: 'Refused', message: refusal, nonRetryable: true });
      return entry;
    };
    const validator = (req: IncidentRequest) => {
      const problem = incidentLimitProblem(req);
      if (problem) throw ApplicationFailure.create({ type: 'Refused', message: problem, nonRetryable: true });
    };
    setHandler(ackIncidentSignal, (req) => void this.take('ack', req));
    setHandler(resolveIncidentSignal, (req) => void this.take('resolve', req));
    setHandler(ackIncidentUpdate, asUpdate('ack'), { validator });
    setHandler(resolveIncidentUpdate, asUpdate('resolve'), { validator });
    setHandler(incidentStatusQuery, () => this.status());
  }

  status(): IncidentStatus {
    const { input } = this;
    const state =
      this.resolvedMs !== undefined ? 'resolved' : this.acknowledgedMs !== undefined ? 'acknowledged' : 'open';
    const escalateAtMs = this.openedMs + (this.escalations + 1) * RESPONSE_TARGET_MS[input.severity];
    return {
      incidentId: this.id,
      releaseId: input.releaseId,
      severity: input.severity,
      state,
      cause: input.cause,
      openedAt: iso(this.openedMs),
      ...(state === 'open' ? { respondBy: iso(escalateAtMs) } : {}),
      ...(this.commander ? { commander: this.commander } : {}),
      ...(this.acknowledgedMs !== undefined ? { acknowledgedAt: iso(this.acknowledgedMs) } : {}),
      ...(this.resolvedMs !== undefined ? { resolvedAt: iso(this.resolvedMs), resolvedBy: this.resolvedBy } : {}),
      escalations: this.escalations,
      updates: this.updates,
      nonce: this.nonce,
      ...(this.review ? { review: this.review } : {}),
      events: [...this.events],
    };
  }
}
