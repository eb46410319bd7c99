// SEED 3.2 `kubectl get nodes`: every node Ready (the checkKubernetesNodes activity's own logic).
import { createKubernetesActivities } from '../kubernetes';
import type { CheckRunner } from './check';

export const kubernetesNodes: CheckRunner<'kubernetes-nodes'> = (_check, { config }) =>
  createKubernetesActivities(config).checkKubernetesNodes();
