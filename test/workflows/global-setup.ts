// Once per jest run of the workflows project: the workflow bundle, built as the worker builds it, written to a
// temporary file that every test file reads (bundle() in env.ts) instead of running webpack again (1-4 s a file).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, SHARED_BUNDLE_ENV } from './bundle';

export default async function globalSetup(): Promise<void> {
  const file = join(mkdtempSync(join(tmpdir(), 'hwayo-workflow-bundle-')), 'bundle.json');
  writeFileSync(file, JSON.stringify(await buildBundle()));
  process.env[SHARED_BUNDLE_ENV] = file;
}
