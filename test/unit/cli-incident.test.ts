// The CLI's incident commands and the manual rollback's category and confirmation, without a server.
import { EXIT, type Io } from '../../src/client/cli';
import { incidentId, statusLines } from '../../src/client/incident';
import { run } from '../../src/client/main';

async function cli(argv: string[], confirm?: (q: string) => Promise<boolean>) {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => void (out += `${t}\n`),
    err: (t) => void (err += `${t}\n`),
    env: { HWAYO_USER: 'tester' },
    isTTY: false,
    ...(confirm ? { confirm } : {}),
  };
  const code = await run([...argv, '--address', '127.0.0.1:1'], io);
  return { code, out, err };
}

const rollback = ['rollback', 'release-hwayo-1', '--reason', 'bad deploy'];

test('a manual rollback needs a category: --category, or a reason that starts with one', async () => {
  expect(await cli(rollback)).toMatchObject({
    code: EXIT.usage,
    err: expect.stringContaining('--category must be one of errors, latency, business, security, other'),
  });
  expect((await cli([...rollback, '--category', 'vibes', '--yes'])).code).toBe(EXIT.usage);
});

test('without a terminal to ask on, a rollback is refused unless --yes', async () => {
  expect(await cli([...rollback, '--category', 'errors'])).toMatchObject({
    code: EXIT.usage,
    err: expect.stringContaining('rollback asks for confirmation and stdin is not a terminal: pass --yes'),
  });
});

test('a person who does not confirm sends nothing; one who does (or --yes) goes on to the server', async () => {
  const asked: string[] = [];
  const no = await cli([...rollback, '--category', 'errors'], async (q) => (asked.push(q), false));
  expect(no).toMatchObject({ code: EXIT.refused, err: expect.stringContaining('not confirmed; nothing sent') });
  expect(asked).toEqual(['Roll back release-hwayo-1 (errors: bad deploy)? Traffic moves to blue.']);
  // Past the confirmation the next step reads the key: a missing one shows the rollback got there.
  const key = ['--key', '/nonexistent/hwayo.key'];
  const yes = await cli([...rollback, '--category', 'errors', ...key], async () => true);
  expect(yes.err).toContain('/nonexistent/hwayo.key');
  const flag = await cli(['rollback', 'release-hwayo-1', '--reason', 'security: leaked key', '--yes', ...key]);
  expect(flag.err).toContain('/nonexistent/hwayo.key');
});

test('incident commands: help, bounds checked before sending, release ids name their incident', async () => {
  for (const sub of ['ack', 'resolve', 'status']) {
    const help = await cli(['incident', sub, '--help']);
    expect(help).toMatchObject({ code: 0, out: expect.stringMatching(/^Usage: hwayo-release incident /) });
  }
  expect(await cli(['incident', 'ack', 'x', '--by', 'two words'])).toMatchObject({
    code: EXIT.usage,
    err: expect.stringContaining('--by "two words" must be 1-63 letters'),
  });
  expect(incidentId('release-hwayo-1')).toBe('release-hwayo-1-incident');
  expect(incidentId('release-hwayo-1-incident')).toBe('release-hwayo-1-incident');
  expect(
    statusLines({
      incidentId: 'r-incident',
      releaseId: 'r',
      severity: 'critical',
      state: 'open',
      cause: 'error_rate 12 above 5',
      openedAt: '2026-12-06T10:00:00.000Z',
      respondBy: '2026-12-06T10:15:00.000Z',
      escalations: 0,
      updates: 0,
      nonce: 'n1',
      events: [],
    }),
  ).toEqual([
    'r-incident: critical incident, open (release r)',
    'cause: error_rate 12 above 5',
    'opened 2026-12-06T10:00:00.000Z; escalates unless taken by 2026-12-06T10:15:00.000Z',
    'escalations: 0; status updates: 0; nonce: n1',
  ]);
});
