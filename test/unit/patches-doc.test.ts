// Every patch the code asks for is documented in docs/patches.md: when it came, what it changed, which
// histories keep it alive and when it may go. Rows for names not in this code yet are allowed (they arrive
// from other branches); a name in the code without a row is not.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const CALL = /\b(?:patched|deprecatePatch)\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The names passed to patched() or deprecatePatch() anywhere in src/. */
function namesInCode(): string[] {
  const src = join(ROOT, 'src');
  const names = readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => [...readFileSync(join(src, f), 'utf8').matchAll(CALL)].map((m) => m[1]));
  return [...new Set(names)].sort();
}

/** The patch table's rows: name (first cell, in backticks) -> the other cells. */
function rows(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readFileSync(join(ROOT, 'docs', 'patches.md'), 'utf8').split('\n')) {
    const m = /^\|\s*`([^`]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (!m) continue;
    if (out.has(m[1])) throw new Error(`docs/patches.md: two rows for ${m[1]}`);
    out.set(
      m[1],
      m[2].split('|').map((c) => c.trim()),
    );
  }
  return out;
}

test('the code asks for the patches it is known to (the scan finds them)', () => {
  expect(namesInCode()).toEqual(
    expect.arrayContaining([
      'approval-v2',
      'baseline-after-approval',
      'bounded-history',
      'fast-recovery',
      'keep-foreign-namespace',
      'otel-tracing',
      'tick-timeouts',
      'validate-input',
      'verify-blue-rounds',
    ]),
  );
});

test('every patched() name in src/ has a row in docs/patches.md', () => {
  const documented = rows();
  expect(namesInCode().filter((n) => !documented.has(n))).toEqual([]);
});

test('every row says when the patch came, what it changes and when it may go', () => {
  for (const [name, [introduced, changes, before, marker, guardTest, retire]] of rows()) {
    expect({ name, introduced }).toEqual({ name, introduced: expect.stringMatching(/^(added )?\d{4}-\d\d-\d\d$/) });
    for (const [column, text] of Object.entries({ changes, before, marker, guardTest, retire }))
      expect({ name, column, empty: !text }).toEqual({ name, column, empty: false });
  }
});
