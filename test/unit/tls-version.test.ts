// The TLS check against real TLS servers on loopback (a self-signed certificate made with openssl, the
// certificate its own CA): the same valid certificate passes over TLS 1.3 and fails when the server
// offers TLS 1.2 at most (SEED section 8.2: TLS 1.3 in transit).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server, type SecureVersion } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTlsCertificate } from '../../src/activities/tls-check';

const dir = mkdtempSync(join(tmpdir(), 'hwayo-tls-'));
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
const servers: Server[] = [];

beforeAll(() => {
  // prettier-ignore
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'],
    { stdio: 'ignore' });
});
afterAll(() => servers.forEach((s) => s.close()));

async function serve(maxVersion: SecureVersion): Promise<number> {
  const server = createServer({ cert: readFileSync(cert), key: readFileSync(key), maxVersion }, (s) => s.end());
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}
const check = (port: number) =>
  checkTlsCertificate({ host: 'localhost', port, minValidDays: 7, caFile: cert, timeoutMs: 5000 });

test('a server offering TLS 1.3 passes and the report names the protocol', async () => {
  const r = await check(await serve('TLSv1.3'));
  expect(r).toMatchObject({ ok: true, data: { protocol: 'TLSv1.3', subject: 'localhost' } });
});

test('the same certificate served with TLS 1.2 at most fails, saying what to change', async () => {
  const port = await serve('TLSv1.2');
  expect(await check(port)).toMatchObject({
    ok: false,
    detail: `localhost:${port} negotiated TLSv1.2, not TLSv1.3 (seed section 8.2: TLS 1.3 in transit): enable TLS 1.3 on the server`,
    data: { protocol: 'TLSv1.2' },
  });
});
