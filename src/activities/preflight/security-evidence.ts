// CI's security reports (Trivy, Gitleaks, npm audit, SonarQube) are clean and are about this release.
import { nonRetryable } from '../errors';
import { commitOfTag } from '../evidence';
import { checkSecurityEvidence } from '../evidence-check';
import { deployedImages } from '../kubernetes/workloads';
import type { CheckRunner } from './check';

/**
 * The reports must name what this release deploys: blue's containers on the new tag (and on the last
 * known good tag, which the emergency path would deploy), its commit, its app.
 */
export const securityEvidence: CheckRunner<'security-evidence'> = async ({ name }, { config, aws, kube, input }) => {
  const { app, version, imageTag, services, blueNamespace, lastKnownGoodTag } = input.context;
  if (!app || !version || !imageTag || !services)
    throw nonRetryable(
      'InvalidInput',
      'the security-evidence check needs the app, version, image tag and services in its context',
    );
  const tags = lastKnownGoodTag ? [imageTag, lastKnownGoodTag] : [imageTag];
  const [images, lastKnownGoodImages] = await deployedImages(kube(), blueNamespace, services, tags);
  return checkSecurityEvidence(name, input.evidence, {
    config: config.evidence,
    release: { app, version },
    aws,
    artifact: {
      images,
      ...(lastKnownGoodImages ? { lastKnownGoodImages } : {}),
      commit: commitOfTag(imageTag),
      projectKey: app,
    },
  });
};
