// The security-evidence preflight gate (SEED 8.1) reading CI reports from disk and from S3 (moto):
// clean reports pass; HIGH/CRITICAL findings, leaks, open hotspots, and missing or broken reports fail.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { CheckResult, EvidenceRefs } from '../../src/activities/contract';
import type { ActivityConfig } from '../../src/activities/config';
import { createHealthActivities } from '../../src/activities/health';
import { runActivity } from './activity-env';
import { stackConfig } from './stack';

// health.ts reaches kubernetes.ts (ESM-only client); Jest loads it natively.
jest.mock('@kubernetes/client-node', () => jest.requireActual<typeof import('./native-esm')>('./native-esm').kubernetesClient());
jest.setTimeout(30_000);

const config = stackConfig();
const dir = join(__dirname, '..', 'fixtures', 'evidence');
const file = (name: string) => join(dir, name);
const clean: EvidenceRefs = {
  trivy: file('trivy-clean.json'),
  gitleaks: file('gitleaks-clean.json'),
  npmAudit: file('npm-audit-clean.json'),
  sonarqubeHotspots: file('sonarqube-hotspots-clean.json'),
};
const gate = async (evidence: EvidenceRefs | undefined, cfg: ActivityConfig = config): Promise<CheckResult> =>
  (await runActivity(createHealthActivities(cfg).runCheck, {
    check: { name: 'security-evidence', group: 'security', kind: 'security-evidence' },
    context: { blueNamespace: 'hwayo-production', greenNamespace: 'hwayo-production-green' },
    evidence,
  })).result;

describe('security evidence from local reports', () => {
  it('passes when every report is clean (low/medium findings and reviewed-safe hotspots allowed)', async () => {
    const r = await gate(clean);
    expect(r.ok).toBe(true);
    expect(r.data).toMatchObject({ trivyOk: true, gitleaksOk: true, npmAuditOk: true, sonarqubeHotspotsOk: true, trivyFindings: 0 });
  });

  it('Trivy HIGH/CRITICAL blocks, naming the CVEs', async () => {
    const r = await gate({ ...clean, trivy: file('trivy-high.json') });
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/^Trivy: 2 HIGH\/CRITICAL finding\(s\) in .*hwayo-api-gateway:413-9d01e77: CVE-2024-2511 HIGH in libssl3@3.1.4-r2, CVE-2024-29041 CRITICAL in express@4.18.2$/);
    expect(r.data).toMatchObject({ trivyOk: false, trivyFindings: 2, gitleaksOk: true });
  });

  it('a Gitleaks finding blocks, without repeating the secret', async () => {
    const r = await gate({ ...clean, gitleaks: file('gitleaks-leak.json') });
    expect(r).toMatchObject({ ok: false, detail: expect.stringContaining('aws-access-token in src/config/storage.ts:14 (commit 9d01e77a)') });
    const secret = (JSON.parse(readFileSync(file('gitleaks-leak.json'), 'utf8')) as { Secret: string }[])[0].Secret;
    expect(JSON.stringify(r)).not.toContain(secret);
  });

  it('npm audit high/critical blocks', async () => {
    const r = await gate({ ...clean, npmAudit: file('npm-audit-high.json') });
    expect(r).toMatchObject({ ok: false, detail: 'npm audit: 1 critical and 1 high vulnerabilities: semver (high), jsonwebtoken (critical)' });
  });

  it('an open SonarQube hotspot blocks', async () => {
    const r = await gate({ ...clean, sonarqubeHotspots: file('sonarqube-hotspots-open.json') });
    expect(r).toMatchObject({ ok: false, detail: 'SonarQube: 1 open security hotspot(s): sql-injection in src/api/records.ts:88' });
  });

  it('all failing gates are reported together', async () => {
    const r = await gate({ trivy: file('trivy-high.json'), gitleaks: file('gitleaks-leak.json'), npmAudit: file('npm-audit-high.json'), sonarqubeHotspots: file('sonarqube-hotspots-open.json') });
    expect(r.ok).toBe(false);
    expect(r.detail.split('; ').map((s) => s.split(':')[0])).toEqual(['Trivy', 'Gitleaks', 'npm audit', 'SonarQube']);
  });

  it('missing, unreadable, unparsable and mislabelled reports fail with a clear reason', async () => {
    const none = await gate(undefined);
    expect(none.detail).toBe([
      'no Trivy report was handed over (evidence.trivy)', 'no Gitleaks report was handed over (evidence.gitleaks)',
      'no npm audit report was handed over (evidence.npmAudit)', 'no SonarQube hotspots report was handed over (evidence.sonarqubeHotspots)',
    ].join('; '));

    const tmp = mkdtempSync(join(tmpdir(), 'evidence-'));
    writeFileSync(join(tmp, 'broken.json'), '{"SchemaVersion": 2, "Results": [');
    expect(await gate({ ...clean, trivy: join(tmp, 'missing.json') })).toMatchObject({ ok: false, detail: expect.stringMatching(/^Trivy report .*missing\.json cannot be read \(ENOENT\)$/) });
    expect(await gate({ ...clean, trivy: join(tmp, 'broken.json') })).toMatchObject({ ok: false, detail: expect.stringMatching(/^Trivy report .*broken\.json is not valid JSON$/) });
    expect(await gate({ ...clean, gitleaks: file('trivy-clean.json') })).toMatchObject({ ok: false, detail: expect.stringContaining('not a Gitleaks JSON report') });
    expect(await gate({ ...clean, npmAudit: 'https://ci.example/npm-audit.json' })).toMatchObject({ ok: false, detail: expect.stringContaining('only local paths and s3:// URIs') });
  });
});

describe('security evidence from S3', () => {
  const s3 = new S3Client({ region: config.aws.region, endpoint: config.aws.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const prefix = `evidence/build-${Date.now()}`;
  const bucket = 'hwayo-release-artifacts';

  beforeAll(async () => {
    for (const [name, path] of Object.entries(clean)) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${name}.json`, Body: readFileSync(path as string) }));
    }
  });

  it('reads s3:// URIs', async () => {
    const refs = Object.fromEntries(Object.keys(clean).map((k) => [k, `s3://${bucket}/${prefix}/${k}.json`])) as EvidenceRefs;
    expect(await gate(refs)).toMatchObject({ ok: true });
    const missing = await gate({ ...refs, trivy: `s3://${bucket}/${prefix}/nope.json` });
    expect(missing).toMatchObject({ ok: false, detail: expect.stringContaining(`Trivy report s3://${bucket}/${prefix}/nope.json cannot be read (NoSuchKey`) });
  });

  it('S3 down is a retryable failure, not a failed gate', async () => {
    const down = { ...config, aws: { ...config.aws, endpoint: 'http://127.0.0.1:19990' } };
    await expect(gate({ ...clean, trivy: `s3://${bucket}/${prefix}/trivy.json` }, down)).rejects.toMatchObject({ type: 'Unavailable', nonRetryable: false });
  });
});
