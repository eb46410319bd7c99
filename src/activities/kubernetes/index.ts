// Kubernetes side effects (@kubernetes/client-node). Every call is idempotent: create = apply,
// delete of a missing object = done, scale to the current count = no write.
// The work is in ./kube/*; this file binds it to the worker's configuration.
import type { ActivityConfig } from '../config';
import type {
  BackupInput,
  CheckResult,
  DeployGreenInput,
  DeployResult,
  DeployVersionInput,
  NamespaceCopyResult,
  ScaleInput,
  ScaleResult,
  SwitchConnectionInput,
  WaitRolloutInput,
} from '../contract';
import { backupNamespace } from './backup';
import { lazyKubeClients } from './client';
import { kubeCall } from './errors';
import { checkClusterPolicies } from './policies';
import { checkMeshMtls } from './mesh-mtls';
import { DEFAULT_ENVIRONMENT_ROLE } from './access';
import { waitForRollout } from './rollout';
import {
  copySecretsAndConfig,
  createNamespace,
  deleteNamespace,
  deployGreen,
  deployVersion,
  scaleDeployments,
  switchDatabaseConnection,
} from './workloads';

export function createKubernetesActivities(config: ActivityConfig) {
  const k = lazyKubeClients(config.kubernetes);
  return {
    /** SEED 3.2: `kubectl get nodes`, all Ready. A failed check is a result, not an exception. */
    async checkKubernetesNodes(): Promise<CheckResult> {
      const nodes = await kubeCall('list nodes', () => k().core.listNode());
      const notReady = nodes.items
        .filter((n) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True')
        .map((n) => n.metadata?.name ?? '?');
      const total = nodes.items.length;
      const ok = total > 0 && notReady.length === 0;
      const detail =
        total === 0
          ? 'the cluster has no nodes'
          : notReady.length
            ? `${notReady.length}/${total} nodes not Ready: ${notReady.join(', ')}`
            : `${total}/${total} nodes Ready`;
      return { name: 'kubernetes-nodes', ok, detail, data: { total, ready: total - notReady.length } };
    },
    async checkClusterPolicies(input: { namespace: string }): Promise<CheckResult> {
      return checkClusterPolicies(k(), input.namespace);
    },
    async checkMeshMtls(input: { namespaces: string[]; rootNamespace: string }): Promise<CheckResult> {
      return checkMeshMtls(k(), input.namespaces, input.rootNamespace);
    },
    /** Creates (or adopts only its own earlier) green, and gives the worker the environment role in it. */
    async createNamespace(input: { name: string; labels: Record<string, string> }): Promise<{ created: boolean }> {
      return createNamespace(k(), input, {
        environmentRole: config.kubernetes.environmentRole ?? DEFAULT_ENVIRONMENT_ROLE,
      });
    },
    async copySecretsAndConfig(input: { from: string; to: string }): Promise<NamespaceCopyResult> {
      return copySecretsAndConfig(k(), input);
    },
    async deployGreen(input: DeployGreenInput): Promise<DeployResult> {
      return deployGreen(k(), input);
    },
    /** Heartbeats progress; a retry resumes from the last heartbeat's details. */
    async waitForRollout(input: WaitRolloutInput): Promise<{ ready: boolean; detail: string }> {
      return waitForRollout(k(), input);
    },
    async scaleDeployments(input: ScaleInput): Promise<ScaleResult> {
      return scaleDeployments(k(), input);
    },
    async deleteNamespace(input: { name: string; waitMs: number }): Promise<{ deleted: boolean }> {
      return deleteNamespace(k(), input);
    },
    /**
     * `kubectl get all -o yaml` equivalent, written to S3; Secret values encrypted with the codec keys (or left out).
     */
    async backupNamespace(input: BackupInput): Promise<{ location: string; objects: number }> {
      return backupNamespace(k(), config.aws, input, config.codecKeys);
    },
    async deployVersion(input: DeployVersionInput): Promise<DeployResult> {
      return deployVersion(k(), input);
    },
    /** Points the apps' connection Secret at a restored database instance. */
    async switchDatabaseConnection(input: SwitchConnectionInput): Promise<{ updated: string[] }> {
      return switchDatabaseConnection(k(), input);
    },
  };
}
