// Where `npm run histories:record` writes a scenario's history. A committed history is never overwritten
// (re-recorded with today's code it would replay trivially and hide the break it is there to catch) unless
// HWAYO_OVERWRITE_HISTORIES=1: a new recording gets a new name, next to the frozen one.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const OVERWRITE_VAR = 'HWAYO_OVERWRITE_HISTORIES';

/**
 * The file for scenario `name` in `dir`: `<name>.json` if free (or overwriting), else the first free
 * `<name>-recorded-<day>[-<n>].json`; `exists` is the file system's unless a test gives its own.
 */
export function historyTarget(
  dir: string,
  name: string,
  day: string,
  env: NodeJS.ProcessEnv = process.env,
  exists: (path: string) => boolean = existsSync,
): string {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) throw new Error(`not a history name: ${JSON.stringify(name)}`);
  if (!/^\d{4}-\d\d-\d\d$/.test(day)) throw new Error(`not a day (YYYY-MM-DD): ${JSON.stringify(day)}`);
  const plain = join(dir, `${name}.json`);
  if (env[OVERWRITE_VAR] === '1' || !exists(plain)) return plain;
  for (let n = 1; ; n++) {
    const path = join(dir, `${name}-recorded-${day}${n === 1 ? '' : `-${n}`}.json`);
    if (!exists(path)) return path;
  }
}
