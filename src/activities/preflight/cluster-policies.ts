// The cluster's admission policies hold in the namespace (default: the release's blue).
import { checkClusterPolicies } from '../kubernetes/policies';
import type { CheckRunner } from './check';

export const clusterPolicies: CheckRunner<'cluster-policies'> = (check, { kube, input }) =>
  checkClusterPolicies(kube(), check.namespace ?? input.context.blueNamespace);
