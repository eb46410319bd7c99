// The runCheck activity: one preflight check of the plan, run by the file of its kind (./registry.ts).
import type { PreflightKind } from '../../plan/types';
import { awsClients } from '../aws/clients';
import type { ActivityConfig } from '../config';
import type { CheckResult, RunCheckInput } from '../contract';
import { nonRetryable } from '../errors';
import { lazyKubeClients } from '../kubernetes/client';
import type { CheckRunner } from './check';
import { preflightChecks } from './registry';

export function createPreflightActivities(config: ActivityConfig) {
  const aws = awsClients(config);
  const kube = lazyKubeClients(config.kubernetes);
  return {
    /** Activity name recorded in histories: keep it. */
    async runCheck(input: RunCheckInput): Promise<CheckResult> {
      // Typed per kind in the registry; a task scheduled by another version could still name an unknown one.
      const run = preflightChecks[input.check.kind] as CheckRunner<PreflightKind> | undefined;
      if (!run) throw nonRetryable('InvalidInput', `unknown preflight check kind ${input.check.kind}`);
      return run(input.check, { config, aws, kube, input });
    },
  };
}
