// Kubernetes side effects (@kubernetes/client-node). Every call is idempotent: create = apply,
// delete of a missing object = done, scale to the current count = no write.
import type { ActivityConfig } from './config';
import type {
  BackupInput, CheckResult, DeployGreenInput, DeployResult, DeployVersionInput, NamespaceCopyResult,
  ScaleInput, ScaleResult, SwitchConnectionInput, WaitRolloutInput,
} from './contract';
import { notImplemented } from './errors';

export function createKubernetesActivities(_config: ActivityConfig) {
  return {
    async checkKubernetesNodes(): Promise<CheckResult> { return notImplemented('checkKubernetesNodes'); },
    async checkClusterPolicies(_input: { namespace: string }): Promise<CheckResult> { return notImplemented('checkClusterPolicies'); },
    async createNamespace(_input: { name: string; labels: Record<string, string> }): Promise<{ created: boolean }> { return notImplemented('createNamespace'); },
    async copySecretsAndConfig(_input: { from: string; to: string }): Promise<NamespaceCopyResult> { return notImplemented('copySecretsAndConfig'); },
    async deployGreen(_input: DeployGreenInput): Promise<DeployResult> { return notImplemented('deployGreen'); },
    /** Heartbeats progress; a retry resumes from the last heartbeat's details. */
    async waitForRollout(_input: WaitRolloutInput): Promise<{ ready: boolean; detail: string }> { return notImplemented('waitForRollout'); },
    async scaleDeployments(_input: ScaleInput): Promise<ScaleResult> { return notImplemented('scaleDeployments'); },
    async deleteNamespace(_input: { name: string; waitMs: number }): Promise<{ deleted: boolean }> { return notImplemented('deleteNamespace'); },
    /** `kubectl get all -o yaml` equivalent, written to S3. */
    async backupNamespace(_input: BackupInput): Promise<{ location: string; objects: number }> { return notImplemented('backupNamespace'); },
    async deployVersion(_input: DeployVersionInput): Promise<DeployResult> { return notImplemented('deployVersion'); },
    /** Points the apps' connection Secret at a restored database instance. */
    async switchDatabaseConnection(_input: SwitchConnectionInput): Promise<{ updated: string[] }> { return notImplemented('switchDatabaseConnection'); },
  };
}
