// CI's security reports (Trivy, Gitleaks, npm audit, SonarQube) are clean and are about this release.
import { nonRetryable } from '../errors';
import { commitOfTag } from '../evidence';
import { checkSecurityEvidence } from '../evidence-check';
import { deployedImages } from '../kubernetes/workloads';
import type { CheckRunner } from './check';

/** The reports must name what this release deploys: blue's containers on the new tag, its commit, its app. */
export const securityEvidence: CheckRunner<'security-evidence'> = async ({ name }, { config, aws, kube, input }) => {
  const { app, version, imageTag, services, blueNamespace } = input.context;
  if (!app || !version || !imageTag || !services)
    throw nonRetryable(
      'InvalidInput',
      'the security-evidence check needs the app, version, image tag and services in its context',
    );
  const images = await deployedImages(kube(), blueNamespace, services, imageTag);
  return checkSecurityEvidence(name, input.evidence, {
    config: config.evidence,
    release: { app, version },
    aws,
    artifact: { images, commit: commitOfTag(imageTag), projectKey: app },
  });
};
