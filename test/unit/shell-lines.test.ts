// Shell scripts keep to 120 characters a line, like the TypeScript: scripts/check-shell-lines.sh (run by
// `npm run format:check`) fails on a longer line and names it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'check-shell-lines.sh');
const check = (...args: string[]) => spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8' });

test('every shell script of the repository keeps its lines to 120 characters', () => {
  const run = check();
  expect(run.stdout).toBe('');
  expect(run.status).toBe(0);
});

test('it checks *.sh and extensionless sh/bash scripts (.ci/run), not a node launcher', () => {
  const files = check('--list').stdout.trim().split('\n');
  expect(files).toEqual(expect.arrayContaining(['.ci/run', 'scripts/stack/up.sh', 'scripts/stack/components/kube.sh']));
  expect(files).not.toContain('bin/hwayo-release');
});

test('a line of 121 characters fails, naming file and line; 120 pass, multibyte characters count once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shell-lines-'));
  const ok = join(dir, 'ok.sh');
  const long = join(dir, 'long.sh');
  writeFileSync(ok, `#!/usr/bin/env bash\necho ${'x'.repeat(115)}\necho ${'→'.repeat(115)}`);
  writeFileSync(long, `#!/usr/bin/env bash\n# ok\necho ${'x'.repeat(116)}\n`);
  expect(check(ok).status).toBe(0);
  const run = check(ok, long);
  expect(run.status).toBe(1);
  expect(run.stdout).toBe(`${long}:3: 121 characters (at most 120)\n`);
});
