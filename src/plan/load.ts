// The edge: read a plan file (YAML or JSON), merge it over the seed's defaults, validate once.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_PLAN_DOCUMENT } from './defaults';
import { fieldPath, planSchema, toReleasePlan } from './schema';
import type { ReleasePlan } from './types';

export class PlanError extends Error {
  constructor(
    public readonly problems: string[],
    source = 'plan',
  ) {
    super(`${source} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PlanError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Objects merge key by key; arrays and scalars from the user replace the default. */
export function mergeOverDefaults(base: unknown, override: unknown): unknown {
  if (isObject(base) && isObject(override)) {
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(override))
      out[key] = key in base ? mergeOverDefaults(base[key], value) : value;
    return out;
  }
  return override === undefined ? base : override;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates a plan document (already parsed) merged over the defaults. Throws PlanError naming every bad field. */
export function validatePlan(document: unknown, source = 'plan'): ReleasePlan {
  if (document !== undefined && document !== null && !isObject(document))
    throw new PlanError(['the plan must be a mapping of keys to values'], source);
  const merged = mergeOverDefaults(DEFAULT_PLAN_DOCUMENT, document ?? {});
  const result = planSchema.safeParse(merged);
  if (!result.success) {
    throw new PlanError(
      result.error.issues.map((i) => {
        const where = fieldPath(i.path);
        const message =
          i.code === 'unrecognized_keys'
            ? `has unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`
            : i.message;
        return `${where || 'the plan'} ${message}`;
      }),
      source,
    );
  }
  return toReleasePlan(result.data);
}

/** Parses plan text; `.json` files and text starting with `{` are JSON, everything else YAML. */
export function parsePlanText(text: string, source = 'plan'): unknown {
  try {
    return source.endsWith('.json') || text.trimStart().startsWith('{') ? (JSON.parse(text) as Json) : parseYaml(text);
  } catch (err) {
    throw new PlanError([`cannot be parsed: ${(err as Error).message}`], source);
  }
}

export function loadPlanFile(path: string): ReleasePlan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PlanError([`cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`], path);
  }
  return validatePlan(parsePlanText(text, path), path);
}

/**
 * The seed's numbers as a plan object, for tests and tools. The seed names no approver keys, so this
 * is its unsigned variant (approval.allowUnsigned: true); a plan file without keys does not validate.
 */
export function defaultPlan(): ReleasePlan {
  return validatePlan({ approval: { allowUnsigned: true } });
}
