// scripts/test-tools.sh: the outside tools each test project runs, installed before any project starts and
// checked before each one (unit tests run promtool, which the stack would otherwise install only later).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'test-tools.sh');
const TEST_SH = readFileSync(join(ROOT, 'scripts', 'test.sh'), 'utf8');

/** The only commands test-tools.sh runs besides its own lookups, linked into a directory of their own. */
const UTILS = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'test-tools-utils-'));
  for (const u of ['awk', 'cut', 'dirname']) {
    const found = spawnSync('sh', ['-c', `command -v ${u}`], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(found, join(dir, u));
  }
  return dir;
})();

/** Runs test-tools.sh with only `bin` and its utilities on PATH and a scratch cache (the machine's tools unseen). */
function tools(args: string[], bin: string, cache: string) {
  return spawnSync('/bin/bash', [SCRIPT, ...args], {
    encoding: 'utf8',
    env: { HOME: cache, HWAYO_CACHE: cache, PATH: `${bin}:${UTILS}` },
  });
}
function table(): { project: string; tool: string; step: string }[] {
  return spawnSync('bash', [SCRIPT, 'list'], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')
    .map((l) => l.split('|').map((x) => x.trim()))
    .map(([project, tool, step]) => ({ project, tool, step }));
}
function stub(path: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
}

test('a missing tool is named with its project and the step that installs it; the check fails', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'test-tools-'));
  const bin = join(scratch, 'bin');
  mkdirSync(bin);
  stub(join(bin, 'amtool')); // promtool absent: Debian's prometheus not installed
  const run = tools(['check', 'unit', 'workflows'], bin, join(scratch, 'cache'));
  expect(run.status).toBe(1);
  expect(run.stderr).toContain(
    'test-tools: promtool is missing (the unit tests run it); install it with: bash scripts/install/prometheus.sh',
  );
  expect(run.stderr).toContain(
    '$HWAYO_CACHE/bin/temporal-test-server is missing (the workflows tests run it); ' +
      'install it with: bash scripts/install/temporal.sh',
  );
  expect(run.stderr).not.toContain('amtool');
});

test('with every tool of the projects present the check passes and prints nothing', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'test-tools-'));
  const bin = join(scratch, 'bin');
  const cache = join(scratch, 'cache');
  for (const { tool } of table()) {
    stub(tool.includes('/') ? tool.replace('$HWAYO_CACHE', cache) : join(bin, tool));
  }
  const run = tools(['check', 'unit', 'workflows', 'integration', 'chaos', 'cluster'], bin, cache);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
});

test('every tool the unit and workflow tests run is in the table, under its project', () => {
  const rows = table();
  const of = (project: string) => rows.filter((r) => r.project === project).map((r) => r.tool);
  // prometheus-rules.test.ts finds its tools with tool('<name>', ...).
  const rulesTest = readFileSync(join(ROOT, 'test', 'unit', 'prometheus-rules.test.ts'), 'utf8');
  const unitTools = [...rulesTest.matchAll(/tool\(\s*'([a-z-]+)'/g)].map((m) => m[1]);
  expect(unitTools.sort()).toEqual(['amtool', 'promtool']);
  expect(of('unit')).toEqual(expect.arrayContaining(unitTools));
  const workflowEnv = readFileSync(join(ROOT, 'test', 'workflows', 'env.ts'), 'utf8');
  expect(workflowEnv).toContain("'bin', 'temporal-test-server'");
  expect(of('workflows')).toContain('$HWAYO_CACHE/bin/temporal-test-server');
  for (const { step } of rows) expect(step).toMatch(/^bash scripts\/install\/[a-z]+\.sh$/);
});

test("test.sh installs every project's tools before anything runs beside the stack, and checks each project", () => {
  const install = TEST_SH.indexOf('bash scripts/test-tools.sh install "${PROJECTS[@]}"');
  const beside = TEST_SH.indexOf('set -m # its own process group');
  const stack = TEST_SH.indexOf('bash scripts/stack/up.sh');
  expect(install).toBeGreaterThan(0);
  expect(install).toBeLessThan(beside);
  expect(install).toBeLessThan(stack);
  const projects = TEST_SH.match(/^PROJECTS=\(([a-z ]+)\)$/m)?.[1].split(' ');
  expect(projects?.sort()).toEqual(['chaos', 'cluster', 'integration', 'unit', 'workflows']);
  // Every jest run goes through jest_project (which checks the tools); none calls jest directly.
  expect(TEST_SH.match(/--selectProjects/g)).toHaveLength(1);
  for (const p of projects ?? []) expect(TEST_SH).toMatch(new RegExp(`jest_project ${p} `));
});
