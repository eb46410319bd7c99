// The workflow is the trust boundary: a release started from the Temporal UI, `temporal workflow
// start` or another client never went through the CLI's checks, so the workflow checks its whole input
// itself before its first command. The CLI runs the same function before it starts a release, so a
// person sees the problems at once instead of as a refused run. Pure: no I/O, no clock.
import { z } from 'zod';
import { resolvedPlanProblems } from '../plan/resolved';
import { fieldPath } from '../plan/schema';
import { carriedProblem, runOriginProblems, type RunOrigin } from './checkpoint';
import type { ReleaseInput, ReleaseResult } from './definitions';

/**
 * A Kubernetes label value. The version labels green's objects (`hwayo.io/version`) and the release id
 * green's namespace (`hwayo.io/release`), so both must be one; this also keeps them free of quotes,
 * braces and spaces wherever else they are written (PromQL, S3 keys, messages).
 */
export const LABEL_VALUE = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
/** OCI distribution spec tag. */
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export const VERSION_RULE =
  'must be a version like 2.4.0 or 2.4.0-rc.1: at most 63 letters, digits, ".", "_" and "-", starting and ending with a letter or digit (it becomes a Kubernetes label value)';
export const IMAGE_TAG_RULE =
  'must be an image tag: at most 128 letters, digits, "_", "." and "-", not starting with "." or "-"';

const CONTROL = /[\x00-\x1f\x7f]/;
const text = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters');
const imageTag = z.string().regex(IMAGE_TAG, IMAGE_TAG_RULE);
/** What evidence.ts reads: an s3:// URI, or a path below the worker's evidence root (the worker checks the root). */
const evidenceRef = text(1024).refine(
  (s) =>
    /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+$/.test(s) ||
    (!/^[a-z][a-z0-9+.-]*:/i.test(s) && !s.split(/[\\/]/).includes('..')),
  'must be an s3://bucket/key URI or a path below the worker\'s evidence root, without ".."',
);

const inputSchema = z.strictObject({
  plan: z.unknown().optional(), // checked by resolvedPlanProblems
  version: z.string().regex(LABEL_VALUE, VERSION_RULE),
  imageTag,
  lastKnownGoodTag: imageTag.optional(),
  evidence: z
    .strictObject({
      trivy: evidenceRef.optional(),
      gitleaks: evidenceRef.optional(),
      npmAudit: evidenceRef.optional(),
      sonarqubeHotspots: evidenceRef.optional(),
    })
    .optional(),
  requestedBy: text(256).optional(),
  searchAttributes: z.boolean().optional(),
  incidents: z.boolean().optional(),
  carried: z.unknown().optional(), // checked by carriedProblem
});

const MAX_PROBLEMS = 20;
const MAX_PROBLEM_LENGTH = 400;

/**
 * Every problem of a workflow input, each naming its field; empty when the release may start. `run` is
 * how the run began (the CLI, before a start, has none).
 */
export function releaseInputProblems(input: unknown, releaseId: string, run: RunOrigin = {}): string[] {
  const problems = runOriginProblems(run);
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return [...problems, 'the input must be an object {plan, version, imageTag, ...}'];
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) {
    problems.push(
      ...parsed.error.issues.map((i) => {
        const message =
          i.code === 'unrecognized_keys'
            ? `has unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`
            : i.message;
        return `${fieldPath(i.path) || 'the input'} ${message}`;
      }),
    );
  }
  if (!('plan' in input) || (input as { plan?: unknown }).plan === undefined) problems.push('plan is required');
  else problems.push(...resolvedPlanProblems((input as { plan: unknown }).plan));
  const plan = (input as { plan?: { canary?: { steps?: unknown[] } } }).plan;
  const carried = carriedProblem((input as { carried?: unknown }).carried, run, plan?.canary?.steps?.length ?? 0);
  if (carried) problems.push(carried);
  if (!LABEL_VALUE.test(releaseId)) {
    problems.push(
      `the release id (workflow id) ${JSON.stringify(releaseId)} must be a Kubernetes label value: at most 63 letters, digits, ".", "_" and "-" (it labels green's namespace)`,
    );
  }
  return problems;
}

const clip = (s: string) => (s.length > MAX_PROBLEM_LENGTH ? `${s.slice(0, MAX_PROBLEM_LENGTH)}...` : s);
const str = (v: unknown) => (typeof v === 'string' ? clip(v) : '');

/**
 * The result of a refused release: nothing ran, so there is nothing to undo, no report in the plan's
 * bucket and no notification to the plan's channels (both named by the input that was just refused).
 * The result and the workflow history are the record.
 */
export function refusedResult(input: unknown, problems: string[], releaseId: string, nowIso: string): ReleaseResult {
  const shown = problems.slice(0, MAX_PROBLEMS).map(clip);
  const more = problems.length > MAX_PROBLEMS ? `; and ${problems.length - MAX_PROBLEMS} more` : '';
  const reason = `invalid input, nothing was done: ${shown.join('; ')}${more}`;
  const given = (typeof input === 'object' && input !== null ? input : {}) as Partial<
    Record<keyof ReleaseInput, unknown>
  >;
  const plan = (typeof given.plan === 'object' && given.plan !== null ? given.plan : {}) as { app?: unknown };
  return {
    outcome: 'invalid-input',
    reason,
    weights: [],
    report: {
      releaseId,
      app: str(plan.app),
      version: str(given.version),
      imageTag: str(given.imageTag),
      outcome: 'invalid-input',
      reason,
      startedAt: nowIso,
      finishedAt: nowIso,
      timeline: [{ at: nowIso, stage: 'done', event: reason }],
      approvals: [],
      preflight: [],
      steps: [],
      analyses: [],
      compensations: [],
      audit: [],
    },
  };
}
