// What the notification activities hand to each sink when a person's words are in the message:
// Slack gets `<`, `>`, `&` escaped; PagerDuty a one-line summary of at most 1,024 characters; mail a
// subject without CR/LF. The real activities run against a local HTTP server and a stubbed mailer.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { activityConfigFromEnv } from '../../src/activities/config';
import { createNotifyActivities } from '../../src/activities/notify';
import { mailSubject, pageSummary, slackEscape } from '../../src/activities/notify-format';

const mails: { subject: string }[] = [];
jest.mock('nodemailer', () => ({
  createTransport: () => ({ sendMail: async (m: { subject: string }) => void mails.push(m) }),
}));

const HOSTILE = 'rollback by oncall: <!here> <!channel> <@U123> <https://evil.example|docs> & more';
let server: http.Server;
const bodies: Record<string, unknown>[] = [];
let url = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(text) as Record<string, unknown>);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const activities = () =>
  createNotifyActivities(
    activityConfigFromEnv({
      SLACK_WEBHOOK_URL: `${url}/slack`,
      PAGERDUTY_EVENTS_URL: `${url}/pd`,
      PAGERDUTY_ROUTING_KEY: 'rk',
      SMTP_URL: 'smtp://127.0.0.1:1',
    }),
  );

test('Slack: a control sequence in a reason arrives as text (&lt; &gt; &amp;), so it pings and links nobody', async () => {
  bodies.length = 0;
  const send = activities().postSlack;
  await new MockActivityEnvironment().run(send, {
    channel: '#hwayo-critical',
    severity: 'critical' as const,
    text: HOSTILE,
    idempotencyKey: 'k-slack',
  });
  expect(bodies).toEqual([
    {
      text:
        ':rotating_light: *CRITICAL* rollback by oncall: &lt;!here&gt; &lt;!channel&gt; &lt;@U123&gt; ' +
        '&lt;https://evil.example|docs&gt; &amp; more',
    },
  ]);
  expect(slackEscape('&lt;')).toBe('&amp;lt;');
});

test('PagerDuty: the summary is one line of at most 1,024 characters', async () => {
  bodies.length = 0;
  const page = activities().sendPage;
  const summary = `two\nlines ${'x'.repeat(5000)}`;
  await new MockActivityEnvironment().run(page, {
    action: 'trigger' as const,
    dedupKey: 'd1',
    summary,
    severity: 'critical' as const,
    source: 'hwayo-release',
  });
  const sent = (bodies[0].payload as { summary: string }).summary;
  expect(sent).toHaveLength(1024);
  expect(sent.startsWith('two lines xxx')).toBe(true);
  expect(sent.endsWith('...')).toBe(true);
  expect(pageSummary('short')).toBe('short');
});

test('mail: CR/LF in a subject cannot add a header; the subject is one line of at most 200 characters', async () => {
  mails.length = 0;
  const mail = activities().sendEmail;
  await new MockActivityEnvironment().run(mail, {
    to: 'oncall@hwayo.com',
    subject: 'rolled back\r\nBcc: everyone@example.com',
    text: HOSTILE,
    idempotencyKey: 'k-mail',
    severity: 'critical' as const,
  });
  expect(mails.map((m) => m.subject)).toEqual(['rolled back Bcc: everyone@example.com']);
  expect(mailSubject('s'.repeat(300))).toHaveLength(200);
});
