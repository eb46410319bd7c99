// Slack, PagerDuty and e-mail against the stack's sinks: exactly one message per logical send even when
// the activity runs twice (or on another worker), injected 500s are retryable, bad config is not.
import { ApplicationFailure } from '@temporalio/common';
import Redis from 'ioredis';
import type { ActivityConfig } from '../../src/activities/config';
import { createNotifyActivities } from '../../src/activities/notify';
import { closeSentKeys, sentKeysFor } from '../../src/activities/sent-keys';
import { getJson, postJson, runActivity } from './activity-env';
import { stackConfig, stackVar } from './stack';

jest.setTimeout(30_000);

const config = stackConfig();
const sinks = stackVar('SINKS_URL');
const marker = () => `test-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

interface Received {
  kind: string;
  channel?: string;
  body: Record<string, unknown>;
}
const received = async (kind: string, contains: string) =>
  (await getJson<{ received: Received[] }>(`${sinks}/received?kind=${kind}`)).received.filter((r) =>
    JSON.stringify(r.body).includes(contains),
  );

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

afterEach(async () => {
  await postJson(`${sinks}/control/reset`, {});
});
afterAll(async () => {
  await closeSentKeys();
});

describe('postSlack', () => {
  it('posts once per idempotency key, even when run twice or on another worker', async () => {
    const m = marker();
    const input = {
      channel: '#hwayo-critical',
      severity: 'critical' as const,
      text: `rollback started ${m}`,
      idempotencyKey: m,
    };
    expect((await runActivity(createNotifyActivities(config).postSlack, input)).result).toEqual({
      delivered: true,
      duplicate: false,
    });
    expect((await runActivity(createNotifyActivities(config).postSlack, input)).result).toEqual({
      delivered: true,
      duplicate: true,
    });
    const got = await received('slack', m);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      channel: '#hwayo-critical',
      body: { text: `:rotating_light: *CRITICAL* rollback started ${m}` },
    });

    // The record lives in Redis with a TTL, so it is shared by workers and does not grow forever.
    const redis = new Redis(stackVar('REDIS_URL'));
    try {
      expect(await redis.get(`hwayo-release:sent:slack:#hwayo-critical:${m}`)).toBe('sent');
      expect(await redis.ttl(`hwayo-release:sent:slack:#hwayo-critical:${m}`)).toBeGreaterThan(3600);
    } finally {
      redis.disconnect();
    }
  });

  it('each channel goes to its own webhook', async () => {
    const m = marker();
    const acts = createNotifyActivities(config);
    await runActivity(acts.postSlack, {
      channel: '#hwayo-alerts',
      severity: 'warning',
      text: `cpu high ${m}`,
      idempotencyKey: `${m}-a`,
    });
    await runActivity(acts.postSlack, {
      channel: '#hwayo-releases',
      severity: 'info',
      text: `released ${m}`,
      idempotencyKey: `${m}-r`,
    });
    expect((await received('slack', m)).map((r) => r.channel).sort()).toEqual(['#hwayo-alerts', '#hwayo-releases']);
  });

  it('a 500 from Slack is retryable and the retry delivers exactly once', async () => {
    const m = marker();
    const input = { channel: '#hwayo-alerts', severity: 'warning' as const, text: `retry me ${m}`, idempotencyKey: m };
    await postJson(`${sinks}/fail`, { count: 1, status: 500, kind: 'slack' });
    const f = await failure(runActivity(createNotifyActivities(config).postSlack, input));
    expect(f).toMatchObject({ type: 'Unavailable', nonRetryable: false, message: expect.stringContaining('HTTP 500') });
    expect(f.message).not.toContain('/slack/'); // the webhook URL is a secret
    expect((await runActivity(createNotifyActivities(config).postSlack, input)).result).toEqual({
      delivered: true,
      duplicate: false,
    });
    expect(await received('slack', m)).toHaveLength(1);
  });

  it('a connection dropped mid-request is retryable', async () => {
    await postJson(`${sinks}/fail`, { count: 1, mode: 'drop', kind: 'slack' });
    const f = await failure(
      runActivity(createNotifyActivities(config).postSlack, {
        channel: '#hwayo-alerts',
        severity: 'info',
        text: 'x',
        idempotencyKey: marker(),
      }),
    );
    expect(f).toMatchObject({ type: 'Unavailable', nonRetryable: false });
  });

  it('a channel without a webhook, or a webhook that is gone, is not retryable', async () => {
    const none = await failure(
      runActivity(createNotifyActivities(config).postSlack, {
        channel: '#nowhere',
        severity: 'info',
        text: 'x',
        idempotencyKey: marker(),
      }),
    );
    expect(none).toMatchObject({
      type: 'InvalidInput',
      nonRetryable: true,
      message: expect.stringContaining('SLACK_WEBHOOK_URL_NOWHERE'),
    });
    const gone: ActivityConfig = { ...config, slack: { webhookUrls: { '#hwayo-alerts': `${sinks}/no-such-hook` } } };
    const f = await failure(
      runActivity(createNotifyActivities(gone).postSlack, {
        channel: '#hwayo-alerts',
        severity: 'info',
        text: 'x',
        idempotencyKey: marker(),
      }),
    );
    expect(f).toMatchObject({ type: 'NotFound', nonRetryable: true });
    expect(f.message).not.toContain('no-such-hook'); // the sink echoes the path; the token must not reach history
  });

  it('Redis configured but down: retryable, and nothing is posted unrecorded', async () => {
    const m = marker();
    const f = await failure(
      runActivity(createNotifyActivities({ ...config, redis: { url: 'redis://127.0.0.1:19989' } }).postSlack, {
        channel: '#hwayo-alerts',
        severity: 'info',
        text: `redis down ${m}`,
        idempotencyKey: m,
      }),
    );
    expect(f).toMatchObject({
      type: 'Unavailable',
      nonRetryable: false,
      message: expect.stringContaining('idempotency record unavailable'),
    });
    expect(await received('slack', m)).toHaveLength(0);
  });

  it('hole 10: Redis down during an incident: critical Slack, the page and the mail still go out; info waits (retryable)', async () => {
    const m = marker();
    const down = createNotifyActivities({ ...config, redis: { url: 'redis://127.0.0.1:19989' } });
    const t0 = Date.now();
    expect(
      (
        await runActivity(down.postSlack, {
          channel: '#hwayo-critical',
          severity: 'critical',
          text: `db gone ${m}`,
          idempotencyKey: m,
        })
      ).result,
    ).toEqual({ delivered: true, duplicate: false });
    expect(
      (
        await runActivity(down.sendPage, {
          action: 'trigger',
          dedupKey: `rel:${m}:emergency`,
          summary: `db gone ${m}`,
          severity: 'critical',
          source: 'hwayo-release',
        })
      ).result.delivered,
    ).toBe(true);
    expect(
      (
        await runActivity(down.sendEmail, {
          to: 'oncall@hwayo.com',
          subject: `db gone ${m}`,
          text: `db gone ${m}`,
          idempotencyKey: m,
          severity: 'critical',
        })
      ).result.delivered,
    ).toBe(true);
    expect(Date.now() - t0).toBeLessThan(15_000); // the store's short deadlines, not a hang
    expect(await received('slack', m)).toHaveLength(1);
    expect(await received('pagerduty', m)).toHaveLength(1);
    expect(await received('email', m)).toHaveLength(1);
    // Info is not worth a duplicate: it fails retryably (the workflow records it) and posts nothing.
    const f = await failure(
      runActivity(down.postSlack, {
        channel: '#hwayo-releases',
        severity: 'info',
        text: `info ${m}`,
        idempotencyKey: `${m}-i`,
      }),
    );
    expect(f).toMatchObject({ type: 'Unavailable', nonRetryable: false });
    expect(await received('slack', `info ${m}`)).toHaveLength(0);
  });

  it('hole 10: a claim left by an attempt that died before posting expires with the attempt, so the retry delivers', async () => {
    const m = marker();
    const input = { channel: '#hwayo-alerts', severity: 'info' as const, text: `claimed ${m}`, idempotencyKey: m };
    // The dead attempt (start-to-close 3 s) claimed the key and never posted.
    await sentKeysFor(stackVar('REDIS_URL')).claim(`slack:#hwayo-alerts:${m}`, 3, false);
    const attempt = { startToCloseTimeoutMs: 3_000 };
    expect(await failure(runActivity(createNotifyActivities(config).postSlack, input, attempt))).toMatchObject({
      type: 'Conflict',
      nonRetryable: false,
    });
    await new Promise((r) => setTimeout(r, 3_500)); // the next attempt comes only after the first timed out
    expect((await runActivity(createNotifyActivities(config).postSlack, input, attempt)).result).toEqual({
      delivered: true,
      duplicate: false,
    });
    expect(await received('slack', m)).toHaveLength(1);
  });

  it('hole 10: after a post left the worker but no answer came, info is not posted again, critical is', async () => {
    const store = sentKeysFor(stackVar('REDIS_URL'));
    const m = marker();
    for (const channel of ['#hwayo-releases', '#hwayo-critical']) {
      await store.claim(`slack:${channel}:${m}`, 30, false);
      await store.markPosted(`slack:${channel}:${m}`);
    }
    expect(
      (
        await runActivity(createNotifyActivities(config).postSlack, {
          channel: '#hwayo-releases',
          severity: 'info',
          text: `posted ${m}`,
          idempotencyKey: m,
        })
      ).result,
    ).toEqual({ delivered: true, duplicate: true });
    expect(
      (
        await runActivity(createNotifyActivities(config).postSlack, {
          channel: '#hwayo-critical',
          severity: 'critical',
          text: `posted ${m}`,
          idempotencyKey: m,
        })
      ).result,
    ).toEqual({ delivered: true, duplicate: false });
    expect((await received('slack', m)).map((r) => r.channel)).toEqual(['#hwayo-critical']);
  });

  it('without Redis the in-process record still stops a second post', async () => {
    const m = marker();
    const acts = createNotifyActivities({ ...config, redis: {} });
    const input = { channel: '#hwayo-releases', severity: 'info' as const, text: `no redis ${m}`, idempotencyKey: m };
    await runActivity(acts.postSlack, input);
    expect((await runActivity(acts.postSlack, input)).result.duplicate).toBe(true);
    expect(await received('slack', m)).toHaveLength(1);
  });
});

describe('sendPage', () => {
  it('triggers once and resolves once with the dedup key, payload as PagerDuty requires', async () => {
    const dedupKey = `release-${marker()}`;
    const trigger = {
      action: 'trigger' as const,
      dedupKey,
      summary: 'hwayo canary error rate 7% > 5%',
      severity: 'critical' as const,
      source: 'hwayo-release',
      details: { error_rate: 7 },
    };
    expect((await runActivity(createNotifyActivities(config).sendPage, trigger)).result).toEqual({
      delivered: true,
      duplicate: false,
    });
    expect((await runActivity(createNotifyActivities(config).sendPage, trigger)).result).toEqual({
      delivered: true,
      duplicate: true,
    });
    await runActivity(createNotifyActivities(config).sendPage, { ...trigger, action: 'resolve' });
    const got = await received('pagerduty', dedupKey);
    expect(got.map((r) => r.body.event_action)).toEqual(['trigger', 'resolve']);
    expect(got[0].body).toMatchObject({
      routing_key: stackVar('PAGERDUTY_ROUTING_KEY'),
      dedup_key: dedupKey,
      payload: {
        summary: trigger.summary,
        severity: 'critical',
        source: 'hwayo-release',
        custom_details: { error_rate: 7 },
      },
    });
  });

  it('PagerDuty 500 then success: one event; a wrong routing key is rejected without retry', async () => {
    const dedupKey = `release-${marker()}`;
    const page = {
      action: 'trigger' as const,
      dedupKey,
      summary: 's',
      severity: 'warning' as const,
      source: 'hwayo-release',
    };
    await postJson(`${sinks}/fail`, { count: 1, status: 502, kind: 'pagerduty' });
    expect(await failure(runActivity(createNotifyActivities(config).sendPage, page))).toMatchObject({
      nonRetryable: false,
    });
    await runActivity(createNotifyActivities(config).sendPage, page);
    expect(await received('pagerduty', dedupKey)).toHaveLength(1);

    const wrongKey = { ...config, pagerduty: { ...config.pagerduty, routingKey: 'x'.repeat(32) } };
    const f = await failure(
      runActivity(createNotifyActivities(wrongKey).sendPage, { ...page, dedupKey: `${dedupKey}-2` }),
    );
    expect(f).toMatchObject({
      type: 'InvalidInput',
      nonRetryable: true,
      message: expect.stringContaining('Invalid routing key'),
    });
    expect(f.message).not.toContain('x'.repeat(32));
  });
});

describe('sendEmail', () => {
  it('mails once per key over SMTP with the idempotency key in the headers', async () => {
    const m = marker();
    const mail = {
      to: 'oncall@hwayo.com',
      subject: `Rollback ${m}`,
      text: 'Green was rolled back.',
      idempotencyKey: m,
    };
    expect((await runActivity(createNotifyActivities(config).sendEmail, mail)).result).toEqual({
      delivered: true,
      duplicate: false,
    });
    expect((await runActivity(createNotifyActivities(config).sendEmail, mail)).result).toEqual({
      delivered: true,
      duplicate: true,
    });
    const got = await received('email', m);
    expect(got).toHaveLength(1);
    expect(got[0].body).toMatchObject({ to: ['oncall@hwayo.com'], subject: `Rollback ${m}`, idempotencyKey: m });
  });

  it('a 451 from the server is retryable and the retry mails once; bad credentials are not retryable', async () => {
    const m = marker();
    const mail = { to: 'oncall@hwayo.com', subject: `Retry ${m}`, text: 't', idempotencyKey: m };
    await postJson(`${sinks}/fail`, { count: 1, kind: 'email' });
    expect(await failure(runActivity(createNotifyActivities(config).sendEmail, mail))).toMatchObject({
      type: 'Unavailable',
      nonRetryable: false,
    });
    await runActivity(createNotifyActivities(config).sendEmail, mail);
    expect(await received('email', m)).toHaveLength(1);

    const badAuth = {
      ...config,
      smtp: { ...config.smtp, url: (config.smtp.url ?? '').replace('sink-password', 'wrong-pass') },
    };
    const f = await failure(
      runActivity(createNotifyActivities(badAuth).sendEmail, { ...mail, idempotencyKey: `${m}-2` }),
    );
    expect(f).toMatchObject({ type: 'PermissionDenied', nonRetryable: true });
    expect(f.message).not.toContain('wrong-pass');
  });

  it('SMTP server down is retryable; a malformed address is not', async () => {
    const down = { ...config, smtp: { ...config.smtp, url: 'smtp://127.0.0.1:19991' } };
    expect(
      await failure(
        runActivity(createNotifyActivities(down).sendEmail, {
          to: 'a@b.c',
          subject: 's',
          text: 't',
          idempotencyKey: marker(),
        }),
      ),
    ).toMatchObject({ type: 'Unavailable', nonRetryable: false });
    expect(
      await failure(
        runActivity(createNotifyActivities(config).sendEmail, {
          to: 'not-an-address',
          subject: 's',
          text: 't',
          idempotencyKey: marker(),
        }),
      ),
    ).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
  });
});
