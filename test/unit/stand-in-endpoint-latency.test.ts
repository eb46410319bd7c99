// The stand-in pod's request histogram carries each API path, so the default plan's section-11 baselines
// (login_p95, data_records_p95, report_generation_p95) read real requests: a -slow-600 login lands above
// the 0.5 s bucket, and a path that got no request has no count.
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createStandIn } from '../fixtures/dataplane/app';

const call = (port: number, method: string, path: string) =>
  new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });

test('requests to /auth/login are counted under their path, with their real latency', async () => {
  const { server } = createStandIn({ namespace: 'hwayo-production-green', pod: 'p', image: 'r/hwayo:1.0.0-slow-600' });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    for (let i = 0; i < 3; i++) await call(port, 'POST', '/auth/login');
    const metrics = await call(port, 'GET', '/metrics');
    const bucket = (le: string, path: string) =>
      new RegExp(`^http_request_duration_seconds_bucket\\{le="${le}",path="${path}"\\} (\\d+)$`, 'm').exec(
        metrics,
      )?.[1];
    expect({ under: bucket('0.5', '/auth/login'), upTo1: bucket('1', '/auth/login') }).toEqual({
      under: '0',
      upTo1: '3',
    });
    expect(bucket('60', '/report/generate')).toBeUndefined();
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
