// The pure half of a metric provider (<kind>/spec.ts): what its plan's `query` field is, and how the workflow
// renders it for the side being measured. Pure, because the workflow sandbox loads it (through
// ./registry.ts); its measuring half, <kind>/measure.ts, is the worker's (./measure.ts).
import type { z } from 'zod';

export interface MetricProviderSpec<Query, Rendered extends object> {
  /** The plan's `metrics[].query` for this provider, with the system's own limits, so a typo is refused at once. */
  query: z.ZodType<Query>;
  /** Where {{namespace}} goes, in the message asking for it (e.g. ' in a dimension value'). */
  namespaceWhere: string;
  /** The texts of a query a template variable may stand in. */
  templatedTexts(query: Query): string[];
  /** What is wrong with the query's {{variables}}: [path under `query`, message] for each problem. */
  templateProblems(query: Query): [string[], string][];
  /** The queryMetrics input for one side, besides the metric's `name` (in the workflow's history). */
  render(query: Query, vars: Record<string, string>): Rendered;
}
