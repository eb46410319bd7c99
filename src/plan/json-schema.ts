// The JSON Schema of plan files, generated from the one zod schema (schema.ts) so the two cannot
// drift. Editors load it through the `# yaml-language-server: $schema=...` line of each plan and
// complete and check fields as people type; `hwayo-release plan schema` prints it, and
// deploy/plans/plan.schema.json is this output (`npm run plan:schema` rewrites it; a unit test
// fails when it is stale).
import { z } from 'zod';
import { durationFields, planSchema } from './schema';

/** Where the committed copy lives, relative to the repository root. */
export const PLAN_SCHEMA_FILE = 'deploy/plans/plan.schema.json';

/**
 * The rules zod checks that this JSON Schema does not express (they relate several fields, or a
 * duration's text to its minimum): an editor accepts a plan that breaks them, and
 * `hwayo-release plan validate` refuses it. Every other rule (unknown keys, types, enums,
 * patterns, ranges) is in both.
 */
export const ZOD_ONLY_RULES = [
  'canary.steps weights strictly increase',
  'names are unique: services, approvers, required roles, checks, metrics',
  'traffic.entryService names a service of the plan',
  'environments.green differs from environments.blue',
  'with environments.alternate, traffic destinations contain {{namespace}}',
  'the route and the maintenance page are outside the blue and green namespaces',
  'every required role has an approver',
  'with approval.requireSignatures, every approver has a publicKey',
  'preflight.checks has a release-baseline check, in group infrastructure',
  'a metric has healthy, rollback or compareToStable; healthy has max or min; rollback has above or below',
  'a metric with compareToStable has {{namespace}} in its query (CloudWatch: in a dimension value)',
  'the plan has a rollback trigger (a metric rollback bound or canary.healthCheckFailureLimit > 0)',
  'a duration written as text is at least its minimum (as milliseconds, JSON Schema checks it)',
  'a CloudWatch period is 1, 5, 10, 30 or a multiple of 60 seconds, with at most 30 dimensions',
] as const;

// What parseDuration (duration.ts) reads: "15m", "1h30m", "500ms", "90s", or plain milliseconds.
const DURATION_TEXT = '^\\s*(\\d+|(\\d+(\\.\\d+)?(ms|s|m|h|d))+)\\s*$';

type Json = { [key: string]: unknown };

/** The JSON Schema (draft-07, which every YAML editor reads) of a plan file. */
export function planJsonSchema(): Json {
  const generated = z.toJSONSchema(planSchema, {
    target: 'draft-07',
    io: 'input', // what people write: durations as text or milliseconds, before the transform
    reused: 'inline',
    override: ({ zodSchema, jsonSchema }) => {
      const duration = durationFields.get(zodSchema);
      if (!duration) return;
      for (const key of Object.keys(jsonSchema)) delete (jsonSchema as Json)[key];
      Object.assign(jsonSchema, {
        description: `A duration: "15m", "1h30m", "90s", "500ms", or milliseconds; at least ${duration.minMs} ms.`,
        anyOf: [
          { type: 'string', pattern: DURATION_TEXT },
          { type: 'number', minimum: duration.minMs },
        ],
      });
    },
  }) as Json;
  const { $schema, ...body } = generated;
  return {
    $schema,
    title: 'hwayo-release plan',
    description:
      'A release plan. It is merged over the default plan (hwayo-release plan defaults) key by key, so any key may be left out; a list replaces the default list whole, so list items are complete. `hwayo-release plan validate FILE` checks the rules that relate fields as well.',
    ...optionalOverDefaults(standardFormatsOnly(body) as Json),
  };
}

/**
 * Plans are merged over the defaults object by object (load.ts mergeOverDefaults), so no key of an
 * object reached without crossing a list is required; items of lists replace the default whole
 * and keep their required keys.
 */
function optionalOverDefaults(schema: Json): Json {
  const out: Json = { ...schema };
  delete out.required;
  if (isJson(out.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(out.properties).map(([k, v]) => [k, isJson(v) ? optionalOverDefaults(v) : v]),
    );
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(out[key]))
      out[key] = (out[key] as unknown[]).map((v) => (isJson(v) ? optionalOverDefaults(v) : v));
  }
  return out;
}

// Formats draft-07 defines. zod also names its own (startsWith gives "starts_with") next to the
// pattern that carries the rule; validators in strict mode refuse unknown formats, so they go.
const STANDARD_FORMATS = new Set([
  'date-time',
  'date',
  'time',
  'email',
  'idn-email',
  'hostname',
  'idn-hostname',
  'ipv4',
  'ipv6',
  'uri',
  'uri-reference',
  'iri',
  'iri-reference',
  'uri-template',
  'json-pointer',
  'relative-json-pointer',
  'regex',
]);

function standardFormatsOnly(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(standardFormatsOnly);
  if (!isJson(schema)) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([k, v]) => !(k === 'format' && typeof v === 'string' && !STANDARD_FORMATS.has(v)))
      .map(([k, v]) => [k, standardFormatsOnly(v)]),
  );
}

function isJson(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The committed file's text: two-space JSON and a final newline. */
export function planJsonSchemaText(): string {
  return `${JSON.stringify(planJsonSchema(), null, 2)}\n`;
}
