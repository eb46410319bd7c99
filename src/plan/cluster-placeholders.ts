// {{cluster}} and {{region}}: in a release across clusters (a plan with waves) each cluster's child fills them in
// its metric queries and its healthUrlTemplate, so one plan selects each cluster's own series (one Prometheus
// scrapes every region with a `cluster` label). A single-cluster release has no cluster to name (the policy
// registers clusters, none of them the default), so a plan without waves that uses them is refused.
import { templatedTexts } from './metric-queries';
import type { ReleasePlan } from './types';

const CLUSTER_VARIABLE = /\{\{\s*(cluster|region)\s*\}\}/g;

export const usesClusterVariables = (text: string): boolean => new RegExp(CLUSTER_VARIABLE.source).test(text);

/** The cluster a child runs in, as its templates name it. */
export interface ClusterVars {
  cluster?: string;
  region?: string;
}

/**
 * A text with {{cluster}} and {{region}} filled in where they are known (a child's); unchanged otherwise. The values
 * are registered DNS labels, so they need no escaping in a URL.
 */
export function fillCluster(text: string, vars: ClusterVars): string {
  if (vars.cluster === undefined) return text;
  return text.replace(CLUSTER_VARIABLE, (whole, key: 'cluster' | 'region') => vars[key] ?? whole);
}

/** A single-cluster release's refusal of each field of the plan that uses {{cluster}} or {{region}}. */
export function singleClusterProblems(plan: ReleasePlan): string[] {
  const fields = [
    ...plan.metrics.filter((m) => templatedTexts(m).some(usesClusterVariables)).map((m) => `metrics.${m.name}.query`),
    ...(usesClusterVariables(plan.healthUrlTemplate) ? ['healthUrlTemplate'] : []),
  ];
  return fields.map(
    (f) =>
      `${f} uses {{cluster}} or {{region}}, which only a release across clusters fills in (a plan with waves): ` +
      'name the cluster in the query itself for a single-cluster release',
  );
}
