// The security-evidence preflight check covers what the emergency path would deploy: the images of the
// release's last known good tag, read from blue's deployments like the release's own images.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { securityEvidence } from '../../src/activities/preflight/security-evidence';
import type { CheckContext } from '../../src/activities/preflight/check';

// The ESM-only client is not loaded by jest; the check reads deployments through the fake below.
jest.mock('@kubernetes/client-node', () => ({ PatchStrategy: {}, setHeaderOptions: () => ({}) }));

const root = mkdtempSync(join(tmpdir(), 'evidence-lkg-'));
const scanned = ['api', 'web'].map((s) => ({
  SchemaVersion: 2,
  ArtifactName: `registry.local/hwayo-${s}:412-3f9c2ab`,
  Results: [],
}));
writeFileSync(join(root, 'trivy.json'), JSON.stringify(scanned));
const deployment = (name: string) => ({
  spec: { template: { spec: { containers: [{ image: `registry.local/hwayo-${name}:399-1234567` }] } } },
});
const kube = (() => ({
  apps: { readNamespacedDeployment: async ({ name }: { name: string }) => deployment(name) },
})) as unknown as CheckContext['kube'];

const run = (lastKnownGoodTag?: string) =>
  securityEvidence(
    { name: 'security-evidence', group: 'security', kind: 'security-evidence' },
    {
      config: { evidence: { root, prefix: 'evidence' } } as CheckContext['config'],
      aws: {} as CheckContext['aws'],
      kube,
      input: {
        check: { name: 'security-evidence', group: 'security', kind: 'security-evidence' },
        context: {
          blueNamespace: 'hwayo-production',
          greenNamespace: 'hwayo-production-green',
          app: 'hwayo',
          version: '2.4.0',
          imageTag: '412-3f9c2ab',
          services: ['api', 'web'],
          lastKnownGoodTag,
        },
        evidence: { trivy: 'trivy.json' },
      },
    },
  );

test('a Trivy report of the release images only fails once the release names a last known good tag', async () => {
  // The other gates have no reports here; only the Trivy gate matters.
  expect((await run()).data?.trivyOk).toBe(true);
  const withGood = await run('400-0ld600d');
  expect(withGood.data?.trivyOk).toBe(false);
  expect(withGood.detail).toContain(
    'Trivy report trivy.json: no scan of registry.local/hwayo-api:400-0ld600d, registry.local/hwayo-web:400-0ld600d, the last known good images the emergency path would deploy',
  );
});
