// The clusters a platform runs releases into, as its policy registers them: each cluster's activities run on its
// own task queue `hwayo-<name>`, served by a worker that holds only that cluster's credentials. Pure: the worker
// parses the policy, the workflow checks a plan's waves against it.
import { z } from 'zod';

/** The task queue the parent and child workflows (and a single-cluster release's activities) run on. */
export const MAIN_TASK_QUEUE = 'hwayo-release';

/** A DNS label: a cluster's name ends up in task queue names and child workflow ids. */
const CLUSTER_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

export const clusterSchema = z.strictObject({
  name: z.string().regex(CLUSTER_NAME, 'must be a lowercase DNS label of at most 32 characters'),
  region: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a lowercase region name like eu-west-1'),
  /** Must be `hwayo-<name>`; absent means that. */
  taskQueue: z.string().optional(),
});

export type ClusterEntry = z.output<typeof clusterSchema>;

/** A registered cluster with its queue spelled out. */
export interface Cluster {
  name: string;
  region: string;
  taskQueue: string;
}

export const clusterQueue = (name: string): string => `hwayo-${name}`;

/** Every problem of the policy's cluster list, each naming the cluster; empty when it is sound. */
export function clusterRegistryProblems(clusters: readonly ClusterEntry[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const c of clusters) {
    if (seen.has(c.name)) problems.push(`clusters: "${c.name}" is registered twice`);
    seen.add(c.name);
    if (clusterQueue(c.name) === MAIN_TASK_QUEUE)
      problems.push(`clusters: "${c.name}" would share the main task queue ${MAIN_TASK_QUEUE}; choose another name`);
    if (c.taskQueue !== undefined && c.taskQueue !== clusterQueue(c.name))
      problems.push(
        `clusters.${c.name}.taskQueue must be ${clusterQueue(c.name)} (got ${JSON.stringify(c.taskQueue)}): ` +
          "a cluster's worker polls the queue named after it",
      );
  }
  return problems;
}

/** The registry as the workflow uses it (call after clusterRegistryProblems found nothing). */
export function registeredClusters(clusters: readonly ClusterEntry[] | undefined): Cluster[] {
  return (clusters ?? []).map((c) => ({ name: c.name, region: c.region, taskQueue: clusterQueue(c.name) }));
}
