// Security evidence must be tied to the release it lets through (threat 11, docs/security.md): each report's own
// metadata names the images deployed, the commit of the image tag, the project; and reports are read
// only from the worker's evidence root or the version's S3 prefix.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  commitOfTag,
  EvidenceError,
  gitleaksGate,
  normaliseImage,
  npmAuditGate,
  sonarHotspotsGate,
  trivyGate,
  type ReleaseArtifact,
} from '../../src/activities/evidence';
import { locateEvidence, type EvidenceConfig } from '../../src/activities/evidence-check';
import { loadWorkerConfig } from '../../src/worker/config';

const SHA = '3f9c2ab8e41d07c5a9b3f6e2d1c0b9a8f7e6d5c4';
const artifact: ReleaseArtifact = {
  images: ['registry.local/hwayo-api:412-3f9c2ab', 'registry.local/hwayo-web:412-3f9c2ab'],
  commit: '3f9c2ab',
  projectKey: 'hwayo',
};
const trivy = (name: string, extra: Record<string, unknown> = {}) => ({
  SchemaVersion: 2,
  ArtifactName: name,
  Results: [{ Target: name, Vulnerabilities: [{ Severity: 'LOW' }] }],
  ...extra,
});
const sarif = (run: Record<string, unknown>) => ({
  version: '2.1.0',
  runs: [{ tool: { driver: { name: 'gitleaks' } }, results: [], ...run }],
});
const sonar = (extra: Record<string, unknown>) => ({ paging: { total: 0 }, hotspots: [], components: [], ...extra });

describe('tying reports to the release', () => {
  it('commitOfTag reads BUILD-GIT_COMMIT_SHORT and nothing else', () => {
    expect(commitOfTag('412-3f9c2ab')).toBe('3f9c2ab');
    expect(commitOfTag('2.4.0-demo')).toBeUndefined();
    expect(commitOfTag('3f9c2ab')).toBeUndefined();
    expect(normaliseImage('nginx:1')).toBe('docker.io/library/nginx:1');
  });

  it('Trivy: reports covering every deployed image pass, matched by ArtifactName or RepoTags', () => {
    expect(
      trivyGate(
        [
          trivy(artifact.images[0]),
          trivy('registry.local/hwayo-web@sha256:0f', { Metadata: { RepoTags: [artifact.images[1]] } }),
        ],
        artifact,
      ),
    ).toMatchObject({ ok: true, detail: 'Trivy: no HIGH/CRITICAL findings in 2 images' });
  });

  it('Trivy: a clean scan of another image (another tag) is refused', () => {
    expect(() =>
      trivyGate([trivy('registry.local/hwayo-api:411-0000000'), trivy(artifact.images[1])], artifact),
    ).toThrow(/scanned registry.local\/hwayo-api:411-0000000, which this release does not deploy/);
  });

  it('Trivy: an image the release deploys but nobody scanned is refused', () => {
    expect(() => trivyGate(trivy(artifact.images[0]), artifact)).toThrow(
      'no scan of registry.local/hwayo-web:412-3f9c2ab, which this release deploys',
    );
  });

  it('Trivy: the last known good images the emergency path would deploy must be scanned too, and are named', () => {
    const good = ['registry.local/hwayo-api:400-0ld600d', 'registry.local/hwayo-web:400-0ld600d'];
    const withGood = { ...artifact, lastKnownGoodImages: good };
    const release = artifact.images.map((i) => trivy(i));
    expect(() => trivyGate(release, withGood)).toThrow(
      `no scan of ${good.join(', ')}, the last known good images the emergency path would deploy`,
    );
    expect(trivyGate([...release, ...good.map((i) => trivy(i))], withGood)).toMatchObject({ ok: true });
  });

  it('Trivy: a report without ArtifactName proves nothing', () => {
    expect(() => trivyGate({ SchemaVersion: 2, Results: [] }, artifact)).toThrow('names no ArtifactName');
  });

  it('Gitleaks: an empty JSON array is refused; SARIF naming the commit passes', () => {
    expect(() => gitleaksGate([], artifact)).toThrow(EvidenceError);
    expect(() => gitleaksGate([], artifact)).toThrow('proves nothing');
    expect(
      gitleaksGate(
        sarif({ versionControlProvenance: [{ repositoryUri: 'https://git.example/hwayo.git', revisionId: SHA }] }),
        artifact,
      ),
    ).toMatchObject({ ok: true });
  });

  it('Gitleaks: SARIF of another commit, without provenance, or from another tool is refused', () => {
    expect(() =>
      gitleaksGate(sarif({ versionControlProvenance: [{ revisionId: '9d01e77a4c2b8f6e' }] }), artifact),
    ).toThrow('scanned commit 9d01e77a4c2b8f6e, not 3f9c2ab');
    expect(() => gitleaksGate(sarif({}), artifact)).toThrow('no versionControlProvenance');
    expect(() =>
      gitleaksGate(
        {
          runs: [
            { tool: { driver: { name: 'semgrep' } }, results: [], versionControlProvenance: [{ revisionId: SHA }] },
          ],
        },
        artifact,
      ),
    ).toThrow('not a Gitleaks SARIF report');
    expect(() =>
      gitleaksGate(sarif({ versionControlProvenance: [{ revisionId: SHA }] }), { ...artifact, commit: undefined }),
    ).toThrow('image tag names no commit');
  });

  it('Gitleaks: SARIF findings block whatever the metadata, without repeating the secret', () => {
    const r = gitleaksGate(
      sarif({
        results: [
          {
            ruleId: 'aws-access-token',
            message: { text: 'AKIAQ3EXAMPLE7LEAKED1' },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: 'src/config/storage.ts' },
                  region: { startLine: 14, snippet: { text: 'AKIAQ3EXAMPLE7LEAKED1' } },
                },
              },
            ],
            partialFingerprints: { commitSha: '9d01e77a4c2b8f6e' },
          },
        ],
      }),
      artifact,
    );
    expect(r).toMatchObject({
      ok: false,
      count: 1,
      detail: expect.stringContaining('aws-access-token in src/config/storage.ts:14 (commit 9d01e77a)'),
    });
    expect(r.detail).not.toContain('AKIA');
  });

  it('npm audit: a clean report must show the audited tree (auditReportVersion, dependency count)', () => {
    expect(() => npmAuditGate({ metadata: { vulnerabilities: { high: 0, critical: 0 } } })).toThrow(
      'shows no audited project',
    );
    expect(() =>
      npmAuditGate({
        auditReportVersion: 2,
        vulnerabilities: {},
        metadata: { vulnerabilities: { high: 0 }, dependencies: { total: 0 } },
      }),
    ).toThrow('shows no audited project');
    expect(
      npmAuditGate({
        auditReportVersion: 2,
        vulnerabilities: {},
        metadata: { vulnerabilities: { high: 0, critical: 0 }, dependencies: { total: 600 } },
      }),
    ).toMatchObject({ ok: true, detail: 'npm audit: no high or critical vulnerabilities in 600 dependencies' });
  });

  it("SonarQube: an empty hotspots list counts only with the release's projectKey and revision", () => {
    expect(() => sonarHotspotsGate({ hotspots: [] }, artifact)).toThrow('names no projectKey and revision');
    expect(() => sonarHotspotsGate(sonar({ projectKey: 'other', revision: SHA }), artifact)).toThrow(
      'analyses SonarQube project other, not hwayo',
    );
    expect(() => sonarHotspotsGate(sonar({ projectKey: 'hwayo', revision: '9d01e77a4c2b' }), artifact)).toThrow(
      'analysed revision 9d01e77a4c2b, not 3f9c2ab',
    );
    expect(() =>
      sonarHotspotsGate(
        sonar({
          projectKey: 'hwayo',
          revision: SHA,
          hotspots: [{ project: 'other', status: 'REVIEWED', resolution: 'SAFE' }],
        }),
        artifact,
      ),
    ).toThrow('lists hotspots of project other');
    expect(sonarHotspotsGate(sonar({ projectKey: 'hwayo', revision: SHA }), artifact)).toMatchObject({ ok: true });
  });
});

describe('where reports may be read from', () => {
  const base = mkdtempSync(join(tmpdir(), 'evidence-root-'));
  const root = join(base, 'root');
  mkdirSync(join(root, 'ci'), { recursive: true });
  writeFileSync(join(root, 'ci', 'trivy.json'), '{}');
  writeFileSync(join(base, 'outside.json'), '{}');
  symlinkSync(join(base, 'outside.json'), join(root, 'escape.json'));
  symlinkSync(join(root, 'ci', 'trivy.json'), join(root, 'inside-link.json'));
  const config: EvidenceConfig = { root, bucket: 'hwayo-release-artifacts', prefix: 'evidence' };
  const release = { app: 'hwayo', version: '2.4.0' };
  const problem = async (ref: string, cfg = config) => {
    const where = await locateEvidence(ref, cfg, release);
    return 'problem' in where ? where.problem : undefined;
  };

  it('relative paths are below the root; absolute paths inside the root and links within it are accepted', async () => {
    expect(await locateEvidence('ci/trivy.json', config, release)).toEqual({ file: join(root, 'ci', 'trivy.json') });
    expect(await locateEvidence(join(root, 'ci', 'trivy.json'), config, release)).toEqual({
      file: join(root, 'ci', 'trivy.json'),
    });
    expect(await locateEvidence('inside-link.json', config, release)).toEqual({ file: join(root, 'ci', 'trivy.json') });
  });

  it('".." is refused, even when it would land inside the root', async () => {
    expect(await problem('../outside.json')).toBe('../outside.json: ".." is not allowed in an evidence path');
    expect(await problem('ci/../ci/trivy.json')).toMatch(/"\.\." is not allowed/);
  });

  it('an absolute path outside the root is refused', async () => {
    expect(await problem(join(base, 'outside.json'))).toBe(
      `${join(base, 'outside.json')} is outside the evidence root ${root}`,
    );
    expect(await problem('/etc/passwd')).toMatch(/outside the evidence root/);
  });

  it('a symbolic link leading outside the root is refused', async () => {
    expect(await problem('escape.json')).toBe(`escape.json leads outside the evidence root ${root} (symbolic link)`);
  });

  it('without HWAYO_EVIDENCE_ROOT no local path is read at all', async () => {
    expect(await problem('ci/trivy.json', { ...config, root: undefined })).toMatch(/HWAYO_EVIDENCE_ROOT is not set/);
  });

  it('s3:// refs must be in the evidence bucket under evidence/<app>/<version>/', async () => {
    expect(
      await locateEvidence('s3://hwayo-release-artifacts/evidence/hwayo/2.4.0/trivy.json', config, release),
    ).toEqual({ bucket: 'hwayo-release-artifacts', key: 'evidence/hwayo/2.4.0/trivy.json' });
    expect(await problem('s3://hwayo-release-artifacts/evidence/hwayo/2.3.9/trivy.json')).toMatch(
      /outside this version's evidence prefix s3:\/\/hwayo-release-artifacts\/evidence\/hwayo\/2.4.0\//,
    );
    expect(await problem('s3://someone-elses/evidence/hwayo/2.4.0/trivy.json')).toMatch(
      /outside this version's evidence prefix/,
    );
    expect(await problem('s3://hwayo-release-artifacts/evidence/hwayo/2.4.0/../2.3.9/trivy.json')).toMatch(
      /outside this version's evidence prefix/,
    );
    expect(
      await problem('s3://hwayo-release-artifacts/evidence/hwayo/2.4.0/t.json', { ...config, bucket: undefined }),
    ).toMatch(/HWAYO_EVIDENCE_BUCKET is not set/);
  });
});

describe("the worker's evidence settings", () => {
  const dir = mkdtempSync(join(tmpdir(), 'evidence-config-'));
  writeFileSync(join(dir, 'kubeconfig'), 'apiVersion: v1\nkind: Config\n');
  const env = { KUBECONFIG: join(dir, 'kubeconfig'), HWAYO_CODEC: 'off' };

  it('HWAYO_EVIDENCE_ROOT must be a directory; it is made absolute; the bucket must be a bucket name', () => {
    expect(() =>
      loadWorkerConfig([], { ...env, HWAYO_EVIDENCE_ROOT: join(dir, 'kubeconfig'), HWAYO_EVIDENCE_BUCKET: 's3://x' }),
    ).toThrow(
      /HWAYO_EVIDENCE_ROOT: must be an existing, readable directory\n.*HWAYO_EVIDENCE_BUCKET: must be an S3 bucket name/,
    );
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(
        loadWorkerConfig([], { ...env, HWAYO_EVIDENCE_ROOT: '.', HWAYO_EVIDENCE_BUCKET: 'hwayo-release-artifacts' })
          .activities.evidence,
      ).toEqual({ root: process.cwd(), bucket: 'hwayo-release-artifacts', prefix: 'evidence' });
    } finally {
      process.chdir(cwd);
    }
  });
});
