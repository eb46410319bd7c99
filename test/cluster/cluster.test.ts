// The release on the production topology: two Temporal server nodes on PostgreSQL behind one address
// (scripts/stack/components/temporal-cluster.sh), a real worker with the real activities against the
// local stack, driven by the CLI. One node is killed (SIGKILL) mid-canary and the release completes
// on the other; PostgreSQL restarts during the approval wait and the release continues. Every call
// carries its role's token (the cluster has authorization): CI starts, operators approve and roll
// back, readers ask for status, the worker token runs the release.
// Wherever HWAYO_STACK_DIR says: scripts/test.sh runs it in region b (components/cluster-b.sh: its own PostgreSQL,
// Redis, moto, Prometheus and metrics apps) beside the chaos project; alone, on the stack's region a:
//   bash scripts/stack/up.sh kube prometheus moto postgres redis tls sinks temporal-cluster
//   npx jest test/cluster/cluster.test.ts --selectProjects cluster --forceExit
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultLogger, Runtime, type NativeConnection, type Worker } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { parse as parseYaml, stringify } from 'yaml';
import { run } from '../../src/client/main';
import { RELEASE_WORKFLOW, type ReleaseReport, type ReleaseStatus } from '../../src/workflows/definitions';
import { eventually, withKubeconfig } from '../integration/kube-helpers';
import { stackConfig, stackEnv, stackVar, startFromSeedState } from '../integration/stack';
import { startStackWorker } from '../integration/stack-worker';
import { startArgv } from '../integration/cli-runner';
import { roleEnv, roleMetadata, type Role } from '../integration/stack-tokens';
import { ARCHIVE_BUCKET, archivedHistoryKeys } from './archive';

jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('../integration/native-esm')>('../integration/native-esm').kubernetesClient(),
);
jest.setTimeout(8 * 60_000);

const ROOT = join(__dirname, '..', '..');
const STACK_DIR = process.env.HWAYO_STACK_DIR ?? join(ROOT, '.stack');
const COMPONENTS = join(ROOT, 'scripts', 'stack', 'components');
const taskQueue = `cluster-${randomBytes(4).toString('hex')}`;
const tmp = mkdtempSync(join(tmpdir(), 'hwayo-cluster-'));
const started: string[] = [];

let worker: Worker;
let workerRun: Promise<void>;
let nativeConnection: NativeConnection;
let client: Client;
let planFile: string;
let shortPlanFile: string;
/** A release that ended in this file (the archival test reads it back). */
let closed: { id: string; runId: string } | undefined;

/** The CLI in-process as ROLE, with the stack's environment; throws unless it exits 0. */
async function as(role: Role, ...argv: string[]): Promise<string> {
  let out = '';
  let err = '';
  const code = await run(argv, {
    out: (t) => void (out += `${t}\n`),
    err: (t) => void (err += `${t}\n`),
    env: roleEnv(role),
    isTTY: false,
  });
  if (code !== 0) throw new Error(`hwayo-release ${argv.join(' ')} exited ${code}: ${err}${out}`);
  return out;
}

async function statusOf(id: string): Promise<ReleaseStatus> {
  const r = JSON.parse(await as('reader', 'status', id, '--json')) as {
    status?: ReleaseStatus;
    outcome?: string;
    reason?: string;
  };
  if (!r.status) throw new Error(`${id} finished early: ${r.outcome} (${r.reason})`);
  return r.status;
}

/** Polls through outages: a probe that throws (the cluster failing over) counts as "not yet". */
const until = <T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> =>
  eventually(what, () => probe().catch(() => undefined), timeoutMs);

async function startRelease(version: string, plan = planFile): Promise<string> {
  const out = await as('ci', ...startArgv(plan, version, taskQueue, 'cluster-test'));
  const id = out.trim();
  started.push(id);
  return id;
}

const approve = (id: string, who: string) => as('operator', 'approve', id, '--as', who, '--comment', 'cluster test');

/** Node number -> frontend, history gRPC port and internal frontend, as temporal-cluster.sh wrote them. */
function nodes(): Map<number, { frontend: string; historyPort: number; internal: string }> {
  return new Map(
    stackVar('TEMPORAL_CLUSTER_NODES')
      .split(',')
      .map((e) => {
        const [n, rest] = e.split('=');
        const [frontend, historyPort, internal] = rest.split('/');
        return [Number(n), { frontend, historyPort: Number(historyPort), internal }];
      }),
  );
}

/** The node whose history service owns the workflow's shard, asked through tdbg on a live node (its
 * internal frontend: the admin API, without a token, on loopback). */
function ownerOf(id: string, via: number): { node: number; shardId: number } {
  const out = execFileSync(
    stackVar('TEMPORAL_TDBG'),
    ['--address', nodes().get(via)!.internal, 'workflow', 'describe', '--workflow-id', id],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const addr = /^History service address: (\S+)$/m.exec(out)?.[1];
  const shardId = Number(/^Shard Id: (\d+)$/m.exec(out)?.[1]);
  if (!addr) throw new Error(`tdbg workflow describe ${id}: no historyAddr in ${out.slice(0, 500)}`);
  const port = Number(addr.split(':').pop());
  const node = [...nodes()].find(([, n]) => n.historyPort === port)?.[0];
  if (!node) throw new Error(`history address ${addr} is neither node's`);
  return { node, shardId };
}

const nodePid = (n: number) => Number(readFileSync(join(STACK_DIR, 'pids', `temporal-node-${n}.pid`), 'utf8').trim());
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const stack = (component: string, action: string) =>
  execFileSync('bash', [join(COMPONENTS, `${component}.sh`), action], {
    env: process.env,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 240_000,
  });

beforeAll(async () => {
  stackEnv();
  // TEMPORAL_ADDRESS must be the cluster's balancer, not the dev server: otherwise this tests nothing.
  expect(stackVar('TEMPORAL_ADDRESS')).toBe(stackVar('TEMPORAL_CLUSTER_ADDRESS'));
  const workerKubeconfig = join(tmp, 'worker.kubeconfig');
  execFileSync('bash', [join(ROOT, 'scripts', 'worker-kubeconfig.sh'), workerKubeconfig], {
    env: process.env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const config = {
    ...withKubeconfig(stackConfig(), workerKubeconfig),
    evidence: { root: join(ROOT, 'test', 'fixtures', 'evidence'), prefix: 'evidence' },
  };
  await startFromSeedState('hwayo', 'cluster tests start from the seed state');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  // The local plan (unsigned approvals) with a first canary step long enough to lose a node in it.
  const local = parseYaml(readFileSync(join(ROOT, 'examples', 'local-metrics-app-plan.yaml'), 'utf8')) as Record<
    string,
    object
  >;
  const writePlan = async (name: string, firstStep: string) => {
    const steps = [
      { weight: 5, watch: firstStep },
      { weight: 25, watch: '4s' },
      { weight: 50, watch: '4s' },
    ];
    const file = join(tmp, `${name}.yaml`);
    writeFileSync(
      file,
      stringify({
        ...local,
        // The metrics app of this stack directory (region b's own under cluster-b.sh), not a fixed port.
        healthUrlTemplate: `${stackVar('METRICS_APP_GREEN_URL')}/ns/{{namespace}}/{{service}}{{path}}`,
        canary: { ...local.canary, steps, analysisInterval: '2s' },
        fullSwitch: { ...local.fullSwitch, watch: '3s' },
        retention: { ...local.retention, blueKeep: '10m' },
      }),
    );
    await as('reader', 'plan', 'validate', file);
    return file;
  };
  planFile = await writePlan('plan', '20s');
  // The PostgreSQL restart happens before approval: no long step needed after it.
  shortPlanFile = await writePlan('short-plan', '4s');

  ({ worker, running: workerRun, connection: nativeConnection } = await startStackWorker(taskQueue, config));
  client = new Client({
    connection: await Connection.connect({ address: stackVar('TEMPORAL_ADDRESS'), metadata: roleMetadata('admin') }),
    namespace: 'default',
  });
}, 180_000);

afterAll(async () => {
  for (const id of started) {
    const h = client?.workflow.getHandle(id);
    if (h && (await h.describe().catch(() => undefined))?.status.name === 'RUNNING') {
      await as(
        'operator',
        'rollback',
        id,
        '--reason',
        'other: cluster test cleanup',
        '--yes',
        '--by',
        'cluster-test',
      ).catch(() => undefined);
      await Promise.race([h.result().catch(() => undefined), new Promise((r) => setTimeout(r, 60_000))]);
      await h.terminate('cluster test cleanup').catch(() => undefined);
    }
  }
  worker?.shutdown();
  await workerRun?.catch(() => undefined);
  await nativeConnection?.close();
  await client?.connection.close();
  // Both nodes and PostgreSQL up again for whatever runs next (start is idempotent).
  stack('temporal-cluster', 'start');
  rmSync(tmp, { recursive: true, force: true });
}, 300_000);

test('the cluster runs the shared server configuration: PostgreSQL persistence and visibility, NUM_HISTORY_SHARDS shards', async () => {
  const shared = readFileSync(join(ROOT, 'deploy', 'temporal', 'server.env'), 'utf8');
  const shards = Number(/^NUM_HISTORY_SHARDS=(\d+)$/m.exec(shared)![1]);
  for (const [, n] of nodes()) {
    const info = JSON.parse(
      execFileSync(
        stackVar('TEMPORAL_CLI'),
        ['operator', 'cluster', 'describe', '--address', n.internal, '-o', 'json'],
        { encoding: 'utf8' },
      ),
    ) as { historyShardCount: number; persistenceStore: string; visibilityStore: string; serverVersion: string };
    expect(info).toMatchObject({
      historyShardCount: shards,
      persistenceStore: 'postgres12',
      visibilityStore: 'postgres12',
      serverVersion: '1.32.2',
    });
  }
});

test('a release survives losing the server node that owns it: SIGKILL mid-canary, completes on the other node', async () => {
  const version = `3.1.0-cluster.${randomBytes(3).toString('hex')}`;
  const id = await startRelease(version);
  await until('awaiting approval', async () => (await statusOf(id)).stage === 'awaiting-approval');
  for (const who of ['alice', 'bob', 'carol']) await approve(id, who);
  await until('canary at 5%', async () => (await statusOf(id)).greenWeight === 5);

  const before = ownerOf(id, 1);
  const survivor = before.node === 1 ? 2 : 1;
  const pid = nodePid(before.node);
  process.kill(pid, 'SIGKILL');
  await until(`node ${before.node} (pid ${pid}) gone`, async () => !alive(pid), 10_000);
  const killedAt = Date.now();

  // Its shard moves to the survivor (membership notices the dead node), and the release goes on.
  const after = await until('the shard owned by the other node', async () => {
    const o = ownerOf(id, survivor);
    return o.node === survivor && o;
  });
  expect(after.shardId).toBe(before.shardId);
  const done = await until(
    'the release in retention after the full switch',
    async () => {
      const s = await statusOf(id);
      return s.stage === 'retention' && s;
    },
    240_000,
  );
  expect(done).toMatchObject({ outcome: 'succeeded', greenWeight: 100 });
  console.log(
    `cluster: node ${before.node} killed mid-canary; shard ${before.shardId} moved to node ${survivor}; retention reached ${Math.round((Date.now() - killedAt) / 1000)} s later`,
  );

  // Back to the seed state: rollback within the retention window (the subject here is the canary, so
  // a rollback that needed the emergency procedure on this loaded machine is accepted). Every step passed.
  await as('operator', 'rollback', id, '--reason', 'other: cluster test', '--yes', '--by', 'cluster-test');
  const { outcome } = (await client.workflow.getHandle(id).result()) as { outcome: string };
  expect(outcome).toMatch(/^(rolled-back-after-success|emergency-recovered)$/);
  const report = JSON.parse(await as('reader', 'report', id, '--json')) as ReleaseReport;
  // The emergency path runs when verifying blue after the rollback fails (stages/rollback.ts
  // verifyBlue: one readiness wait and one health check, data stores included, no retry): say which
  // check failed, so the cause of each such run is on record.
  if (outcome === 'emergency-recovered')
    console.log(
      `cluster: rollback after success went through the emergency path: ${report.timeline
        .filter((t) => /verification failed|emergency/.test(t.event))
        .map((t) => t.event)
        .join(' | ')}`,
    );
  expect(report.steps.map((st) => [st.weight, st.result])).toEqual([
    [5, 'passed'],
    [25, 'passed'],
    [50, 'passed'],
    [100, 'passed'],
  ]);
  stack('temporal-cluster', 'start');
  expect(alive(nodePid(before.node))).toBe(true);
});

test('a release waiting for approval survives a PostgreSQL restart: approvals before and after count', async () => {
  const version = `3.2.0-cluster.${randomBytes(3).toString('hex')}`;
  const id = await startRelease(version, shortPlanFile);
  await until('awaiting approval', async () => (await statusOf(id)).stage === 'awaiting-approval');
  await approve(id, 'alice');

  // The cluster's PostgreSQL: the one DATABASE_URL names in this stack directory.
  const pgPort = new URL(stackVar('DATABASE_URL')).port;
  stack('postgres', 'stop');
  expect(() =>
    execFileSync('/usr/lib/postgresql/15/bin/pg_isready', ['-h', '127.0.0.1', '-p', pgPort], { stdio: 'ignore' }),
  ).toThrow();
  await new Promise((r) => setTimeout(r, 5_000));
  stack('postgres', 'start');

  await until('the release answers again', async () => (await statusOf(id)).stage === 'awaiting-approval');
  await approve(id, 'bob');
  await approve(id, 'carol');
  const done = await until(
    'the release in retention after the full switch',
    async () => {
      const s = await statusOf(id);
      return s.stage === 'retention' && s;
    },
    240_000,
  );
  expect(done.outcome).toBe('succeeded');
  expect(
    done.approvals
      .filter((a) => a.accepted)
      .map((a) => a.approverId)
      .sort(),
  ).toEqual(['alice', 'bob', 'carol']);
  await as('operator', 'rollback', id, '--reason', 'other: cluster test', '--yes', '--by', 'cluster-test');
  expect(await client.workflow.getHandle(id).result()).toMatchObject({ outcome: 'rolled-back-after-success' });
  closed = { id, runId: (await client.workflow.getHandle(id).describe()).runId };
});

test('a closed release is archived to S3 and its history reads back from the archive once the cluster deleted it', async () => {
  if (!closed) throw new Error('no release ended in this file: the archival test needs the previous one');
  const { id, runId } = closed;
  const ns = await client.workflowService.describeNamespace({ namespace: 'default' });
  expect(ns.config).toMatchObject({
    historyArchivalUri: `s3://${ARCHIVE_BUCKET}`,
    visibilityArchivalUri: `s3://${ARCHIVE_BUCKET}`,
  });
  // Archival runs after close, asynchronously: wait for the history objects and the visibility record.
  const t0 = Date.now();
  const keys = await until('the history in the archive bucket', async () => {
    const k = await archivedHistoryKeys(ns.namespaceInfo!.id!, id, runId);
    return k.length > 0 && k;
  });
  const listed = await until('the visibility record in the archive', async () => {
    const r = await client.workflowService.listArchivedWorkflowExecutions({
      namespace: 'default',
      query: `WorkflowId = '${id}'`,
    });
    return r.executions?.find((e) => e.execution?.runId === runId);
  });
  expect(listed.type?.name).toBe(RELEASE_WORKFLOW);
  console.log(
    `cluster: release ${id} archived (${keys.length} history objects) ${Date.now() - t0} ms after the check began`,
  );

  const live = await client.workflow.getHandle(id, runId).fetchHistory();
  // As after the namespace retention: the execution is gone from the cluster, only the archive has it.
  await client.workflowService.deleteWorkflowExecution({
    namespace: 'default',
    workflowExecution: { workflowId: id, runId },
  });
  await until('the execution deleted from the cluster', async () => {
    const err = await client.workflow
      .getHandle(id, runId)
      .describe()
      .then(() => undefined)
      .catch((e: Error) => e);
    return err?.name === 'WorkflowNotFoundError';
  });
  const archived = await client.workflow.getHandle(id, runId).fetchHistory();
  const shape = (h: typeof live) => (h.events ?? []).map((e) => `${String(e.eventId)} ${e.eventType}`);
  expect(shape(live).length).toBeGreaterThan(10);
  expect(shape(archived)).toEqual(shape(live));

  // `audit` (a reader, as an auditor) reads the release's history back from the archive now, beside its audit log.
  const audited = await as('reader', 'audit', id);
  const line = audited.match(/History \(Temporal archive, (\S+)\): (\d+) run\(s\), (\d+) events \(([\d +]+)\)/);
  expect(line?.[1]).toBe(`s3://${ARCHIVE_BUCKET}`);
  // The run the test compared is the chain's last; its events are all there.
  expect(Number(line![4].split(' + ').at(-1))).toBe(shape(live).length);
  expect(audited).toContain('last event: workflowExecutionCompleted');
  expect(audited).toContain('complete, numbered 0..');
});
