// Removes the run's workflow bundle written by global-setup.ts.
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { SHARED_BUNDLE_ENV } from './bundle';

export default function globalTeardown(): void {
  const file = process.env[SHARED_BUNDLE_ENV];
  if (file) rmSync(dirname(file), { recursive: true, force: true });
}
