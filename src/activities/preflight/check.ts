// What every preflight check kind is: one function from the plan's check (narrowed to its kind) and
// the worker's clients to a result. A failed check is a result, not a throw; a throw is for what a
// retry may fix (an API that is down). ./registry.ts maps each kind of the plan to its file.
import type { PreflightCheck, PreflightKind } from '../../plan/types';
import type { AwsClients } from '../aws/clients';
import type { ActivityConfig } from '../config';
import type { CheckResult, RunCheckInput } from '../contract';
import type { KubeClients } from '../kubernetes/client';

export type CheckOf<K extends PreflightKind> = Extract<PreflightCheck, { kind: K }>;

export interface CheckContext {
  config: ActivityConfig;
  aws: AwsClients;
  kube: () => KubeClients;
  /** The whole activity input: the release's namespaces, route, services, evidence references. */
  input: RunCheckInput;
}

export type CheckRunner<K extends PreflightKind> = (check: CheckOf<K>, ctx: CheckContext) => Promise<CheckResult>;
