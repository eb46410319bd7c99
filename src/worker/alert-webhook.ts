// Alertmanager's webhook receiver in the worker (HWAYO_ALERT_WEBHOOK_TOKEN_FILE turns it on): loopback only,
// `POST /alerts` with `Authorization: Bearer <token>` (the platform's token file, mode 0600), a bounded body.
// Each firing alert goes to the release it is for as the alertFiring signal; the release decides. Every refusal
// is logged as an audit line with its reason.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readOwnerOnlyFile } from '../temporal-token';
import type { AlertTargets } from './alert-targets';
import { readAlertmanagerWebhook } from './alertmanager-payload';

export const MAX_BODY_BYTES = 256 * 1024;
const MIN_TOKEN_CHARS = 32;

export interface AlertLog {
  info(message: string, meta: Record<string, unknown>): void;
  warn(message: string, meta: Record<string, unknown>): void;
}

/** The webhook's token; throws when the file is unusable or the token too short to resist guessing. */
export function readWebhookToken(file: string): string {
  const token = readOwnerOnlyFile(file, 'alert webhook token', 4096);
  if (token.length < MIN_TOKEN_CHARS || /\s/.test(token))
    throw new Error(`alert webhook token file ${file} must hold one token of at least ${MIN_TOKEN_CHARS} characters`);
  return token;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const given = header.startsWith('Bearer ') ? header.slice(7) : '';
  return timingSafeEqual(digest(given), digest(token));
}

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) return reject(new HttpRefusal(413, `body over ${MAX_BODY_BYTES} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        // Read no more; the 413 goes out with Connection: close.
        req.pause();
        reject(new HttpRefusal(413, `body over ${MAX_BODY_BYTES} bytes`));
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function forward(body: string, targets: AlertTargets, log: AlertLog) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new HttpRefusal(400, 'the body is not JSON');
  }
  const reading = readAlertmanagerWebhook(parsed);
  if (!reading.ok) throw new HttpRefusal(400, reading.problem);
  const signalled: { alertname: string; namespace: string; workflowId: string }[] = [];
  const failed: string[] = [];
  // One alert that cannot be delivered does not hold back the others; Alertmanager retries on the 502.
  for (const alert of reading.firing) {
    const { alertname, labels } = alert;
    try {
      for (const workflowId of await targets.find(alert)) {
        await targets.signal(workflowId, alert).then(
          () => signalled.push({ alertname, namespace: labels.namespace, workflowId }),
          (err: unknown) => failed.push(`${alertname} to ${workflowId}: ${errorText(err)}`),
        );
      }
    } catch (err) {
      failed.push(`${alertname} for ${labels.namespace}: no release found: ${errorText(err)}`);
    }
  }
  log.info('alerts forwarded to releases', { signalled, skipped: reading.skipped, failed });
  if (failed.length) throw new HttpRefusal(502, `could not reach the releases: ${failed.join('; ')}`);
  return { signalled, skipped: reading.skipped };
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function createAlertWebhook(token: string, targets: AlertTargets, log: AlertLog): Server {
  return createServer((req, res) => {
    const reply = (status: number, body: unknown) =>
      res
        .writeHead(status, { 'Content-Type': 'application/json', ...(status === 413 ? { Connection: 'close' } : {}) })
        .end(`${JSON.stringify(body)}\n`);
    const refuse = (status: number, error: string) => {
      log.warn('alert webhook refused a request', { audit: true, status, error, remote: req.socket.remoteAddress });
      reply(status, { error });
    };
    const path = new URL(req.url ?? '/', 'http://worker').pathname;
    if (path !== '/alerts') return refuse(404, 'not found: POST /alerts');
    if (req.method !== 'POST') return refuse(405, 'use POST');
    if (!authorized(req, token)) return refuse(401, 'a valid Authorization: Bearer token is required');
    readBody(req)
      .then((body) => forward(body, targets, log))
      .then(
        (result) => reply(200, result),
        (err: unknown) => (err instanceof HttpRefusal ? refuse(err.status, err.message) : refuse(500, errorText(err))),
      );
  });
}
