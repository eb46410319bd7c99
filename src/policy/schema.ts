// The platform team's environment policy: what every release into an environment must at least do, whoever
// starts it. The platform owns the document (a ConfigMap the worker may read and nobody else on the release path
// may write); the release reads it before anything else and a plan may only tighten it (tighten.ts). Pure: the
// worker parses it, the CLI checks a plan against it, and the workflow bundle imports the types.
import { z } from 'zod';
import { parseDuration } from '../plan/duration';
import { publicKeyProblem } from '../plan/public-keys';
import { clusterRegistryProblems, clusterSchema } from './clusters';
import { freezeSchema, windowsSchema } from './windows';

/** The ConfigMap key that holds the policy document (YAML). */
export const POLICY_KEY = 'policy.yaml';

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be a lowercase name (letters, digits, ".", "_", "-")');
const publicKey = z
  .string()
  .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a base64 ed25519 public key (32 bytes)')
  .refine((k) => publicKeyProblem(k) === undefined, { message: 'is not a usable ed25519 public key' });
const namespace = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a Kubernetes namespace name');
const alertName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be a Prometheus alert name');
const duration = z.union([z.string(), z.number()]).transform((raw, ctx) => {
  const ms = parseDuration(raw);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `must be a duration like "15m" or "24h" (got ${JSON.stringify(raw)})` });
    return z.NEVER;
  }
  return ms;
});

const environmentSchema = z.strictObject({
  name: id,
  /** The namespace pair that takes turns carrying production (either order). */
  namespaces: z.tuple([namespace, namespace]).refine(([a, b]) => a !== b, 'must name two different namespaces'),
  approval: z.strictObject({
    requiredRoles: z.array(id).min(1),
    /** The only people who may approve, each with the key that speaks for them: signatures are always required. */
    approvers: z.array(z.strictObject({ id, role: id, publicKey })).min(1),
    /** People who may send controls besides the approvers. */
    operators: z.array(z.strictObject({ id, publicKey })).default([]),
    /** The longest approval wait a plan may set. */
    maxTimeout: duration,
  }),
  /** Check kinds every plan into this environment runs (release-baseline and security-evidence at least). */
  checks: z.array(z.string()).refine((c) => c.includes('release-baseline') && c.includes('security-evidence'), {
    message: 'must include release-baseline and security-evidence',
  }),
  canary: z.strictObject({
    /** Canary steps before the full switch, at least. */
    minSteps: z.number().int().min(1),
    /** The first step's weight, at most. */
    maxFirstWeight: z.number().min(1).max(100),
    /** Every step's watch, at least. */
    minWatch: duration,
    /** The analysis interval, at most. */
    maxAnalysisInterval: duration,
    /** How long a pause may hold a release, at most. */
    maxPause: duration,
  }),
  fullSwitch: z.strictObject({ minWatch: duration }),
  retention: z.strictObject({ minBlueKeep: duration }),
  /** When traffic may move up (windows.ts); absent: at any time. */
  windows: windowsSchema.optional(),
  /** Date ranges no traffic moves up in, each with its reason. */
  freezes: z.array(freezeSchema).default([]),
  /**
   * Whether a release that ends badly opens an incident (incidents.ts); absent: it does. No default: an
   * absent key keeps the digest of every policy written before it, which signed statements bind.
   */
  incidents: z.boolean().optional(),
  /**
   * Alertmanager alert names that roll a live canary back at once when they fire for green's namespace
   * (src/workflows/alert-rules.ts). Absent: alerts are recorded and never act. Optional, not defaulted: a
   * default would change the digest of every policy document already recorded.
   */
  rollbackOnAlerts: z.array(alertName).min(1).optional(),
  /**
   * The least error-budget check a plan may carry (./error-budget.ts): target in percent, window a duration.
   * Absent: no floor. Optional, not defaulted, for the digests as above.
   */
  errorBudget: z.strictObject({ minTarget: z.number().gt(0).lt(100), minWindow: duration }).optional(),
});

export const policySchema = z.strictObject({
  version: z.literal(1),
  environments: z.array(environmentSchema).min(1),
  /** The clusters a plan's waves may name (clusters.ts); absent: single-cluster releases only. */
  clusters: z.array(clusterSchema).optional(),
});

export type PlatformPolicy = z.output<typeof policySchema>;
export type EnvironmentPolicy = PlatformPolicy['environments'][number];

/** What the release records of the policy it ran under. */
export interface PolicyRecord {
  /** Where the worker read it: "configmap hwayo-release/hwayo-release-policy", or "none" (HWAYO_POLICY=none). */
  source: string;
  /** policyDigest() of the whole document; absent with no policy. */
  digest?: string;
  /** The environment of the document that covers the release's namespaces. */
  environment?: string;
}

/** How the UI and the report name the policy a release runs under. */
export function policyLine(p: PolicyRecord): string {
  return p.digest
    ? `platform policy ${p.source}, environment ${p.environment ?? '?'}, ${p.digest}`
    : 'no platform policy (worker runs with HWAYO_POLICY=none): the plan runs on its own authority';
}

/** Every problem of a policy document, each naming its field; the parsed policy when there is none. */
export function parsePolicy(doc: unknown): { policy?: PlatformPolicy; problems: string[] } {
  const parsed = policySchema.safeParse(doc);
  if (!parsed.success)
    return {
      problems: parsed.error.issues.map((i) => `${i.path.map(String).join('.') || 'the policy'} ${i.message}`),
    };
  const problems: string[] = [];
  const names = new Set<string>();
  const owner = new Map<string, string>();
  for (const env of parsed.data.environments) {
    if (names.has(env.name)) problems.push(`environments: "${env.name}" is defined twice`);
    names.add(env.name);
    for (const ns of env.namespaces) {
      if (owner.has(ns)) problems.push(`environments: namespace ${ns} is in both "${owner.get(ns)}" and "${env.name}"`);
      owner.set(ns, env.name);
    }
    const keyOf = new Map<string, string>();
    for (const p of [...env.approval.approvers, ...env.approval.operators]) {
      const other = [...keyOf].find(([who, key]) => key === p.publicKey && who !== p.id);
      if (other) problems.push(`environments.${env.name}: "${p.id}" shares a key with "${other[0]}"`);
      if (keyOf.has(p.id) && keyOf.get(p.id) !== p.publicKey)
        problems.push(`environments.${env.name}: "${p.id}" is listed with two different keys`);
      keyOf.set(p.id, p.publicKey);
    }
    for (const role of env.approval.requiredRoles)
      if (!env.approval.approvers.some((a) => a.role === role))
        problems.push(`environments.${env.name}.approval: no approver holds required role ${role}`);
  }
  problems.push(...clusterRegistryProblems(parsed.data.clusters ?? []));
  return problems.length ? { problems } : { policy: parsed.data, problems };
}
