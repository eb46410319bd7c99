// Validation of a plan in its resolved form (what `validatePlan` returns and the workflow receives:
// durations as `xMs` milliseconds, no defaults to merge). The workflow runs this on its input, since a
// release started from the Temporal UI or another client never went through the CLI. It applies the
// user-facing schema itself: the resolved plan is turned back into a document (`timeoutMs` ->
// `timeout`, milliseconds are a valid duration there), parsed by planSchema, and must then be exactly
// what toReleasePlan makes of that document. Pure: the workflow bundle imports it.
import { fieldPath, planSchema, toReleasePlan } from './schema';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const MS = /^(.+)Ms$/;

/** `{ timeoutMs: 5 }` -> `{ timeout: 5 }`, at every depth. Object.fromEntries keeps a `__proto__` key an own key. */
function toDocument(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toDocument);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [MS.exec(k)?.[1] ?? k, toDocument(v)]));
}

/** A document path (`approval.timeout`) in the resolved plan's words (`approval.timeoutMs`). */
function resolvedPath(plan: unknown, path: readonly PropertyKey[]): PropertyKey[] {
  const out: PropertyKey[] = [];
  let at: unknown = plan;
  for (const part of path) {
    const key = isObject(at) && typeof part === 'string' && !(part in at) && `${part}Ms` in at ? `${part}Ms` : part;
    out.push(key);
    at = isObject(at) || Array.isArray(at) ? (at as Record<PropertyKey, unknown>)[key as string] : undefined;
  }
  return out;
}

/** The first place two JSON values differ (undefined and absent are the same), or undefined. */
function firstDifference(
  expected: unknown,
  actual: unknown,
  path: (string | number)[] = [],
): { path: (string | number)[]; expected: unknown; actual: unknown } | undefined {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
      const d = firstDifference(expected[i], actual[i], [...path, i]);
      if (d) return d;
    }
    return undefined;
  }
  if (isObject(expected) && isObject(actual)) {
    for (const k of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      const d = firstDifference(expected[k], actual[k], [...path, k]);
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(expected, actual) ? undefined : { path, expected, actual };
}

/** Every problem of a resolved plan, each naming its field; empty when the plan is valid. */
export function resolvedPlanProblems(plan: unknown): string[] {
  if (!isObject(plan)) return ['plan must be an object'];
  const result = planSchema.safeParse(toDocument(plan));
  if (!result.success) {
    return result.error.issues.map((i) => {
      const where = fieldPath(['plan', ...resolvedPath(plan, i.path)]);
      const message =
        i.code === 'unrecognized_keys'
          ? `has unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`
          : i.message;
      return `${where} ${message}`;
    });
  }
  // A duration written as "15m" where milliseconds belong, a document key where its `Ms` form belongs.
  const d = firstDifference(toReleasePlan(result.data), plan);
  return d
    ? [
        `${fieldPath(['plan', ...d.path])} must be ${d.expected === undefined ? 'absent' : JSON.stringify(d.expected)} in a resolved plan (got ${JSON.stringify(d.actual) ?? 'nothing'})`,
      ]
    : [];
}
