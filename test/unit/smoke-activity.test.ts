// The smoke stage's activity against real stand-in pods on loopback (test/fixtures/dataplane/app.ts):
// the default plan's six endpoints answer 200 on a healthy pod, 500 on a -sick-100 one, and a port with
// nothing listening is "no answer"; the Host header reaches the server (a gateway routes on it).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSmokeActivities } from '../../src/activities/smoke';
import { defaultPlan } from '../../src/plan/load';
import { createStandIn } from '../fixtures/dataplane/app';

const endpoints = defaultPlan().smoke!.endpoints;
const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});
async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
const pod = (image: string) => listen(createStandIn({ namespace: 'hwayo-production-green', pod: 'p', image }).server);
const smoke = (url: string, hostHeader?: string) =>
  createSmokeActivities().smokeTest({ smoke: { url, hostHeader, endpoints } });

test('a healthy pod answers every endpoint of the default plan with 200', async () => {
  const results = await smoke(await pod('r/hwayo:1.0.0'));
  expect(results.map((r) => [r.name, r.status, r.ok])).toEqual(endpoints.map((e) => [e.name, 200, true]));
  expect(results[0].detail).toBe('POST /auth/login answered 200');
});

test('a pod failing every request fails every endpoint, saying what it answered', async () => {
  const results = await smoke(await pod('r/hwayo:1.0.0-sick-100'));
  expect(results.every((r) => !r.ok && r.status === 500)).toBe(true);
  expect(results[5].detail).toBe('GET /api/v1/audit-log answered 500, expected 200');
});

test('nothing listening is no answer, not a throw', async () => {
  const server = createServer();
  const url = await listen(server);
  server.close();
  const results = await smoke(url);
  expect(results.map((r) => [r.ok, r.status])).toEqual(endpoints.map(() => [false, undefined]));
  expect(results[0].detail).toMatch(/^POST \/auth\/login: connection failed/);
});

test('the Host header is sent as the plan says', async () => {
  const hosts: string[] = [];
  const url = await listen(createServer((req, res) => (hosts.push(req.headers.host ?? ''), res.end())));
  await smoke(url, 'hwayo.com');
  expect(hosts).toEqual(endpoints.map(() => 'hwayo.com'));
});
