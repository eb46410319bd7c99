// Notifications: Slack webhooks, PagerDuty Events v2, e-mail over SMTP. Each send carries an
// idempotency key so a retried activity does not post or page twice. Webhook URLs, the routing key and
// SMTP credentials come from the worker's configuration only, and never appear in messages.
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { activityInfo, log } from '@temporalio/activity';
import { createTransport, type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { ApplicationFailure } from '@temporalio/common';
import { httpStatusFailure, networkFailure } from './classify';
import type { ActivityConfig } from './config';
import type { EmailInput, PageInput, SlackMessage } from './contract';
import { nonRetryable, retryable } from './errors';
import { type HttpResponse, NetworkFailure } from './http';
import { mailSubject, pageSummary, slackBody } from './notify-format';
import { sentKeysFor } from './sent-keys';

type SendResult = { delivered: boolean; duplicate: boolean };

const TIMEOUT_MS = 10_000;
const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 24);

function requireKey(key: string) {
  if (!key || key.length > 200) throw nonRetryable('InvalidInput', 'idempotencyKey must be 1-200 characters');
}

/**
 * POSTs JSON with node:http(s), calling `onPosted` once the whole request has been handed to the OS
 * (the message has left the worker; fetch() cannot tell that moment apart from the answer).
 */
function post(url: string, payload: string, onPosted: () => void): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? https : http).request(
      u,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text });
        });
        res.on('error', (err) => req.destroy(err));
      },
    );
    const timer = setTimeout(
      () => req.destroy(new NetworkFailure('timeout', `no answer within ${TIMEOUT_MS} ms`)),
      TIMEOUT_MS,
    );
    req.on('error', (err: Error & { code?: string }) => {
      clearTimeout(timer);
      reject(
        err instanceof NetworkFailure
          ? err
          : new NetworkFailure('unreachable', `connection failed (${err.code ?? err.message})`),
      );
    });
    req.end(payload, onPosted);
  });
}

/** POSTs JSON; maps non-2xx and network failures onto retryable / non-retryable failures. */
async function postJson(
  what: string,
  url: string,
  body: unknown,
  onPosted: () => void = () => undefined,
): Promise<string> {
  try {
    const res = await post(url, JSON.stringify(body), onPosted);
    // Webhook URLs carry their token in the path: never let an echoing server put it into history.
    if (res.status < 200 || res.status >= 300)
      throw httpStatusFailure(what, res.status, res.text.split(new URL(url).pathname).join('***'));
    return res.text;
  } catch (err) {
    if (err instanceof NetworkFailure) throw networkFailure(what, err);
    throw err;
  }
}

function smtpFailure(to: string, err: unknown): ApplicationFailure {
  const e = err as { code?: string; responseCode?: number; message?: string };
  const msg = `sending mail to ${to}: ${e.responseCode ?? e.code ?? ''} ${e.message ?? String(err)}`.replace(
    /smtps?:\/\/[^@\s]+@/g,
    'smtp://***@',
  );
  if (e.code === 'EAUTH' || e.responseCode === 535) return nonRetryable('PermissionDenied', msg);
  if (e.responseCode !== undefined && e.responseCode >= 500) return nonRetryable('InvalidInput', msg);
  return retryable('Unavailable', msg); // 4xx replies (greylisting, 451) and connection failures
}

export function createNotifyActivities(config: ActivityConfig) {
  let mailer: Transporter | undefined;

  /**
   * Runs `send` once per key. Critical messages are at-least-once: a retry after a crash that may have
   * come after the post sends again, and a dedup store that is down does not hold them back (PagerDuty's
   * dedup key and the mail's Message-ID absorb a duplicate). Other messages are at-most-once per post
   * that left the worker, and wait (retryable failure) while the store is down.
   */
  async function once(
    key: string,
    what: string,
    critical: boolean,
    send: (onPosted: () => void) => Promise<void>,
  ): Promise<SendResult> {
    const store = sentKeysFor(config.redis.url);
    // The claim never outlives this attempt, so the next attempt (started only after this one timed out) can send.
    const claimTtlS = Math.max(5, Math.ceil((activityInfo().startToCloseTimeoutMs || 30_000) / 1000));
    let recorded = true;
    try {
      const claim = await store.claim(key, claimTtlS, critical);
      if (claim === 'already-sent') return { delivered: true, duplicate: true };
      if (claim === 'in-flight')
        throw retryable('Conflict', `${what} is being sent by another attempt; retrying later`);
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      if (!critical)
        throw retryable('Unavailable', `idempotency record unavailable before ${what}: ${(err as Error).message}`);
      log.warn('idempotency record unavailable: sending a critical message without it', {
        what,
        error: (err as Error).message,
      });
      recorded = false;
    }
    try {
      await send(() => {
        if (recorded) store.markPosted(key).catch(() => undefined);
      });
    } catch (err) {
      if (recorded) await store.release(key).catch(() => undefined);
      throw err;
    }
    // Delivered: a failure to record it must not fail the activity (a retry would send again).
    if (recorded) await store.markSent(key).catch(() => undefined);
    return { delivered: true, duplicate: false };
  }

  return {
    async postSlack(input: SlackMessage): Promise<SendResult> {
      requireKey(input.idempotencyKey);
      const url = config.slack.webhookUrls[input.channel] ?? config.slack.defaultWebhookUrl;
      if (!url) {
        const env = `SLACK_WEBHOOK_URL_${input.channel.replace(/^#/, '').toUpperCase().replace(/-/g, '_')}`;
        throw nonRetryable(
          'InvalidInput',
          `no Slack webhook configured for ${input.channel} (set ${env} on the worker)`,
        );
      }
      const what = `Slack webhook for ${input.channel}`;
      return once(
        `slack:${input.channel}:${input.idempotencyKey}`,
        what,
        input.severity === 'critical',
        async (onPosted) => {
          await postJson(what, url, slackBody(input.severity, input.text), onPosted);
        },
      );
    },

    async sendPage(input: PageInput): Promise<SendResult> {
      const routingKey = config.pagerduty.routingKey;
      if (!routingKey)
        throw nonRetryable(
          'InvalidInput',
          'no PagerDuty routing key configured (set PAGERDUTY_ROUTING_KEY on the worker)',
        );
      if (!input.dedupKey || input.dedupKey.length > 255)
        throw nonRetryable('InvalidInput', 'dedupKey must be 1-255 characters');
      const body =
        input.action === 'trigger'
          ? {
              routing_key: routingKey,
              event_action: 'trigger',
              dedup_key: input.dedupKey,
              payload: {
                summary: pageSummary(input.summary),
                source: input.source,
                severity: input.severity,
                custom_details: input.details,
              },
            }
          : { routing_key: routingKey, event_action: 'resolve', dedup_key: input.dedupKey };
      // PagerDuty merges triggers with one dedup_key into one incident; the record also spares the duplicate request.
      const key = `pagerduty:${input.dedupKey}:${input.action}:${hash(input.summary)}`;
      // A page is critical by nature: at-least-once (PagerDuty folds repeats into the dedup key's incident).
      return once(key, `PagerDuty ${input.action} ${input.dedupKey}`, true, async (onPosted) => {
        await postJson(
          `PagerDuty Events API (${input.action} ${input.dedupKey})`,
          config.pagerduty.eventsUrl,
          body,
          onPosted,
        );
      });
    },

    async sendEmail(input: EmailInput): Promise<SendResult> {
      requireKey(input.idempotencyKey);
      if (!/^[^\s@]+@[^\s@]+$/.test(input.to))
        throw nonRetryable('InvalidInput', `"${input.to}" is not an e-mail address`);
      if (!config.smtp.url)
        throw nonRetryable('InvalidInput', 'no SMTP server configured (set SMTP_URL on the worker)');
      mailer ??= createTransport({
        url: config.smtp.url,
        connectionTimeout: TIMEOUT_MS,
        greetingTimeout: TIMEOUT_MS,
        socketTimeout: TIMEOUT_MS,
      } as SMTPTransport.Options);
      const transport = mailer;
      // Mail goes to on-call for critical events only: at-least-once (the same Message-ID lets a duplicate be dropped).
      return once(
        `email:${input.to}:${input.idempotencyKey}`,
        `mail to ${input.to}`,
        input.severity !== 'info' && input.severity !== 'warning',
        async () => {
          try {
            await transport.sendMail({
              from: config.smtp.from,
              to: input.to,
              subject: mailSubject(input.subject),
              text: input.text,
              // The same Message-ID on a retry lets mail systems drop a duplicate we could not prevent.
              messageId: `<${hash(input.idempotencyKey)}@hwayo-release>`,
              headers: { 'X-Idempotency-Key': input.idempotencyKey },
            });
          } catch (err) {
            throw smtpFailure(input.to, err);
          }
        },
      );
    },
  };
}
