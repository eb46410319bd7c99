// A release across clusters, in waves: which clusters move together, with which canary steps, how long each
// wave bakes before the next, whether a person opens the next wave, and what a failure does to the clusters
// already moved. A plan document without `waves` is a single-cluster release, exactly as before. Pure: the CLI
// reads the document form, the workflow checks the resolved form it is handed against the policy's clusters.
import { z } from 'zod';
import type { Cluster } from '../policy/clusters';
import { parseDuration } from './duration';
import { fieldPath } from './schema';
import type { CanaryStep } from './types';

export type OnFailure = 'rollback-failing' | 'rollback-all';

export interface WaveCluster {
  name: string;
  /** This cluster's canary steps; absent: the plan's canary.steps. */
  steps?: CanaryStep[];
}

export interface Wave {
  clusters: WaveCluster[];
  /** How long this wave runs at 100% before the next starts (0: at once). */
  bakeMs: number;
  /** A person opens this wave (signed `promote` on the parent) before it starts. */
  gate: boolean;
}

export interface WavePlan {
  waves: Wave[];
  /** rollback-failing: roll back the failing cluster, hold the others; rollback-all: every cluster moved. */
  onFailure: OnFailure;
}

const MAX_WAVES = 20;
const MAX_CLUSTERS = 50;
const DAY_MS = 86_400_000;

const stepSchema = z.strictObject({
  weight: z.number().int('must be a whole percentage').min(1).max(99, 'must be below 100 (the full switch is 100)'),
  watchMs: z.number().int().min(1000, 'must be at least 1s').max(DAY_MS),
});
const resolvedSchema = z.strictObject({
  waves: z
    .array(
      z.strictObject({
        clusters: z
          .array(z.strictObject({ name: z.string().min(1), steps: z.array(stepSchema).min(1).optional() }))
          .min(1, 'must name at least one cluster'),
        bakeMs: z
          .number()
          .int()
          .min(0)
          .max(7 * DAY_MS),
        gate: z.boolean(),
      }),
    )
    .min(1, 'must have at least one wave')
    .max(MAX_WAVES),
  onFailure: z.enum(['rollback-failing', 'rollback-all'], 'must be rollback-failing or rollback-all'),
});

/** Every problem of a resolved wave plan (what the workflow is handed), each naming its field. */
export function wavePlanProblems(value: unknown): string[] {
  const parsed = resolvedSchema.safeParse(value);
  if (!parsed.success) return parsed.error.issues.map((i) => `${fieldPath(i.path) || 'waves'} ${i.message}`);
  const problems: string[] = [];
  const seen = new Set<string>();
  parsed.data.waves.forEach((wave, w) =>
    wave.clusters.forEach((c, i) => {
      if (seen.has(c.name)) problems.push(`waves[${w}].clusters[${i}]: cluster "${c.name}" is in more than one place`);
      seen.add(c.name);
      c.steps?.forEach((s, k) => {
        const prev = c.steps![k - 1];
        if (prev && s.weight <= prev.weight)
          problems.push(
            `waves[${w}].clusters[${i}].steps[${k}].weight must be greater than the previous ${prev.weight}`,
          );
      });
    }),
  );
  if (seen.size > MAX_CLUSTERS) problems.push(`waves name ${seen.size} clusters (at most ${MAX_CLUSTERS})`);
  return problems;
}

/** The plan's clusters the policy does not register: a release into them is refused. */
export function unknownClusterProblems(plan: WavePlan, registered: readonly Cluster[]): string[] {
  const known = new Set(registered.map((c) => c.name));
  const list = registered.length ? registered.map((c) => c.name).join(', ') : 'none';
  return clustersOf(plan)
    .filter((name) => !known.has(name))
    .map((name) => `cluster "${name}" is not registered in the platform policy (registered: ${list})`);
}

/** The clusters in wave order: what one approval covers. */
export function clustersOf(plan: WavePlan): string[] {
  return plan.waves.flatMap((w) => w.clusters.map((c) => c.name));
}

/** The document form (`waves`, `onFailure` beside the plan's other keys) in the resolved form. */
export function resolveWaves(doc: { waves?: unknown; onFailure?: unknown }): { plan?: WavePlan; problems: string[] } {
  if (doc.waves === undefined) {
    return doc.onFailure === undefined ? { problems: [] } : { problems: ['onFailure needs waves'] };
  }
  if (!Array.isArray(doc.waves)) return { problems: ['waves must be a list of waves'] };
  const problems: string[] = [];
  const duration = (raw: unknown, at: string): number => {
    const ms = typeof raw === 'string' || typeof raw === 'number' ? parseDuration(raw) : undefined;
    if (ms === undefined) problems.push(`${at} must be a duration like "10m" (got ${JSON.stringify(raw)})`);
    return ms ?? 0;
  };
  const waves = doc.waves.map((raw: unknown, w) => {
    const wave = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const extra = Object.keys(wave).filter((k) => !['clusters', 'bake', 'gate'].includes(k));
    if (extra.length) problems.push(`waves[${w}] has unknown key(s) ${extra.join(', ')}`);
    if (wave.gate !== undefined && typeof wave.gate !== 'boolean')
      problems.push(`waves[${w}].gate must be true or false`);
    const clusters = (Array.isArray(wave.clusters) ? wave.clusters : []).map((c: unknown, i) => {
      if (typeof c === 'string') return { name: c };
      const entry = (typeof c === 'object' && c !== null ? c : {}) as { name?: unknown; steps?: unknown };
      const steps = Array.isArray(entry.steps)
        ? entry.steps.map((s: { weight?: unknown; watch?: unknown }, k) => ({
            weight: s?.weight as number,
            watchMs: duration(s?.watch, `waves[${w}].clusters[${i}].steps[${k}].watch`),
          }))
        : undefined;
      return { name: entry.name as string, ...(steps ? { steps } : {}) };
    });
    return {
      clusters,
      bakeMs: wave.bake === undefined ? 0 : duration(wave.bake, `waves[${w}].bake`),
      gate: wave.gate === true,
    };
  });
  const plan = { waves, onFailure: (doc.onFailure ?? 'rollback-all') as OnFailure };
  problems.push(...wavePlanProblems(plan));
  return problems.length ? { problems } : { plan, problems };
}
