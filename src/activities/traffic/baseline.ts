// The release-baseline preflight check: production is where the plan says it is before anything
// changes. A plan whose "green" already carries production (the previous release succeeded and blue
// was retired), a release still in flight on the same route, or a leftover green would otherwise
// have this release deploy over live pods and shift traffic from the wrong side.
import type { TrafficSpec } from '../../plan/types';
import type { CheckResult } from '../contract';
import type { KubeClients } from '../kubernetes/client';
import { kubeCall, kubeCallOptional } from '../kubernetes/errors';
import { readTrafficSplit } from './edit-route';

export interface BaselineInput {
  name: string;
  route: TrafficSpec;
  blueNamespace: string;
  greenNamespace: string;
  services: string[];
}

const SWAP_HINT =
  'if the last release succeeded, production now runs in the other namespace: swap environments.blue and environments.green in the plan';

export async function checkReleaseBaseline(k: KubeClients, input: BaselineInput): Promise<CheckResult> {
  const { route, blueNamespace: blue, greenNamespace: green, services } = input;
  const [split, greenNs, blueDeps] = await Promise.all([
    readTrafficSplit(k, route, blue, green),
    kubeCallOptional(`get namespace ${green}`, () => k.core.readNamespace({ name: green })),
    kubeCall(`list deployments in ${blue}`, () => k.apps.listNamespacedDeployment({ namespace: blue })),
  ]);
  const problems: string[] = [];
  const data: Record<string, unknown> = {};

  const routeName = split.where;
  if (split.state === 'missing') problems.push(`${routeName} does not exist`);
  else if (split.state === 'maintenance') problems.push(`${routeName} is in maintenance mode`);
  else {
    const { shares } = split;
    Object.assign(data, { blueShare: shares.blue, greenShare: shares.green });
    if (shares.green > 0)
      problems.push(
        `${routeName} sends ${shares.green}% of traffic to green (${green}), expected 0%: a release may still be in flight, or ${SWAP_HINT}`,
      );
    else if (shares.blue < 100)
      problems.push(
        `${routeName} sends ${shares.blue}% of traffic to blue (${blue}), expected 100%${shares.others.length ? ` (also to ${shares.others.join(', ')})` : ''}`,
      );
  }

  const blueNames = new Set(blueDeps.items.map((d) => d.metadata?.name));
  const missing = services.filter((s) => !blueNames.has(s));
  if (missing.length)
    problems.push(
      `blue (${blue}) has no Deployment for ${missing.join(', ')}${missing.length === services.length ? `; ${SWAP_HINT}` : ''}`,
    );

  if (greenNs) {
    if (greenNs.status?.phase === 'Terminating' || greenNs.metadata?.deletionTimestamp)
      problems.push(`green (${green}) is still being deleted`);
    else {
      const greenDeps = await kubeCall(`list deployments in ${green}`, () =>
        k.apps.listNamespacedDeployment({ namespace: green }),
      );
      const greenNames = new Set(greenDeps.items.map((d) => d.metadata?.name));
      const live = services.filter((s) => greenNames.has(s));
      data.greenDeployments = live.length;
      if (live.length)
        problems.push(
          `green (${green}) already runs ${live.join(', ')}: an earlier release may keep it for its rollback window (end that window with \`hwayo-release promote RELEASE-ID\`), it may be left over (delete the namespace), or ${SWAP_HINT}`,
        );
    }
  }

  return {
    name: input.name,
    ok: problems.length === 0,
    detail: problems.length
      ? problems.join('; ')
      : `${routeName} sends 100% to blue (${blue}), which runs all ${services.length} services; green (${green}) ${greenNs ? 'is empty' : 'does not exist yet'}`,
    data: { ...data, blueDeployments: blueNames.size, missingInBlue: missing.length },
  };
}
