// TLS certificate check: connects, then judges the presented certificate ourselves (dates, host name,
// chain) so each problem gets its own actionable sentence instead of a generic handshake error.
import { readFileSync } from 'node:fs';
import { checkServerIdentity, connect, rootCertificates, type PeerCertificate } from 'node:tls';
import { isIP } from 'node:net';
import { NetworkFailure } from './http';

export interface TlsFacts {
  ok: boolean;
  detail: string;
  data: Record<string, string | number | boolean>;
}

const DAY = 86_400_000;

function fetchCertificate(host: string, port: number, ca: string[], timeoutMs: number) {
  return new Promise<{ cert: PeerCertificate; authorizationError?: string }>((resolve, reject) => {
    // rejectUnauthorized false: we want to see a bad certificate to say what is wrong with it.
    const socket = connect({
      host,
      port,
      servername: isIP(host) ? undefined : host,
      ca,
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const authorizationError = socket.authorizationError ? String(socket.authorizationError) : undefined;
      socket.end();
      if (!cert || Object.keys(cert).length === 0)
        reject(new NetworkFailure('unreachable', `${host}:${port} presented no certificate`));
      else resolve({ cert, authorizationError });
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new NetworkFailure('timeout', `no TLS handshake with ${host}:${port} within ${timeoutMs} ms`));
    });
    socket.once('error', (e: NodeJS.ErrnoException) =>
      reject(new NetworkFailure('unreachable', `TLS connection to ${host}:${port} failed (${e.code ?? e.message})`)),
    );
  });
}

export async function checkTlsCertificate(opts: {
  host: string;
  port: number;
  minValidDays: number;
  caFile?: string;
  timeoutMs: number;
  now?: number;
}): Promise<TlsFacts> {
  const { host, port, minValidDays } = opts;
  const ca = [...rootCertificates, ...(opts.caFile ? [readFileSync(opts.caFile, 'utf8')] : [])];
  const where = `${host}:${port}`;
  let got: Awaited<ReturnType<typeof fetchCertificate>>;
  try {
    got = await fetchCertificate(host, port, ca, opts.timeoutMs);
  } catch (err) {
    if (err instanceof NetworkFailure) return { ok: false, detail: err.message, data: { reachable: false } };
    throw err;
  }
  const { cert, authorizationError } = got;
  const now = opts.now ?? Date.now();
  const notBefore = Date.parse(cert.valid_from),
    notAfter = Date.parse(cert.valid_to);
  const daysLeft = Math.floor((notAfter - now) / DAY);
  const data = {
    subject: String(cert.subject?.CN ?? ''),
    issuer: String(cert.issuer?.CN ?? ''),
    validFrom: new Date(notBefore).toISOString(),
    validTo: new Date(notAfter).toISOString(),
    daysLeft,
    fingerprint256: cert.fingerprint256,
  };
  const fail = (detail: string) => ({ ok: false, detail, data });
  if (now < notBefore)
    return fail(
      `certificate of ${where} is not valid until ${data.validFrom}: check the issuing date or the server clock`,
    );
  if (now > notAfter) return fail(`certificate of ${where} expired on ${data.validTo}: renew it`);
  const identityError = checkServerIdentity(host, cert);
  if (identityError)
    return fail(
      `certificate of ${where} does not cover ${host} (it names ${cert.subjectaltname ?? cert.subject?.CN}): install the right certificate`,
    );
  if (authorizationError)
    return fail(`certificate of ${where} is not trusted (${authorizationError}): check the chain or the CA bundle`);
  if (daysLeft < minValidDays)
    return fail(
      `certificate of ${where} expires in ${daysLeft} days (${data.validTo}), fewer than the ${minValidDays} required: renew it before releasing`,
    );
  return { ok: true, detail: `certificate of ${where} valid until ${data.validTo} (${daysLeft} days)`, data };
}
