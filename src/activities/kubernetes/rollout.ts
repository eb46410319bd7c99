// Waiting for Deployments to finish rolling out, the way `kubectl rollout status` judges it, with
// heartbeats that carry progress so a retried attempt keeps the original start time.
import { activityInfo, heartbeat, sleep } from '@temporalio/activity';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { RolloutProgress, WaitRolloutInput } from '../contract';
import type { KubeClients } from './client';
import { kubeCall } from './errors';

const POLL_MS = 1000;

/** Ready = the controller saw the latest spec, every replica is updated and available, and no old ones remain. */
export function rolloutState(dep: V1Deployment): { ready: number; desired: number; done: boolean } {
  const desired = dep.spec?.replicas ?? 1;
  const s = dep.status ?? {};
  const observed = (s.observedGeneration ?? 0) >= (dep.metadata?.generation ?? 0);
  const updated = s.updatedReplicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const total = s.replicas ?? 0;
  const done = observed && updated >= desired && total <= updated && available >= desired;
  return { ready: Math.min(available, updated), desired, done };
}

/** Heartbeat details of an earlier attempt of this activity, when they look like ours. */
export function previousProgress(): RolloutProgress | undefined {
  const d: unknown = activityInfo().heartbeatDetails;
  if (d && typeof d === 'object' && 'startedAt' in d && typeof d.startedAt === 'number' && 'ready' in d)
    return d as RolloutProgress;
  return undefined;
}

/** Why a deployment is not ready: the scheduler's or the controller's own words. */
async function whyNotReady(k: KubeClients, namespace: string, dep: V1Deployment): Promise<string> {
  const failing = dep.status?.conditions?.find((c) => c.status === 'False' && c.message);
  const selector = Object.entries(dep.spec?.selector.matchLabels ?? {})
    .map(([key, v]) => `${key}=${v}`)
    .join(',');
  const pods = await kubeCall(`list pods of ${namespace}/${dep.metadata?.name}`, () =>
    k.core.listNamespacedPod({ namespace, labelSelector: selector }),
  );
  const podReason = pods.items.map(podProblem).find((p) => p !== undefined);
  return podReason ?? failing?.message ?? 'pods not ready yet';
}

function podProblem(pod: V1Pod): string | undefined {
  const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unscheduled) return `pod ${pod.metadata?.name} unschedulable: ${unscheduled.message ?? unscheduled.reason}`;
  const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting?.reason)?.state?.waiting;
  if (waiting) return `pod ${pod.metadata?.name}: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`;
  return undefined;
}

export async function waitForRollout(
  k: KubeClients,
  input: WaitRolloutInput,
): Promise<{ ready: boolean; detail: string }> {
  const progress: RolloutProgress = { ready: {}, startedAt: previousProgress()?.startedAt ?? Date.now() };
  for (;;) {
    const deps = await Promise.all(
      input.deployments.map((name) =>
        kubeCall(`read deployment ${input.namespace}/${name}`, () =>
          k.apps.readNamespacedDeployment({ name, namespace: input.namespace }),
        ),
      ),
    );
    const pending: V1Deployment[] = [];
    for (const dep of deps) {
      const s = rolloutState(dep);
      progress.ready[dep.metadata?.name ?? ''] = { ready: s.ready, desired: s.desired };
      if (!s.done) pending.push(dep);
    }
    heartbeat(progress);
    const elapsed = Date.now() - progress.startedAt;
    if (pending.length === 0) {
      return {
        ready: true,
        detail: `${deps.length} deployments ready in ${input.namespace} after ${Math.round(elapsed / 1000)} s`,
      };
    }
    if (elapsed >= input.timeoutMs) {
      const reasons = await Promise.all(
        pending.map(async (d) => {
          const p = progress.ready[d.metadata?.name ?? ''];
          return `${d.metadata?.name} ${p.ready}/${p.desired} ready: ${await whyNotReady(k, input.namespace, d)}`;
        }),
      );
      return { ready: false, detail: `not ready after ${Math.round(elapsed / 1000)} s: ${reasons.join('; ')}` };
    }
    // Cancellation-aware: a cancelled activity stops here with CancelledFailure.
    await sleep(Math.min(POLL_MS, input.timeoutMs - elapsed));
  }
}
