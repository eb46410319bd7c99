// Reads the platform's environment policy from where the worker is told it lives (HWAYO_POLICY): a ConfigMap the
// worker's ServiceAccount may get and nobody on the release path may write (deploy/kubernetes/policy.yaml, rbac.yaml).
// A missing or malformed policy is answered, not thrown, so the release refuses with the reason; an unreachable
// apiserver is thrown and retried like any Kubernetes call.
import { parse as parseYaml } from 'yaml';
import type { ActivityConfig } from '../config';
import { kubeFailure } from '../kubernetes/errors';
import { lazyKubeClients } from '../kubernetes/client';
import { parsePolicy, POLICY_KEY, type PlatformPolicy } from '../../policy/schema';
import { knownZone } from '../../policy/zone-time';

export interface PolicyReading {
  /** "configmap NAMESPACE/NAME", or "none" when the worker runs without a policy (HWAYO_POLICY=none). */
  source: string;
  policy?: PlatformPolicy;
  /** Why there is no usable policy; empty when `policy` is set or the source is "none". */
  problems: string[];
}

export function createPolicyActivities(config: ActivityConfig) {
  const kube = lazyKubeClients(config.kubernetes);
  return {
    async readPlatformPolicy(): Promise<PolicyReading> {
      const where = config.policy;
      if (where.kind === 'none') return { source: 'none', problems: [] };
      const source = `configmap ${where.namespace}/${where.name}`;
      let data: Record<string, string> | undefined;
      try {
        data = (await kube().core.readNamespacedConfigMap({ name: where.name, namespace: where.namespace })).data;
      } catch (err) {
        const failure = kubeFailure(err, `read the platform policy (${source})`);
        if (failure.type === 'NotFound')
          return { source, problems: [`the platform policy ${source} does not exist: the platform team creates it`] };
        if (failure.type === 'PermissionDenied')
          return { source, problems: [`the worker may not read the platform policy ${source}: ${failure.message}`] };
        throw failure;
      }
      const text = data?.[POLICY_KEY];
      if (text === undefined) return { source, problems: [`the platform policy ${source} has no key ${POLICY_KEY}`] };
      let doc: unknown;
      try {
        doc = parseYaml(text);
      } catch (err) {
        return { source, problems: [`the platform policy ${source} is not YAML: ${(err as Error).message}`] };
      }
      const { policy, problems } = parsePolicy(doc);
      // The zone data is this worker's: a zone it does not know would leave the windows unresolvable.
      for (const env of policy?.environments ?? [])
        if (env.windows && !knownZone(env.windows.timeZone))
          problems.push(`environments.${env.name}.windows.timeZone: this worker knows no zone ${env.windows.timeZone}`);
      if (problems.length) return { source, problems: problems.map((p) => `the platform policy ${source}: ${p}`) };
      return { source, policy, problems: problems.map((p) => `the platform policy ${source}: ${p}`) };
    },
  };
}
