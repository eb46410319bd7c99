// HWAYO_TEMPORAL_TOKEN_FILE: the token for a Temporal cluster with authorization. Read from a file only
// its owner may read, sent as `authorization: Bearer`, never in plaintext off the machine.
import { createServer, type Http2Server } from 'node:http2';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, type Io } from '../../src/client/cli';
import { run } from '../../src/client/main';
import { readTokenFile, tokenMetadata } from '../../src/temporal-token';
import { ConfigError, loadWorkerConfig } from '../../src/worker/config';

const dir = mkdtempSync(join(tmpdir(), 'hwayo-token-'));
const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2ln';
const file = (name: string, text: string, mode: number) => {
  const f = join(dir, name);
  writeFileSync(f, text, { mode });
  return f;
};
const good = file('ok.jwt', `${JWT}\n`, 0o600);
const open = file('open.jwt', JWT, 0o644);

async function cli(argv: string[], env: Record<string, string>) {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    env: { HWAYO_CODEC: 'off', ...env },
    isTTY: false,
  };
  return { code: await run(argv, io), out, err };
}

test('a token file only its owner may read is read as the token', () => {
  expect(readTokenFile(good)).toBe(JWT);
});

test.each([
  ['readable by others', open, /mode 0644: group or others may read it; .*chmod 600/],
  ['missing', join(dir, 'absent.jwt'), /cannot read token file .*absent\.jwt: ENOENT/],
  ['not a JWT', file('junk.jwt', 'hello world', 0o600), /does not hold one JWT/],
])('a token file that is %s is refused', (_what, f, message) => {
  expect(() => readTokenFile(f)).toThrow(message);
});

test('a token goes in plaintext only to loopback; elsewhere only over TLS', () => {
  expect(tokenMetadata(JWT, '127.0.0.1:17240', false)).toEqual({ authorization: `Bearer ${JWT}` });
  expect(tokenMetadata(JWT, 'localhost:7233', false)).toBeDefined();
  expect(tokenMetadata(JWT, '[::1]:7233', false)).toBeDefined();
  expect(() => tokenMetadata(JWT, 'temporal.example.com:7233', false)).toThrow(/only over TLS or to a loopback/);
  expect(() => tokenMetadata(JWT, '10.0.0.5:7233', false)).toThrow(/only over TLS/);
  expect(tokenMetadata(JWT, 'temporal.example.com:7233', true)).toBeDefined();
  expect(tokenMetadata(undefined, 'temporal.example.com:7233', false)).toBeUndefined();
});

test('the worker refuses a token file others may read, naming the variable', () => {
  let problems: string[] = [];
  try {
    loadWorkerConfig([], { HWAYO_KUBE_IN_CLUSTER: 'true', HWAYO_CODEC: 'off', HWAYO_TEMPORAL_TOKEN_FILE: open });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems = err.problems;
  }
  expect(problems).toEqual([expect.stringMatching(/^HWAYO_TEMPORAL_TOKEN_FILE: token file .* mode 0644/)]);
  const ok = loadWorkerConfig([], {
    HWAYO_KUBE_IN_CLUSTER: 'true',
    HWAYO_CODEC: 'off',
    HWAYO_TEMPORAL_TOKEN_FILE: good,
  });
  expect(ok.temporal.metadata).toEqual({ authorization: `Bearer ${JWT}` });
});

describe('the CLI', () => {
  let server: Http2Server;
  const seen: (string | undefined)[] = [];
  let address = '';
  beforeAll(async () => {
    // A gRPC endpoint that records each call's authorization header and answers UNIMPLEMENTED.
    server = createServer();
    server.on('stream', (stream, headers) => {
      seen.push(headers.authorization as string | undefined);
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'test' },
        { endStream: true },
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test('sends the token as authorization: Bearer on its calls', async () => {
    seen.length = 0;
    await cli(['status', 'release-x'], { TEMPORAL_ADDRESS: address, HWAYO_TEMPORAL_TOKEN_FILE: good });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((h) => h === `Bearer ${JWT}`)).toBe(true);
  });

  test('refuses a token file others may read before calling anything', async () => {
    seen.length = 0;
    const r = await cli(['status', 'release-x'], { TEMPORAL_ADDRESS: address, HWAYO_TEMPORAL_TOKEN_FILE: open });
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/HWAYO_TEMPORAL_TOKEN_FILE: token file .* mode 0644/);
    expect(seen).toEqual([]);
  });
});
