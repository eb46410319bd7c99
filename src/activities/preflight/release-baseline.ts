// Production is where the plan says before anything changes (the logic reads the route: ../traffic/baseline.ts).
import { nonRetryable } from '../errors';
import { checkReleaseBaseline } from '../traffic/baseline';
import type { CheckRunner } from './check';

export const releaseBaseline: CheckRunner<'release-baseline'> = async (check, { kube, input }) => {
  const { route, services, blueNamespace, greenNamespace } = input.context;
  if (!route || !services)
    throw nonRetryable('InvalidInput', 'the release-baseline check needs the route and services in its context');
  return checkReleaseBaseline(kube(), { name: check.name, route, services, blueNamespace, greenNamespace });
};
