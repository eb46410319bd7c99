// Alertmanager's webhook receiver over real HTTP on loopback: only POST /alerts with the platform's bearer token
// and a bounded version 4 body reaches a release; each refusal answers why and is logged as an audit line.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlertSignal } from '../../src/workflows/alert-rules';
import type { AlertTargets } from '../../src/worker/alert-targets';
import { createAlertWebhook, MAX_BODY_BYTES, readWebhookToken } from '../../src/worker/alert-webhook';
import { readAlertmanagerWebhook } from '../../src/worker/alertmanager-payload';
import { loadWorkerConfig } from '../../src/worker/config';

const TOKEN = 'k'.repeat(40);
const GREEN = 'hwayo-production-green';
const webhook = (alerts: unknown[], version = '4') => ({
  version,
  status: 'firing',
  receiver: 'hwayo-release',
  groupKey: '{}:{alertname="HighErrorRate"}',
  alerts,
});
const alert = (status: string, labels: Record<string, string>) => ({
  status,
  labels,
  annotations: { summary: 'HTTP 5xx rate above 5%' },
  startsAt: '2026-12-06T08:00:00.5Z',
  endsAt: '0001-01-01T00:00:00Z',
  fingerprint: 'abc',
});
const FIRING = alert('firing', { alertname: 'HighErrorRate', namespace: GREEN, severity: 'critical' });

let url: string;
let close: () => Promise<void>;
const signals: [string, AlertSignal][] = [];
const logged: [string, Record<string, unknown>][] = [];

beforeAll(async () => {
  const targets: AlertTargets = {
    find: async (a) => (a.labels.namespace === GREEN ? ['release-1', ...(a.labels.release ? ['gone'] : [])] : []),
    signal: async (id, a) => {
      if (id === 'gone') throw new Error('workflow not found');
      signals.push([id, a]);
    },
  };
  const log = {
    info: () => undefined,
    warn: (m: string, meta: Record<string, unknown>) => void logged.push([m, meta]),
  };
  const server = createAlertWebhook(TOKEN, targets, log);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((r) => server.close(() => r()));
});
afterAll(() => close());
beforeEach(() => {
  signals.length = 0;
  logged.length = 0;
});

const post = (body: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }, path = '/alerts') =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

test('a firing alert for green is signalled to its release; resolved ones and ones without a namespace are not', async () => {
  const res = await post(
    JSON.stringify(
      webhook([
        FIRING,
        alert('resolved', { alertname: 'HighErrorRate', namespace: GREEN }),
        alert('firing', { alertname: 'X' }),
      ]),
    ),
  );
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({
    signalled: [{ alertname: 'HighErrorRate', namespace: GREEN, workflowId: 'release-1' }],
    skipped: ['alerts[2]: no namespace label'],
  });
  expect(signals).toEqual([
    ['release-1', { alertname: 'HighErrorRate', labels: FIRING.labels, startsAt: FIRING.startsAt }],
  ]);
  expect(logged).toEqual([]);
});

test.each<[string, () => Promise<Response>, number, string]>([
  ['no token', () => post(JSON.stringify(webhook([FIRING])), {}), 401, 'Bearer token is required'],
  [
    'a wrong token',
    () => post(JSON.stringify(webhook([FIRING])), { authorization: `Bearer ${'x'.repeat(40)}` }),
    401,
    'Bearer',
  ],
  ['the token without Bearer', () => post(JSON.stringify(webhook([FIRING])), { authorization: TOKEN }), 401, 'Bearer'],
  ['another path', () => post('{}', undefined, '/metrics'), 404, 'POST /alerts'],
  ['a GET', () => fetch(`${url}/alerts`, { headers: { authorization: `Bearer ${TOKEN}` } }), 405, 'use POST'],
  [
    'a body over the bound',
    () => post(JSON.stringify(webhook([{ ...FIRING, pad: 'x'.repeat(MAX_BODY_BYTES) }]))),
    413,
    'body over',
  ],
  ['no JSON', () => post('firing!'), 400, 'not JSON'],
  ['version 3', () => post(JSON.stringify(webhook([FIRING], '3'))), 400, 'version "3" is not "4"'],
])('%s is refused, says why, is audited and signals nothing', async (_what, send, status, error) => {
  const res = await send();
  expect(res.status).toBe(status);
  expect(((await res.json()) as { error: string }).error).toContain(error);
  expect(signals).toEqual([]);
  expect(logged).toEqual([
    [
      'alert webhook refused a request',
      expect.objectContaining({ audit: true, status, error: expect.stringContaining(error) }),
    ],
  ]);
});

test('an alert that cannot reach a release answers 502 (Alertmanager retries) after the others were delivered', async () => {
  const named = alert('firing', { ...FIRING.labels, release: 'gone' });
  const res = await post(JSON.stringify(webhook([named])));
  expect(res.status).toBe(502);
  expect(await res.json()).toEqual({
    error: 'could not reach the releases: HighErrorRate to gone: workflow not found',
  });
  expect(signals.map(([id]) => id)).toEqual(['release-1']);
});

test('the payload reader checks each firing alert as the release would', () => {
  expect(readAlertmanagerWebhook([])).toEqual({ ok: false, problem: 'the body is not a JSON object' });
  expect(readAlertmanagerWebhook({ version: '4', alerts: {} })).toEqual({ ok: false, problem: 'alerts is not a list' });
  const bad = { ...FIRING, startsAt: 'yesterday' };
  expect(readAlertmanagerWebhook(webhook([bad, 7]))).toEqual({
    ok: true,
    firing: [],
    skipped: ['alerts[0]: startsAt is not an RFC 3339 time', 'alerts[1] is not an object'],
  });
});

test("the token file must be the owner's alone and hold a long token", () => {
  const dir = mkdtempSync(join(tmpdir(), 'alert-token-'));
  const file = join(dir, 'token');
  writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
  expect(readWebhookToken(file)).toBe(TOKEN);
  chmodSync(file, 0o640);
  expect(() => readWebhookToken(file)).toThrow(/mode 0640: group or others may read it/);
  writeFileSync(file, 'short', { mode: 0o600 });
  chmodSync(file, 0o600);
  expect(() => readWebhookToken(file)).toThrow(/at least 32 characters/);
  expect(() => readWebhookToken(join(dir, 'missing'))).toThrow(/cannot read alert webhook token file/);
});

test('the worker turns the webhook on with a usable token file, and refuses to start with an unusable one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alert-config-'));
  const file = join(dir, 'token');
  writeFileSync(file, TOKEN, { mode: 0o600 });
  const load = (env: Record<string, string>) =>
    loadWorkerConfig([], { HWAYO_KUBE_IN_CLUSTER: 'true', HWAYO_CODEC: 'off', ...env });
  expect(load({}).alertWebhook).toBeUndefined();
  expect(load({ HWAYO_ALERT_WEBHOOK_TOKEN_FILE: file }).alertWebhook).toEqual({ port: 9466, token: TOKEN });
  chmodSync(file, 0o644);
  expect(() => load({ HWAYO_ALERT_WEBHOOK_TOKEN_FILE: file })).toThrow(
    /HWAYO_ALERT_WEBHOOK_TOKEN_FILE: alert webhook token file .* has mode 0644/,
  );
});
