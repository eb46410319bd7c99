// The committed histories are what keeps releases in flight replaying (test/workflows/replay.test.ts): one
// re-recorded with today's code replays trivially and hides the break it was there to catch. So every file of
// test/histories/ is pinned by its sha256 in test/histories/SHA256SUMS (`sha256sum` format).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(__dirname, '..', 'histories');
const LIST = 'SHA256SUMS';
const RULE =
  'a history changed: record it only with a new patched() name, then update test/histories/SHA256SUMS ' +
  '(see docs/patches.md)';

/** file -> sha256 of each line `<hex>  <file>` of the list; a malformed line is reported, not skipped. */
function listed(): { sums: Map<string, string>; malformed: string[] } {
  const sums = new Map<string, string>();
  const malformed: string[] = [];
  for (const line of readFileSync(join(DIR, LIST), 'utf8')
    .split('\n')
    .filter((l) => l !== '')) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (m && !sums.has(m[2])) sums.set(m[2], m[1]);
    else malformed.push(line);
  }
  return { sums, malformed };
}

test('every file of test/histories/ has the sha256 that SHA256SUMS lists, and the list names no other file', () => {
  const { sums, malformed } = listed();
  const files = readdirSync(DIR)
    .filter((f) => f !== LIST)
    .sort();
  const problems = [
    ...malformed.map((l) => `${LIST}: not "<sha256>  <file>" (or a file listed twice): ${l}`),
    ...files.filter((f) => !sums.has(f)).map((f) => `${f}: added but not listed`),
    ...[...sums.keys()].filter((f) => !files.includes(f)).map((f) => `${f}: listed but removed`),
    ...files
      .filter((f) => sums.has(f))
      .filter(
        (f) =>
          createHash('sha256')
            .update(readFileSync(join(DIR, f)))
            .digest('hex') !== sums.get(f),
      )
      .map((f) => `${f}: its sha256 differs from the list's`),
  ];
  if (problems.length) throw new Error(`${problems.join('\n')}\n${RULE}`);
  expect(files.length).toBeGreaterThan(0);
});
