// Private key files (key-files.ts): `keys generate` never writes through a planted symlink, never
// keeps an old file's looser mode, refuses a directory others may write; a readable key is refused.
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, type Io } from '../../src/client/cli';
import { run } from '../../src/client/main';

const tmp = mkdtempSync(join(tmpdir(), 'hwayo-keys-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => void (out += `${t}\n`),
    err: (t) => void (err += `${t}\n`),
    env: { HWAYO_USER: 'tester' },
    isTTY: false,
  };
  return { code: await run(argv, io), out, err };
}

const freshDir = (name: string) => {
  const dir = join(tmp, name);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
};

test('a planted symlink is never written through, also with --force; its target is unchanged', async () => {
  const dir = freshDir('link');
  const victim = join(tmp, 'victim.txt');
  writeFileSync(victim, 'precious\n', { mode: 0o644 });
  symlinkSync(victim, join(dir, 'alice.key'));
  for (const force of [[], ['--force']]) {
    const r = await cli(['keys', 'generate', '--id', 'alice', '--out', dir, ...force]);
    expect(r.code).toBe(EXIT.refused);
    expect(r.err).toMatch(/alice\.key is a symbolic link; remove it/);
  }
  expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  expect(statSync(victim).mode & 0o777).toBe(0o644);
  expect(lstatSync(join(dir, 'alice.key')).isSymbolicLink()).toBe(true);
});

test('--force over an existing 0666 file leaves a new 0600 file, and says so truthfully', async () => {
  const dir = freshDir('loose');
  const file = join(dir, 'bob.key');
  writeFileSync(file, 'old\n');
  chmodSync(file, 0o666);
  const r = await cli(['keys', 'generate', '--id', 'bob', '--out', dir, '--force']);
  expect(r.code).toBe(0);
  expect(r.out).toContain('(mode 0600)');
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(readFileSync(file, 'utf8')).not.toBe('old\n');
  expect((await cli(['keys', 'public', '--key', file])).code).toBe(0);
});

test('a directory others may write (not sticky) is refused; a sticky one is fine', async () => {
  const open = freshDir('open');
  chmodSync(open, 0o777);
  const r = await cli(['keys', 'generate', '--id', 'carol', '--out', open]);
  expect(r.code).toBe(EXIT.refused);
  expect(r.err).toMatch(/open \(mode 0777\) is writable by group or others without the sticky bit/);
  const sticky = freshDir('sticky');
  chmodSync(sticky, 0o1777);
  expect((await cli(['keys', 'generate', '--id', 'carol', '--out', sticky])).code).toBe(0);
});

test('a key file group or others may read is refused where --key reads it, naming the mode and the fix', async () => {
  const dir = freshDir('read');
  expect((await cli(['keys', 'generate', '--id', 'dave', '--out', dir])).code).toBe(0);
  const file = join(dir, 'dave.key');
  chmodSync(file, 0o644);
  for (const argv of [
    ['keys', 'public', '--key', file],
    ['approve', 'release-x', '--as', 'dave', '--key', file],
    ['abort', 'release-x', '--by', 'dave', '--key', file],
  ]) {
    const r = await cli(argv);
    expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
    expect(r.err).toContain(`key file ${file} has mode 0644: group or others may read it`);
    expect(r.err).toContain(`chmod 600 ${file}`);
  }
  chmodSync(file, 0o600);
  expect((await cli(['keys', 'public', '--key', file])).code).toBe(0);
});
