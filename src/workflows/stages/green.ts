// The green environment next to blue: namespace, blue's secrets and config, the new version, ready
// and healthy. No traffic has moved, so undoing it is deleting green.
import { ApplicationFailure, patched } from '@temporalio/workflow';
import { formatDuration } from '../../plan/duration';
import { leaveOn, Rollback } from '../exits';
import { call, DEFAULT_OPTIONS } from '../proxies';
import type { ReleaseState } from '../release-state';
import { checkHealth, waitForRollout } from '../steps';
import { interruption } from '../analysis';
import { owe } from './rollback';

/** The type of the ApplicationFailure behind an activity failure (e.g. 'NamespaceNotOwned'). */
function failureType(err: unknown): string | undefined {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

export async function deployGreen(r: ReleaseState): Promise<void> {
  const { plan, blue, green, imageTag, releaseId, version, saga } = r;
  r.enter('green-deploy', `deploying ${imageTag} to ${green}`);
  owe(r, 'delete-green');
  await call(DEFAULT_OPTIONS, `create ${green}`, 'createNamespace', {
    name: green,
    labels: { 'app.kubernetes.io/part-of': plan.app, 'hwayo.io/release': releaseId, 'hwayo.io/environment': 'green' },
  }).catch((err: unknown) => {
    // Someone else's namespace under green's name: never ours to delete on the way out.
    if (failureType(err) === 'NamespaceNotOwned' && patched('keep-foreign-namespace')) saga.remove('delete-green');
    throw err;
  });
  const copied = await call(DEFAULT_OPTIONS, `copy secrets ${blue} -> ${green}`, 'copySecretsAndConfig', {
    from: blue,
    to: green,
  });
  r.event(
    `copied ${copied.secrets.length} secrets, ${copied.configMaps.length} config maps and ${copied.networkPolicies?.length ?? 0} network policies`,
  );
  const deployed = await call(DEFAULT_OPTIONS, `deploy ${imageTag} to ${green}`, 'deployGreen', {
    from: blue,
    to: green,
    imageTag,
    services: plan.services,
    labels: { 'hwayo.io/release': releaseId, 'hwayo.io/version': version },
  });
  r.event(`deployed ${deployed.deployments.map((d) => d.name).join(', ')}`);
  r.images = [...new Set(deployed.deployments.map((d) => d.image).filter((i) => i))].sort();
  const ready = await waitForRollout(r, green, plan.green.readyTimeoutMs);
  if (!ready.ready)
    throw new Rollback(
      { kind: 'rollout-timeout' },
      `green not ready within ${formatDuration(plan.green.readyTimeoutMs)}: ${ready.detail}`,
      'failed',
      'warning',
    );
  const health = await checkHealth(r, true);
  if (!health.healthy)
    throw new Rollback({ kind: 'health-check' }, `green health checks failed: ${health.detail}`, 'failed', 'warning');
  leaveOn(interruption(r.control, false), 'warning');
  r.event('green ready and healthy');
}
