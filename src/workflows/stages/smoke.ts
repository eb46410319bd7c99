// SEED section 9 "After": once green has all traffic and its final checks passed, every endpoint the
// plan lists is called through the gateway; one wrong answer rolls back. Each endpoint's result is a
// line of the report's timeline. Behind patch smoke-stage: releases from before it never made the call.
import { patched } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/common';
import { Rollback } from '../exits';
import { call, DEFAULT_OPTIONS } from '../proxies';
import type { ReleaseState } from '../release-state';

// Up to 50 endpoints of at most 10 s each, one after another.
const SMOKE_OPTIONS: ActivityOptions = { ...DEFAULT_OPTIONS, startToCloseTimeout: '10 minutes' };

/** What the smoke results come to: the failed endpoints' details, empty when every one answered as expected. */
export const smokeFailures = (results: { ok: boolean; name: string; detail: string }[]): string[] =>
  results.filter((x) => !x.ok).map((x) => `${x.name}: ${x.detail}`);

export async function smokeStage(r: ReleaseState): Promise<void> {
  const smoke = r.plan.smoke;
  if (!smoke || smoke.endpoints.length === 0 || !patched('smoke-stage')) return;
  const results = await call(SMOKE_OPTIONS, `smoke test: ${smoke.endpoints.length} endpoints`, 'smokeTest', {
    smoke,
  });
  for (const x of results) r.event(`smoke ${x.name}: ${x.ok ? 'ok' : 'FAILED'}, ${x.detail} (${x.ms} ms)`);
  const failed = smokeFailures(results);
  if (failed.length)
    throw new Rollback({ kind: 'health-check' }, `smoke test failed: ${failed.join('; ')}`, 'rolled-back');
  r.event(`smoke test passed: ${results.length} endpoints answered as expected`);
}
