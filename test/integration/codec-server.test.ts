// The codec server the Web UI calls: round trip over HTTP, bearer token required, CORS for the UI.
import type { Server } from 'node:http';
import { AesGcmCodec, ENCODING, KEY_ID_HEADER, parseCodecKeys } from '../../src/codec';
import { codecServerOptionsFromEnv, createCodecServer, listen } from '../../src/codec/server';
import { newKey } from './codec-helpers';

const token = 'test-token-0123456789abcdef';
const k1 = newKey('k1');
const k2 = newKey('k2');
let server: Server;
let base: string;

beforeAll(async () => {
  // As `npm run codec-server` configures itself.
  const opts = codecServerOptionsFromEnv({
    HWAYO_CODEC_KEYS: `${k2},${k1}`,
    HWAYO_CODEC_SERVER_TOKEN: token,
    HWAYO_CODEC_SERVER_ORIGINS: 'http://127.0.0.1:18233',
  });
  server = createCodecServer(opts);
  base = `http://127.0.0.1:${await listen(server, '127.0.0.1', 0)}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

const b64 = (s: string) => Buffer.from(s).toString('base64');
const post = (path: string, body: unknown, headers: Record<string, string> = { Authorization: `Bearer ${token}` }) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

test('encode then decode gives back the payload; the encoded form is encrypted with the active key', async () => {
  const payload = { metadata: { encoding: b64('json/plain') }, data: b64('{"comment":"secret approval note"}') };
  const encoded = await post('/encode', { payloads: [payload] });
  expect(encoded.status).toBe(200);
  const { payloads } = (await encoded.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
  expect(Buffer.from(payloads[0].metadata.encoding, 'base64').toString()).toBe(ENCODING);
  expect(Buffer.from(payloads[0].metadata[KEY_ID_HEADER], 'base64').toString()).toBe('k2');
  expect(Buffer.from(payloads[0].data, 'base64').toString('latin1')).not.toContain('secret approval note');
  const decoded = await post('/decode', { payloads });
  expect(await decoded.json()).toEqual({ payloads: [payload] });
});

test('a payload encrypted with the old key decodes after rotation', async () => {
  const [old] = await new AesGcmCodec(parseCodecKeys(k1)).encode([
    { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"from k1"') },
  ]);
  const res = await post('/decode', {
    payloads: [
      {
        metadata: Object.fromEntries(
          Object.entries(old.metadata!).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
        ),
        data: Buffer.from(old.data!).toString('base64'),
      },
    ],
  });
  const { payloads } = (await res.json()) as { payloads: { data: string }[] };
  expect(Buffer.from(payloads[0].data, 'base64').toString()).toBe('"from k1"');
});

test('an unknown key id is a clear 400', async () => {
  const res = await post('/decode', {
    payloads: [{ metadata: { encoding: b64(ENCODING), [KEY_ID_HEADER]: b64('k0') }, data: b64('x'.repeat(40)) }],
  });
  expect(res.status).toBe(400);
  expect(((await res.json()) as { message: string }).message).toMatch(/key "k0", which is not configured/);
});

test('401 without the bearer token or with a wrong one', async () => {
  expect((await post('/decode', { payloads: [] }, {})).status).toBe(401);
  expect((await post('/decode', { payloads: [] }, { Authorization: 'Bearer wrong' })).status).toBe(401);
  expect((await post('/decode', { payloads: [] }, { Authorization: token })).status).toBe(401); // not a Bearer
  expect((await post('/decode', { payloads: [] })).status).toBe(200);
});

test('the token in the URL is no way in: the path form is gone, a query string is ignored', async () => {
  for (const path of [`/t/${token}/decode`, `/t/${encodeURIComponent(token)}/encode`]) {
    const res = await post(path, { payloads: [] }, {});
    expect({ path, status: res.status }).toEqual({ path, status: 404 });
  }
  expect((await post(`/decode?token=${token}`, { payloads: [] }, {})).status).toBe(401);
  expect((await post(`/decode?access_token=${token}`, { payloads: [] }, {})).status).toBe(401);
});

test('a plaintext payload (an older history) is shown as stored: decoding only shows payloads', async () => {
  const payload = { metadata: { encoding: b64('json/plain') }, data: b64('"before encryption"') };
  const res = await post('/decode', { payloads: [payload] });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ payloads: [payload] });
});

test('CORS preflight answers the UI origin only', async () => {
  const ui = await fetch(`${base}/decode`, {
    method: 'OPTIONS',
    headers: {
      Origin: 'http://127.0.0.1:18233',
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization,content-type,x-namespace',
    },
  });
  expect(ui.status).toBe(204);
  expect(ui.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:18233');
  expect(ui.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
  expect(ui.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
  expect(ui.headers.get('access-control-allow-methods')).toMatch(/POST/);
  const other = await fetch(`${base}/decode`, {
    method: 'OPTIONS',
    headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' },
  });
  expect(other.headers.get('access-control-allow-origin')).toBeNull();
});
