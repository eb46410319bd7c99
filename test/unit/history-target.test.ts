// `npm run histories:record` never overwrites a committed history unless told to (test/tools/history-target.ts).
import { join } from 'node:path';
import { historyTarget, OVERWRITE_VAR } from '../tools/history-target';

const DIR = '/h';
const on =
  (...files: string[]) =>
  (path: string) =>
    files.map((f) => join(DIR, f)).includes(path);

test('a scenario with no history yet is written under its own name', () => {
  expect(historyTarget(DIR, 'succeeded', '2026-12-06', {}, on())).toBe('/h/succeeded.json');
});

test('a committed history is kept: the new recording gets a new name, then the next free one', () => {
  expect(historyTarget(DIR, 'succeeded', '2026-12-06', {}, on('succeeded.json'))).toBe(
    '/h/succeeded-recorded-2026-12-06.json',
  );
  expect(
    historyTarget(DIR, 'succeeded', '2026-12-06', {}, on('succeeded.json', 'succeeded-recorded-2026-12-06.json')),
  ).toBe('/h/succeeded-recorded-2026-12-06-2.json');
});

test(`only ${OVERWRITE_VAR}=1 overwrites a committed history`, () => {
  expect(historyTarget(DIR, 'succeeded', '2026-12-06', { [OVERWRITE_VAR]: '1' }, on('succeeded.json'))).toBe(
    '/h/succeeded.json',
  );
  for (const value of ['', '0', 'true', 'yes'])
    expect(historyTarget(DIR, 'succeeded', '2026-12-06', { [OVERWRITE_VAR]: value }, on('succeeded.json'))).toBe(
      '/h/succeeded-recorded-2026-12-06.json',
    );
});

test('a name or day that could leave the directory is refused', () => {
  expect(() => historyTarget(DIR, '../x', '2026-12-06', {}, on())).toThrow('not a history name: "../x"');
  expect(() => historyTarget(DIR, 'succeeded', '06.12.2026', {}, on())).toThrow('not a day (YYYY-MM-DD)');
});
