// TLS certificate check: connects, then judges the presented certificate ourselves (dates, host name,
// chain) so each problem gets its own actionable sentence instead of a generic handshake error. The
// seed (section 8.2) requires TLS 1.3 in transit: a server that negotiates less fails.
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
const REQUIRED_PROTOCOL = 'TLSv1.3' as const;

function fetchCertificate(host: string, port: number, ca: string[], timeoutMs: number) {
  return new Promise<{ cert: PeerCertificate; authorizationError?: string; protocol: string }>((resolve, reject) => {
    // rejectUnauthorized false: we want to see a bad certificate to say what is wrong with it.
    const socket = connect({
      host,
      port,
      servername: isIP(host) ? undefined : host,
      ca,
      rejectUnauthorized: false,
      // Down to 1.2, so a server without 1.3 completes the handshake and is told what it lacks.
      minVersion: 'TLSv1.2',
      maxVersion: REQUIRED_PROTOCOL,
      timeout: timeoutMs,
    });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const authorizationError = socket.authorizationError ? String(socket.authorizationError) : undefined;
      const protocol = socket.getProtocol() ?? 'unknown';
      socket.end();
      if (!cert || Object.keys(cert).length === 0)
        reject(new NetworkFailure('unreachable', `${host}:${port} presented no certificate`));
      else resolve({ cert, authorizationError, protocol });
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
  const { cert, authorizationError, protocol } = got;
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
    protocol,
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
  // We offer up to TLS 1.3, so a server that supports it negotiates it.
  if (protocol !== REQUIRED_PROTOCOL)
    return fail(
      `${where} negotiated ${protocol}, not ${REQUIRED_PROTOCOL} (seed section 8.2: TLS 1.3 in transit): enable TLS 1.3 on the server`,
    );
  if (authorizationError)
    return fail(`certificate of ${where} is not trusted (${authorizationError}): check the chain or the CA bundle`);
  if (daysLeft < minValidDays)
    return fail(
      `certificate of ${where} expires in ${daysLeft} days (${data.validTo}), fewer than the ${minValidDays} required: renew it before releasing`,
    );
  return { ok: true, detail: `certificate of ${where} valid until ${data.validTo} (${daysLeft} days)`, data };
}
