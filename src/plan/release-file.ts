// A plan file with its waves: `waves` and `onFailure` sit beside the plan's keys (plan/waves.ts); the rest is the
// plan every cluster runs. Without `waves` the file is a single-cluster plan, read exactly as loadPlanFile reads it.
import { readFileSync } from 'node:fs';
import { parsePlanText, PlanError, validatePlan } from './load';
import type { ReleasePlan } from './types';
import { resolveWaves, type WavePlan } from './waves';

export function loadReleaseFile(path: string): { plan: ReleasePlan; waves?: WavePlan } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PlanError([`cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`], path);
  }
  const doc = parsePlanText(text, path);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !('waves' in doc || 'onFailure' in doc))
    return { plan: validatePlan(doc, path) };
  const { waves, onFailure, ...rest } = doc as Record<string, unknown>;
  const resolved = resolveWaves({ waves, onFailure });
  if (!resolved.plan) throw new PlanError(resolved.problems, path);
  return { plan: validatePlan(rest, path), waves: resolved.plan };
}
