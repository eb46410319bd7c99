// Query templates, shared by every provider's pure half: which {{variables}} a metric's query may use, and
// how they are filled in for the side being measured.

/** What a metric query may fill in (analysis.ts metricQueries). */
export const QUERY_VARIABLES = [
  'namespace',
  'blue_namespace',
  'green_namespace',
  'app',
  'version',
  'cluster',
  'region',
];

const VARIABLE = /\{\{\s*([a-z_]+)\s*\}\}/g;

export const unknownVariable = (v: string) =>
  `uses unknown template variable {{${v}}} (known: ${QUERY_VARIABLES.map((k) => `{{${k}}}`).join(', ')})`;

/** Each {{variable}} of a text, with where it stands. */
export const variablesOf = (text: string) => [...text.matchAll(VARIABLE)].map((m) => ({ name: m[1], index: m.index }));

/** A text's {{variables}} must be known ones (for values sent as values: no quoting rule). */
export function templateVariableProblem(text: string): string | undefined {
  const unknown = variablesOf(text).find((v) => !QUERY_VARIABLES.includes(v.name));
  return unknown ? unknownVariable(unknown.name) : undefined;
}

/**
 * Fills {{namespace}} (the side measured), {{blue_namespace}}, {{green_namespace}}, {{app}}, {{version}}, and in a
 * multi-cluster release's child {{cluster}} and {{region}} (src/plan/cluster-placeholders.ts).
 */
export function renderTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(VARIABLE, (whole, key: string) => (Object.hasOwn(vars, key) ? vars[key] : whole));
}
