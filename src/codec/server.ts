// Codec server for the Temporal Web UI and CLI (`--ui-codec-endpoint`, `temporal --codec-endpoint`):
// POST /encode and POST /decode take and return {payloads: [...]} in protobuf JSON (base64 bytes).
// Every request needs `Authorization: Bearer <HWAYO_CODEC_SERVER_TOKEN>` (never a token in the URL); CORS only
// for the UI origins.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm';
import { CODEC_KEYS_VAR, parseCodecKeys } from './keys';

export interface CodecServerOptions {
  codecs: PayloadCodec[];
  token: string;
  /** Origins allowed to call from a browser (the Temporal Web UI). */
  allowedOrigins: string[];
  host?: string;
  port?: number;
  /** Largest request body accepted, bytes. */
  maxBodyBytes?: number;
}

export const DEFAULT_UI_ORIGINS = ['http://127.0.0.1:18233', 'http://localhost:8233'];

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const toPayload = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

async function runCodecs(
  codecs: PayloadCodec[],
  direction: 'encode' | 'decode',
  payloads: Payload[],
): Promise<Payload[]> {
  // Encoding applies codecs in order; decoding in reverse (as the SDK does).
  const order = direction === 'encode' ? codecs : [...codecs].reverse();
  let out = payloads;
  for (const codec of order) out = await codec[direction](out);
  return out;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createCodecServer(opts: CodecServerOptions): Server {
  if (!opts.token) throw new Error('the codec server needs a bearer token (HWAYO_CODEC_SERVER_TOKEN)');
  const maxBody = opts.maxBodyBytes ?? 8 * 1024 * 1024;
  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) =>
      send(res, 500, { message: err instanceof Error ? err.message : String(err) }),
    );
  });

  function cors(req: IncomingMessage, res: ServerResponse) {
    const origin = req.headers.origin;
    if (origin && opts.allowedOrigins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
      res.setHeader('Access-Control-Max-Age', '600');
      res.setHeader('Vary', 'Origin');
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    cors(req, res);
    // The token only ever in the Authorization header: a URL is shown in the UI's settings, logs and proxies.
    const path = new URL(req.url ?? '/', 'http://codec').pathname;
    if (req.method === 'OPTIONS') return send(res, 204);
    if (path === '/healthz' && req.method === 'GET') return send(res, 200, { ok: true });
    if (path !== '/encode' && path !== '/decode')
      return send(res, 404, { message: 'not found: use POST /encode or POST /decode' });
    if (req.method !== 'POST') return send(res, 405, { message: 'use POST' });
    if (!tokenMatches(req.headers.authorization, opts.token))
      return send(res, 401, { message: 'missing or wrong bearer token' });
    const body = await readBody(req, maxBody);
    if (body === undefined) return send(res, 413, { message: `request body over ${maxBody} bytes` });
    let parsed: { payloads?: JsonPayload[] };
    try {
      parsed = JSON.parse(body) as { payloads?: JsonPayload[] };
    } catch {
      return send(res, 400, { message: 'body must be JSON: {"payloads": [...]}' });
    }
    if (!Array.isArray(parsed.payloads)) return send(res, 400, { message: 'body must be JSON: {"payloads": [...]}' });
    try {
      const out = await runCodecs(
        opts.codecs,
        path === '/encode' ? 'encode' : 'decode',
        parsed.payloads.map(toPayload),
      );
      return send(res, 200, { payloads: out.map(toJson) });
    } catch (err) {
      return send(res, 400, { message: err instanceof Error ? err.message : String(err) });
    }
  }
}

function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooBig ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body?: unknown) {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

/** Options from the environment; throws with the variable's name when one is missing or wrong. */
export function codecServerOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): CodecServerOptions {
  // Decoding only shows payloads, so a plaintext one (an older history) is shown as stored.
  const keys = parseCodecKeys(env[CODEC_KEYS_VAR]);
  if (!keys.length) throw new Error('HWAYO_CODEC_KEYS is not set: the codec server has no keys to use');
  const codecs = [new AesGcmCodec(keys, { plaintext: 'pass' })];
  const token = env.HWAYO_CODEC_SERVER_TOKEN ?? '';
  if (token.length < 16) throw new Error('HWAYO_CODEC_SERVER_TOKEN must be set (at least 16 characters)');
  const port = Number(env.HWAYO_CODEC_SERVER_PORT ?? 18234);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`HWAYO_CODEC_SERVER_PORT must be a port number, got "${env.HWAYO_CODEC_SERVER_PORT}"`);
  const origins =
    env.HWAYO_CODEC_SERVER_ORIGINS?.split(',')
      .map((s) => s.trim())
      .filter(Boolean) ?? DEFAULT_UI_ORIGINS;
  return { codecs, token, allowedOrigins: origins, host: env.HWAYO_CODEC_SERVER_HOST ?? '127.0.0.1', port };
}

/** Starts listening; resolves with the bound port. */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

if (require.main === module) {
  let opts: CodecServerOptions;
  try {
    opts = codecServerOptionsFromEnv();
  } catch (err) {
    process.stderr.write(`codec-server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const server = createCodecServer(opts);
  listen(server, opts.host ?? '127.0.0.1', opts.port ?? 18234).then(
    (port) => {
      process.stdout.write(
        `${JSON.stringify({ level: 'INFO', message: 'codec server listening', host: opts.host, port, origins: opts.allowedOrigins })}\n`,
      );
    },
    (err: unknown) => {
      process.stderr.write(`codec-server: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
