// The CLI in-process with the test's environment, as people and CI run it; a non-zero exit is an error.
import type { Io } from '../../src/client/cli';
import { run } from '../../src/client/main';

export async function cliOk(...argv: string[]): Promise<string> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => void (out += `${t}\n`),
    err: (t) => void (err += `${t}\n`),
    env: process.env,
    isTTY: false,
  };
  const code = await run(argv, io);
  if (code !== 0) throw new Error(`hwayo-release ${argv.join(' ')} exited ${code}: ${err}${out}`);
  return out;
}
