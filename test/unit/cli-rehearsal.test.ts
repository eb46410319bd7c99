// The rehearsal commands' bad input is refused before any server is reached (the address is unroutable).
import { EXIT, type Io } from '../../src/client/cli';
import { run } from '../../src/client/main';

async function cli(argv: string[]) {
  let err = '';
  const io: Io = { out: () => undefined, err: (t) => void (err += `${t}\n`), env: {}, isTTY: false };
  const code = await run(['rehearsal', ...argv, '--address', '127.0.0.1:1'], io);
  return { code, err };
}

test.each([
  [['schedule', '--every', '10m'], '--every must be a duration from 1h to 7d (got "10m")'],
  [['schedule', '--every', '8d'], '--every must be a duration from 1h to 7d'],
  [['schedule', '--database', 'prod db'], '--database "prod db" is not an RDS identifier'],
  [['run', '--snapshot', 'snap_1'], '--snapshot "snap_1" is not an RDS identifier'],
  [['run', '--every', '1h'], '--every is for rehearsal schedule'],
  [['restore'], 'unknown rehearsal command restore'],
])('rehearsal %j is a usage error', async (argv, message) => {
  expect(await cli(argv)).toMatchObject({ code: EXIT.usage, err: expect.stringContaining(message) });
});
