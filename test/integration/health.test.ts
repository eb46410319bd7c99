// runCheck and checkServiceHealth against the running stack: each preflight kind passes on the seeded
// stack and fails, with a sentence a person can act on, when the thing it checks is broken.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { parse as parseYaml } from 'yaml';
import { awsClients } from '../../src/activities/aws/clients';
import { createHealthActivities } from '../../src/activities/health';
import { createPreflightActivities } from '../../src/activities/preflight';
import { configBackupKey } from '../../src/activities/preflight/config-backup';
import { judgeBackupSnapshot } from '../../src/activities/preflight/rds-snapshot';
import type { CheckResult, RunCheckInput } from '../../src/activities/contract';
import type { ActivityConfig } from '../../src/activities/config';
import type { PreflightCheck } from '../../src/plan/types';
import { defaultPlan } from '../../src/plan/load';
import { eventually, postJson, runActivity } from './activity-env';
import { stackConfig, stackVar } from './stack';

// health.ts reaches kubernetes/  (ESM-only client) for the kubernetes-nodes kind; Jest loads it natively.
jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('./native-esm')>('./native-esm').kubernetesClient(),
);
jest.setTimeout(60_000);

const config = stackConfig();
const plan = defaultPlan();
const context = { blueNamespace: plan.environments.blue, greenNamespace: plan.environments.green };
const sinks = stackVar('SINKS_URL');
const green = stackVar('METRICS_APP_GREEN_URL');

async function check(
  c: PreflightCheck,
  cfg: ActivityConfig = config,
  extra: Partial<RunCheckInput> = {},
): Promise<CheckResult> {
  return (await runActivity(createPreflightActivities(cfg).runCheck, { check: c, context, ...extra })).result;
}
const named = <K extends PreflightCheck['kind']>(kind: K) =>
  plan.preflight.checks.find((c) => c.kind === kind) as Extract<PreflightCheck, { kind: K }>;

afterAll(async () => {
  await postJson(`${sinks}/control/reset`, {});
  await postJson(`${green}/control/reset`, {});
});

describe('data stores', () => {
  it('PostgreSQL SELECT 1 passes, and fails on a refused connection or bad credentials', async () => {
    const ok = await check(named('postgres'));
    expect(ok).toMatchObject({ ok: true, detail: expect.stringContaining('127.0.0.1:15432') });
    expect(ok.data?.latencyMs).toEqual(expect.any(Number));

    const down = await check(named('postgres'), {
      ...config,
      postgres: { connectionString: 'postgres://hwayo:hwayo-local@127.0.0.1:19998/hwayo' },
    });
    expect(down).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/127\.0\.0\.1:19998 is not accepting connections: .*ECONNREFUSED/),
    });

    const badPassword = await check(named('postgres'), {
      ...config,
      postgres: { connectionString: 'postgres://hwayo:wrong-password@127.0.0.1:15432/hwayo' },
    });
    expect(badPassword.ok).toBe(false);
    expect(badPassword.detail).toContain('password authentication failed');
    expect(badPassword.detail).not.toContain('wrong-password');
  });

  it('Redis PING passes, and fails when nothing listens', async () => {
    expect(await check(named('redis'))).toMatchObject({ ok: true, detail: expect.stringContaining('PONG') });
    const down = await check(named('redis'), { ...config, redis: { url: 'redis://127.0.0.1:19997' } });
    expect(down).toMatchObject({ ok: false, detail: expect.stringContaining('127.0.0.1:19997 did not answer PING') });
  });

  it('a worker without the data store configured fails the check, naming the variable', async () => {
    expect(await check(named('redis'), { ...config, redis: {} })).toMatchObject({
      ok: false,
      detail: expect.stringContaining('REDIS_URL'),
    });
  });
});

describe('AWS (moto)', () => {
  it('lists the assets bucket, and fails for a bucket that does not exist', async () => {
    const ok = await check(named('s3-bucket'));
    expect(ok).toMatchObject({ ok: true, detail: expect.stringContaining('s3://hwayo-prod-assets is readable') });
    expect(ok.data?.objects).toBeGreaterThanOrEqual(1);
    const missing = await check({ ...named('s3-bucket'), bucket: 'hwayo-no-such-bucket' });
    expect(missing).toMatchObject({ ok: false, detail: expect.stringContaining('NoSuchBucket') });
  });

  it('finds the WAF web ACL by name with its rules, and fails for an unknown one', async () => {
    expect(await check(named('waf'))).toMatchObject({
      ok: true,
      data: { rules: 2 },
      detail: expect.stringContaining('aws-common, rate-limit'),
    });
    expect(await check({ ...named('waf'), webAclName: 'hwayo-missing-waf' })).toMatchObject({
      ok: false,
      detail: expect.stringContaining('not found'),
    });
    expect(await check({ ...named('waf'), webAclId: '00000000-0000-0000-0000-000000000000' })).toMatchObject({
      ok: false,
      detail: expect.stringContaining('not found'),
    });
  });

  it('passes on groups open only on 80/443 and names the group that opens SSH', async () => {
    expect(await check(named('security-groups'))).toMatchObject({ ok: true, data: { groups: 2 } });

    const ec2 = new EC2Client({
      region: config.aws.region,
      endpoint: config.aws.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const tagValue = `sg-test-${Date.now()}`;
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: tagValue,
        Description: 'opens ssh',
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'app', Value: tagValue }] }],
      }),
    );
    try {
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
            { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
          ],
        }),
      );
      const bad = await check({ ...named('security-groups'), tag: { key: 'app', value: tagValue } });
      expect(bad).toMatchObject({
        ok: false,
        detail: expect.stringContaining(`${tagValue} (${GroupId}) opens tcp/22`),
      });
      expect(bad.detail).not.toContain('tcp/443');
      expect(await check({ ...named('security-groups'), tag: { key: 'app', value: 'nobody' } })).toMatchObject({
        ok: false,
        detail: expect.stringContaining('no security groups'),
      });
    } finally {
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId }));
    }
  });

  describe('backup readiness (SEED 9 "Before"): rds-snapshot', () => {
    const backup = () => named('rds-snapshot');
    const rds = new RDSClient({
      region: config.aws.region,
      endpoint: config.aws.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });

    it('passes on the seeded snapshot: available, encrypted, just taken', async () => {
      expect(await check(backup())).toMatchObject({
        ok: true,
        detail: expect.stringContaining('backup snapshot hwayo-prod-db-backup-latest available, encrypted'),
        data: { status: 'available', encrypted: true },
      });
    });

    it('fails on a missing snapshot', async () => {
      expect(await check({ ...backup(), snapshot: 'hwayo-no-such-snapshot' })).toMatchObject({
        ok: false,
        detail: 'backup snapshot hwayo-no-such-snapshot does not exist: take a snapshot before releasing',
      });
    });

    it('fails on a snapshot of an unencrypted instance', async () => {
      const id = `hwayo-plain-${Date.now()}`;
      await rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: id,
          Engine: 'postgres',
          DBInstanceClass: 'db.t3.micro',
          AllocatedStorage: 20,
          MasterUsername: 'hwayo',
          MasterUserPassword: 'hwayo-local-only',
        }),
      );
      try {
        await rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: `${id}-snap`, DBInstanceIdentifier: id }));
        expect(await check({ ...backup(), snapshot: `${id}-snap` })).toMatchObject({
          ok: false,
          detail: expect.stringContaining('is not encrypted'),
          data: { encrypted: false },
        });
      } finally {
        await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: `${id}-snap` })).catch(() => undefined);
        await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true }));
      }
    });

    it("judges the seeded snapshot, 25 h after it was taken, older than the plan's 24 h", async () => {
      const { DBSnapshots } = await rds.send(
        new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: backup().snapshot }),
      );
      const later = new Date(DBSnapshots![0].SnapshotCreateTime!).getTime() + 25 * 3_600_000;
      expect(judgeBackupSnapshot(backup(), DBSnapshots![0], later)).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/is 25 h old .*older than the 24 h allowed/),
      });
    });
  });

  describe('backup readiness (SEED 9 "Before"): config-backup of blue', () => {
    // The worker's own S3 client (what the check wrote with), reading the object back.
    const s3 = awsClients(config).s3();
    const release = { app: 'hwayo', version: `9.9.${Date.now()}` };

    it("backs up every object of blue to the plan's bucket, encrypted, and names where", async () => {
      const c = named('config-backup');
      const r = await check(c, config, { context: { ...context, ...release } });
      const key = configBackupKey('hwayo', release.version, context.blueNamespace);
      expect(r).toMatchObject({
        ok: true,
        detail: expect.stringMatching(
          new RegExp(
            `^config of blue ${context.blueNamespace} backed up before the release: \\d+ objects, s3://${c.bucket}/${key}$`,
          ),
        ),
      });
      const obj = await s3.send(new GetObjectCommand({ Bucket: c.bucket, Key: key }));
      expect(obj.ServerSideEncryption).toBe('AES256');
      const list = parseYaml(await obj.Body!.transformToString()) as {
        items: { kind: string; metadata: { name: string } }[];
      };
      // Blue's seeded Deployments are in it, as the apiserver has them.
      const deployments = list.items.filter((i) => i.kind === 'Deployment').map((i) => i.metadata.name);
      expect(deployments.length).toBeGreaterThan(0);
      expect(r.data).toMatchObject({ objects: list.items.length });
    });

    it('fails, naming it, when blue does not exist or the bucket is missing', async () => {
      const c = named('config-backup');
      const gone = await check(c, config, { context: { ...context, blueNamespace: 'hwayo-no-such-blue', ...release } });
      expect(gone).toMatchObject({
        ok: false,
        detail: expect.stringContaining('config backup of blue hwayo-no-such-blue'),
      });
      const bucket = await check({ ...c, bucket: 'hwayo-no-such-bucket' }, config, {
        context: { ...context, ...release },
      });
      expect(bucket).toMatchObject({
        ok: false,
        detail: expect.stringContaining('backup bucket hwayo-no-such-bucket does not exist'),
      });
    });
  });

  it('throws a retryable failure when the AWS API is down (not a failed check)', async () => {
    const down = { ...config, aws: { ...config.aws, endpoint: 'http://127.0.0.1:19996' } };
    await expect(check(named('s3-bucket'), down)).rejects.toMatchObject({ type: 'Unavailable', nonRetryable: false });
  });
});

describe('TLS certificates (local CA)', () => {
  const tls = (portVar: string, minValidDays = 14) =>
    check({
      name: 'tls',
      group: 'security',
      kind: 'tls-certificate',
      host: 'localhost',
      port: Number(stackVar(portVar)),
      minValidDays,
    });

  it('accepts a valid certificate and reports its expiry', async () => {
    const ok = await tls('TLS_VALID_PORT');
    expect(ok).toMatchObject({
      ok: true,
      data: { subject: 'localhost', issuer: 'hwayo-release local test CA', protocol: 'TLSv1.3' },
    });
    expect(ok.data?.daysLeft).toBeGreaterThan(300);
  });
  it.each([
    ['TLS_EXPIRED_PORT', /expired on .*: renew it/],
    ['TLS_NOT_YET_VALID_PORT', /is not valid until/],
    ['TLS_WRONG_HOST_PORT', /does not cover localhost \(it names DNS:wrong-host\.hwayo\.invalid\)/],
    ['TLS_EXPIRING_SOON_PORT', /expires in [45] days .*fewer than the 14 required/],
    ['TLS_TLS12_ONLY_PORT', /negotiated TLSv1\.2, not TLSv1\.3 .*enable TLS 1\.3/],
  ])('%s fails with its own reason', async (portVar, reason) => {
    expect(await tls(portVar)).toMatchObject({ ok: false, detail: expect.stringMatching(reason) });
  });
  it('an untrusted chain fails when the worker lacks the CA', async () => {
    const r = (
      await runActivity(createPreflightActivities({ ...config, tlsCaFile: undefined }).runCheck, {
        check: {
          name: 'tls',
          group: 'security',
          kind: 'tls-certificate',
          host: 'localhost',
          port: Number(stackVar('TLS_VALID_PORT')),
          minValidDays: 14,
        },
        context,
      })
    ).result;
    expect(r).toMatchObject({ ok: false, detail: expect.stringContaining('not trusted') });
  });
  it('nothing listening is a failed check', async () => {
    expect(
      await check({
        name: 'tls',
        group: 'security',
        kind: 'tls-certificate',
        host: '127.0.0.1',
        port: 19995,
        minValidDays: 14,
      }),
    ).toMatchObject({ ok: false, detail: expect.stringContaining('ECONNREFUSED') });
  });
  it('the CA file exists', () => {
    expect(readFileSync(config.tlsCaFile ?? '', 'utf8')).toContain('BEGIN CERTIFICATE');
  });
});

describe('monitoring', () => {
  const monitoring: PreflightCheck = {
    name: 'monitoring-health',
    group: 'monitoring',
    kind: 'http',
    url: stackVar('MONITORING_HEALTH_URL'),
  };
  const es: PreflightCheck = {
    name: 'log-cluster-green',
    group: 'monitoring',
    kind: 'elasticsearch',
    url: stackVar('ELASTICSEARCH_URL'),
  };

  it('monitoring /health: 200 passes, 503 fails, nothing listening fails', async () => {
    expect(await check(monitoring)).toMatchObject({ ok: true, data: { status: 200 } });
    await postJson(`${sinks}/control`, { monitoringStatus: 503 });
    expect(await check(monitoring)).toMatchObject({
      ok: false,
      detail: expect.stringContaining('HTTP 503, expected 200'),
    });
    await postJson(`${sinks}/control/reset`, {});
    expect(await check({ ...monitoring, url: 'http://127.0.0.1:19994/health' })).toMatchObject({
      ok: false,
      data: { reachable: false },
    });
  });

  it('Elasticsearch: green passes, yellow fails', async () => {
    expect(await check(es)).toMatchObject({ ok: true, detail: 'Elasticsearch hwayo-logs is green' });
    await postJson(`${sinks}/control`, { elasticsearchStatus: 'yellow' });
    expect(await check(es)).toMatchObject({ ok: false, detail: expect.stringContaining('is yellow, expected green') });
    await postJson(`${sinks}/control/reset`, {});
  });

  it('Prometheus targets: all up passes; a frozen app is named as down', async () => {
    // The two services' job (the stack also scrapes Traefik and the data plane's pods).
    const apps = { ...named('prometheus-targets'), jobs: ['hwayo-apps'] };
    expect(await check(apps)).toMatchObject({ ok: true, data: { targets: 2, down: 0 } });
    const pid = Number(
      readFileSync(
        join(process.env.HWAYO_STACK_DIR ?? join(__dirname, '..', '..', '.stack'), 'pids', 'metrics-app-green.pid'),
        'utf8',
      ),
    );
    // Freeze green (blue's availability must stay 100% for the Prometheus tests): its scrapes time out, as for a hung
    // service.
    process.kill(pid, 'SIGSTOP');
    try {
      const failed = await eventually('green target down', 30_000, async () => {
        const r = await check(apps);
        return r.ok ? undefined : r;
      });
      expect(failed.detail).toMatch(
        /1 of 2 targets of job hwayo-apps down: hwayo-apps\/127\.0\.0\.1:19100 \(hwayo-production-green\)/,
      );
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await eventually('green target up again', 30_000, async () => ((await check(apps)).ok ? true : undefined));
  });
});

describe('checkServiceHealth', () => {
  const template = stackVar('HWAYO_HEALTH_URL_TEMPLATE');
  const run = (namespace: string, includeDataStores: boolean, healthUrlTemplate = template) =>
    runActivity(createHealthActivities(config).checkServiceHealth, {
      namespace,
      services: plan.services,
      healthUrlTemplate,
      includeDataStores,
    }).then((r) => r.result);

  it('checks every service of both sides, plus the data stores', async () => {
    for (const ns of [plan.environments.blue, plan.environments.green]) {
      const r = await run(ns, true);
      expect(r.healthy).toBe(true);
      expect(r.checks.map((c) => c.name)).toEqual([
        ...plan.services.map((s) => `${s.name}-health`),
        'database-select-1',
        'redis-ping',
      ]);
    }
  });

  it('a failing health path of green makes green unhealthy and leaves blue healthy', async () => {
    await postJson(`${green}/control`, { health: { 'api-gateway': 503 } });
    const g = await run(plan.environments.green, false);
    expect(g.healthy).toBe(false);
    expect(g.checks.filter((c) => !c.ok)).toEqual([
      expect.objectContaining({
        name: 'api-gateway-health',
        detail: expect.stringContaining('api-gateway in hwayo-production-green (/api/v1/health) answered HTTP 503'),
      }),
    ]);
    expect((await run(plan.environments.blue, false)).healthy).toBe(true);
    await postJson(`${green}/control/reset`, {});
    expect((await run(plan.environments.green, false)).healthy).toBe(true);
  });

  it('an unreachable side is unhealthy, not an exception', async () => {
    const r = await run(plan.environments.green, false, 'http://127.0.0.1:19993{{path}}');
    expect(r.healthy).toBe(false);
    expect(r.checks.every((c) => !c.ok && c.detail.includes('ECONNREFUSED'))).toBe(true);
  });
});
