// The security-evidence preflight gate (SEED 8.1) reading CI reports from disk and from S3 (moto):
// clean reports pass; HIGH/CRITICAL findings, leaks, open hotspots, and missing or broken reports fail.
// Reports count only when tied to the release (the images read from the stack's blue deployments on
// the release's tag, the tag's commit, the app) and read from the evidence root or the version's prefix.
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { CheckResult, EvidenceRefs } from '../../src/activities/contract';
import type { ActivityConfig } from '../../src/activities/config';
import { createPreflightActivities } from '../../src/activities/preflight';
import { runActivity } from './activity-env';
import { stackConfig } from './stack';

// health.ts reaches kubernetes/  (ESM-only client); Jest loads it natively.
jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('./native-esm')>('./native-esm').kubernetesClient(),
);
jest.setTimeout(30_000);

const dir = join(__dirname, '..', 'fixtures', 'evidence');
const bucket = 'hwayo-release-artifacts';
// The worker of the demo: reports below the fixtures directory, or in the artifacts bucket.
const config: ActivityConfig = { ...stackConfig(), evidence: { root: dir, bucket, prefix: 'evidence' } };
const file = (name: string) => join(dir, name);
// Relative to the evidence root, as `start` hands them over.
const clean: EvidenceRefs = {
  trivy: 'trivy-clean.json',
  gitleaks: 'gitleaks-clean.json',
  npmAudit: 'npm-audit-clean.json',
  sonarqubeHotspots: 'sonarqube-hotspots-clean.json',
};
// The fixtures' release: the stack's six services on tag 412-3f9c2ab (commit 3f9c2ab...), app hwayo, and
// blue's 1.0.0 as the last known good tag (trivy-clean.json scans both).
const SERVICES = [
  'web-app',
  'api-gateway',
  'auth-service',
  'workflow-engine',
  'notification-service',
  'report-generator',
];
const RELEASE = {
  app: 'hwayo',
  version: '2.4.0',
  imageTag: '412-3f9c2ab',
  lastKnownGoodTag: '1.0.0',
  services: SERVICES,
};
const gate = async (
  evidence: EvidenceRefs | undefined,
  cfg: ActivityConfig = config,
  release: Partial<typeof RELEASE> = {},
): Promise<CheckResult> =>
  (
    await runActivity(createPreflightActivities(cfg).runCheck, {
      check: { name: 'security-evidence', group: 'security', kind: 'security-evidence' },
      context: { blueNamespace: 'hwayo-production', greenNamespace: 'hwayo-production-green', ...RELEASE, ...release },
      evidence,
    })
  ).result;

describe('security evidence from local reports', () => {
  it('passes when every report is clean (low/medium findings and reviewed-safe hotspots allowed)', async () => {
    const r = await gate(clean);
    expect(r.ok).toBe(true);
    expect(r.data).toMatchObject({
      trivyOk: true,
      gitleaksOk: true,
      npmAuditOk: true,
      sonarqubeHotspotsOk: true,
      trivyFindings: 0,
    });
  });

  it('Trivy HIGH/CRITICAL blocks, naming the CVEs', async () => {
    const r = await gate({ ...clean, trivy: 'trivy-high.json' });
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(
      /^Trivy: 2 HIGH\/CRITICAL finding\(s\) in .*hwayo-api-gateway:413-9d01e77: CVE-2024-2511 HIGH in libssl3@3.1.4-r2, CVE-2024-29041 CRITICAL in express@4.18.2$/,
    );
    expect(r.data).toMatchObject({ trivyOk: false, trivyFindings: 2, gitleaksOk: true });
  });

  it('a Gitleaks finding blocks, without repeating the secret', async () => {
    const r = await gate({ ...clean, gitleaks: 'gitleaks-leak.json' });
    expect(r).toMatchObject({
      ok: false,
      detail: expect.stringContaining('aws-access-token in src/config/storage.ts:14 (commit 9d01e77a)'),
    });
    const secret = (JSON.parse(readFileSync(file('gitleaks-leak.json'), 'utf8')) as { Secret: string }[])[0].Secret;
    expect(JSON.stringify(r)).not.toContain(secret);
  });

  it('npm audit high/critical blocks', async () => {
    const r = await gate({ ...clean, npmAudit: 'npm-audit-high.json' });
    expect(r).toMatchObject({
      ok: false,
      detail: 'npm audit: 1 critical and 1 high vulnerabilities: semver (high), jsonwebtoken (critical)',
    });
  });

  it('an open SonarQube hotspot blocks', async () => {
    const r = await gate({ ...clean, sonarqubeHotspots: 'sonarqube-hotspots-open.json' });
    expect(r).toMatchObject({
      ok: false,
      detail: 'SonarQube: 1 open security hotspot(s): sql-injection in src/api/records.ts:88',
    });
  });

  it('all failing gates are reported together', async () => {
    const r = await gate({
      trivy: 'trivy-high.json',
      gitleaks: 'gitleaks-leak.json',
      npmAudit: 'npm-audit-high.json',
      sonarqubeHotspots: 'sonarqube-hotspots-open.json',
    });
    expect(r.ok).toBe(false);
    expect(r.detail.split('; ').map((s) => s.split(':')[0])).toEqual(['Trivy', 'Gitleaks', 'npm audit', 'SonarQube']);
  });

  it('missing, unreadable, unparsable and mislabelled reports fail with a clear reason', async () => {
    const none = await gate(undefined);
    expect(none.detail).toBe(
      [
        'no Trivy report was handed over (evidence.trivy)',
        'no Gitleaks report was handed over (evidence.gitleaks)',
        'no npm audit report was handed over (evidence.npmAudit)',
        'no SonarQube hotspots report was handed over (evidence.sonarqubeHotspots)',
      ].join('; '),
    );

    const root = mkdtempSync(join(tmpdir(), 'evidence-'));
    writeFileSync(join(root, 'broken.json'), '{"SchemaVersion": 2, "Results": [');
    const inTmp = { ...config, evidence: { ...config.evidence, root } };
    expect(await gate({ ...clean, trivy: 'missing.json' }, inTmp)).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^Trivy report missing\.json cannot be read \(ENOENT\)/),
    });
    expect(await gate({ ...clean, trivy: 'broken.json' }, inTmp)).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^Trivy report broken\.json is not valid JSON/),
    });
    expect(await gate({ ...clean, gitleaks: 'trivy-clean.json' })).toMatchObject({
      ok: false,
      detail: expect.stringContaining('not a Gitleaks SARIF report'),
    });
    expect(await gate({ ...clean, npmAudit: 'https://ci.example/npm-audit.json' })).toMatchObject({
      ok: false,
      detail: expect.stringContaining('only paths below the evidence root and s3:// URIs'),
    });
  });
});

describe('security evidence tied to the release (hole 11)', () => {
  it("a clean scan of another tag does not let this tag through; neither does one image's scan for six", async () => {
    const r = await gate(clean, config, { imageTag: '413-3f9c2ab' });
    expect(r).toMatchObject({ ok: false, data: { trivyOk: false } });
    expect(r.detail).toContain(
      'Trivy report trivy-clean.json: scanned registry.local/hwayo-api-gateway:412-3f9c2ab, registry.local/hwayo-auth-service:412-3f9c2ab',
    );
    expect(r.detail).toContain(
      'which this release does not deploy (it deploys registry.local/hwayo-api-gateway:413-3f9c2ab',
    );
    const root = mkdtempSync(join(tmpdir(), 'evidence-one-'));
    writeFileSync(
      join(root, 'one.json'),
      JSON.stringify((JSON.parse(readFileSync(file('trivy-clean.json'), 'utf8')) as unknown[])[0]),
    );
    const one = await gate({ ...clean, trivy: 'one.json' }, { ...config, evidence: { ...config.evidence, root } });
    expect(one.detail).toMatch(
      /^Trivy report one\.json: no scan of registry\.local\/hwayo-auth-service:412-3f9c2ab, registry\.local\/hwayo-notification-service:412-3f9c2ab, registry\.local\/hwayo-report-generator:412-3f9c2ab, \+2 more, which this release deploys/,
    );
  });

  it('Gitleaks and SonarQube reports of another commit, or an empty Gitleaks array, are refused', async () => {
    const r = await gate(clean, config, { imageTag: '412-9d01e77' });
    expect(r.data).toMatchObject({ gitleaksOk: false, sonarqubeHotspotsOk: false, npmAuditOk: true });
    expect(r.detail).toContain(
      'Gitleaks report gitleaks-clean.json: Gitleaks scanned commit 3f9c2ab8e41d07c5a9b3f6e2d1c0b9a8f7e6d5c4, not 9d01e77 of the image tag',
    );
    expect(r.detail).toContain(
      'SonarQube hotspots report sonarqube-hotspots-clean.json: analysed revision 3f9c2ab8e41d07c5a9b3f6e2d1c0b9a8f7e6d5c4, not 9d01e77 of the image tag',
    );
    const root = mkdtempSync(join(tmpdir(), 'evidence-empty-'));
    writeFileSync(join(root, 'gitleaks.json'), '[]');
    const empty = await gate(
      { ...clean, gitleaks: 'gitleaks.json' },
      { ...config, evidence: { ...config.evidence, root } },
    );
    expect(empty).toMatchObject({
      ok: false,
      detail: expect.stringContaining('an empty Gitleaks JSON array names no commit and proves nothing'),
    });
  });

  it('a SonarQube report of another project is refused', async () => {
    const r = await gate(clean, config, { app: 'billing' });
    expect(r.detail).toContain('analyses SonarQube project hwayo, not billing');
  });

  it('only the evidence root is read: an absolute path elsewhere, "..", or a link out of the root are refused', async () => {
    const base = mkdtempSync(join(tmpdir(), 'evidence-escape-'));
    const root = join(base, 'root');
    mkdirSync(root);
    writeFileSync(join(base, 'trivy.json'), readFileSync(file('trivy-clean.json')));
    symlinkSync(join(base, 'trivy.json'), join(root, 'trivy.json'));
    const cfg = { ...config, evidence: { ...config.evidence, root } };
    // (The other reports are not in this root: their own refusals follow the Trivy one.)
    expect((await gate({ ...clean, trivy: join(base, 'trivy.json') }, cfg)).detail).toMatch(
      new RegExp(`^Trivy report ${join(base, 'trivy.json')} is outside the evidence root ${root};`),
    );
    expect((await gate({ ...clean, trivy: '../trivy.json' }, cfg)).detail).toMatch(
      /^Trivy report \.\.\/trivy\.json: "\.\." is not allowed in an evidence path;/,
    );
    expect((await gate({ ...clean, trivy: 'trivy.json' }, cfg)).detail).toMatch(
      new RegExp(`^Trivy report trivy\\.json leads outside the evidence root ${root} \\(symbolic link\\);`),
    );
    // The starter's own machine paths mean nothing to the worker without a root.
    expect(
      (await gate({ ...clean, trivy: file('trivy-clean.json') }, { ...config, evidence: { prefix: 'evidence' } }))
        .detail,
    ).toMatch(/HWAYO_EVIDENCE_ROOT is not set/);
  });
});

describe('security evidence from S3', () => {
  const s3 = new S3Client({
    region: config.aws.region,
    endpoint: config.aws.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  // The version's prefix, evidence/<app>/<version>/; a fresh version each run.
  const version = `2.4.0-it.${Date.now()}`;
  const prefix = `evidence/hwayo/${version}`;
  const other = `evidence/hwayo/${version}-other`;
  const s3Gate = (refs: EvidenceRefs, cfg: ActivityConfig = config) => gate(refs, cfg, { version });
  const uris = (at: string) =>
    Object.fromEntries(Object.keys(clean).map((k) => [k, `s3://${bucket}/${at}/${k}.json`])) as EvidenceRefs;

  beforeAll(async () => {
    for (const at of [prefix, other]) {
      for (const [name, path] of Object.entries(clean)) {
        await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: `${at}/${name}.json`, Body: readFileSync(file(path as string)) }),
        );
      }
    }
  });

  it("reads s3:// URIs under the version's prefix", async () => {
    const refs = uris(prefix);
    expect(await s3Gate(refs)).toMatchObject({ ok: true });
    const missing = await s3Gate({ ...refs, trivy: `s3://${bucket}/${prefix}/nope.json` });
    expect(missing).toMatchObject({
      ok: false,
      detail: expect.stringContaining(`Trivy report s3://${bucket}/${prefix}/nope.json cannot be read (NoSuchKey`),
    });
  });

  it("refuses reports under another version's prefix or in another bucket, though they exist and are clean", async () => {
    const r = await s3Gate(uris(other));
    expect(r).toMatchObject({
      ok: false,
      data: { trivyOk: false, gitleaksOk: false, npmAuditOk: false, sonarqubeHotspotsOk: false },
    });
    expect(r.detail).toContain(
      `Trivy report s3://${bucket}/${other}/trivy.json is outside this version's evidence prefix s3://${bucket}/${prefix}/`,
    );
    const elsewhere = await s3Gate(uris(prefix), {
      ...config,
      evidence: { ...config.evidence, bucket: 'hwayo-prod-assets' },
    });
    expect(elsewhere.detail).toContain(`is outside this version's evidence prefix s3://hwayo-prod-assets/${prefix}/`);
  });

  it('S3 down is a retryable failure, not a failed gate', async () => {
    const down = { ...config, aws: { ...config.aws, endpoint: 'http://127.0.0.1:19990' } };
    await expect(s3Gate({ ...clean, trivy: `s3://${bucket}/${prefix}/trivy.json` }, down)).rejects.toMatchObject({
      type: 'Unavailable',
      nonRetryable: false,
    });
  });
});
