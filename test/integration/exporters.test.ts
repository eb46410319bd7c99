// The alert rules' inputs as real series: the stack's Prometheus scrapes Debian's postgres_exporter, redis_exporter
// and node_exporter (scripts/stack/components/exporters.sh), and the rules of deploy/prometheus, read from their
// files, evaluate on those series. Then the exporter loses its database (its role may no longer log in) and
// DatabaseConnectionFailure's expression turns true from real scrapes, and false again once it is given back.
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { eventually } from './activity-env';
import { stackEnv, stackVar } from './stack';

jest.setTimeout(90_000);

const ROOT = join(__dirname, '..', '..');
const STACK_DIR = stackEnv().HWAYO_STACK_DIR ?? join(ROOT, '.stack');
const prometheus = stackVar('PROMETHEUS_URL');

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}
async function query(promql: string): Promise<Sample[]> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: Sample[] } };
  if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
  return body.data.result;
}
const values = (samples: Sample[]) => samples.map((s) => Number(s.value[1]));

/** A rule's expression from deploy/prometheus, and its measured query without the trailing threshold. */
function rule(file: string, alert: string): { expr: string; query: string } {
  const doc = parse(readFileSync(join(ROOT, 'deploy', 'prometheus', file), 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  const found = doc.groups.flatMap((g) => g.rules).find((r) => r.alert === alert);
  if (!found) throw new Error(`no rule ${alert} in ${file}`);
  const expr = found.expr.replace(/\s+/g, ' ').trim();
  return { expr, query: expr.replace(/ [<>] [0-9.]+$/, '') };
}

/**
 * Runs SQL as the cluster's superuser over the stack's socket (as components/exporters.sh does), through the
 * link resolved: user postgres cannot traverse a stack directory only root may enter (a clone in mktemp -d).
 */
function asPostgres(sql: string): void {
  execFileSync(
    'setpriv',
    [
      '--reuid=postgres',
      '--regid=postgres',
      '--init-groups',
      'psql',
      '-h',
      join(realpathSync(join(STACK_DIR, 'postgres')), 'run'),
    ].concat(['-p', '15432', '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qc', sql]),
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

/** Polls until `probe` returns a value; on timeout the error carries what the last poll saw. */
async function until<T>(what: string, ms: number, probe: () => Promise<{ ok?: T; saw: unknown }>): Promise<T> {
  let saw: unknown;
  try {
    return await eventually(what, ms, async () => {
      const r = await probe();
      saw = r.saw;
      return r.ok;
    });
  } catch (e) {
    throw new Error(`${(e as Error).message}; last saw ${JSON.stringify(saw)}`);
  }
}

const dbFailure = rule('alerts.seed.yml', 'DatabaseConnectionFailure').expr;

describe('exporters feed the alert rules real series', () => {
  it('the rules read PostgreSQL, Redis and host series from the exporters', async () => {
    const pool = rule('alerts.seed-thresholds.yml', 'HighDBPoolUsage').query;
    const disk = rule('alerts.seed-thresholds.yml', 'HighDiskUsage').query;
    const checks: [string, string, (v: number[]) => boolean][] = [
      ['up{job="postgresql"}', 'postgres_exporter scraped', (v) => v.length === 1 && v[0] === 1],
      ['pg_up{job="postgresql"}', 'postgres_exporter reaches the database', (v) => v.length === 1 && v[0] === 1],
      // The stack's cluster runs with max_connections=200 (components/postgres.sh): this is its server.
      ['pg_settings_max_connections{job="postgresql"}', 'the stack server', (v) => v.length === 1 && v[0] === 200],
      ['sum(pg_stat_activity_count{job="postgresql"})', 'client connections', (v) => v.length === 1 && v[0] >= 1],
      [pool, 'HighDBPoolUsage query', (v) => v.length === 1 && v[0] > 0 && v[0] < 80],
      [dbFailure, 'DatabaseConnectionFailure silent', (v) => v.length === 0],
      [
        'up{job="redis"} * on (instance) redis_up{job="redis"}',
        'redis_exporter reaches Redis',
        (v) => v.length === 1 && v[0] === 1,
      ],
      ['count(node_cpu_seconds_total{job="node",mode="idle"})', 'host CPUs', (v) => v.length === 1 && v[0] >= 1],
      [
        'node_memory_MemAvailable_bytes{job="node"} / node_memory_MemTotal_bytes{job="node"}',
        'host memory',
        (v) => v.length === 1 && v[0] > 0 && v[0] < 1,
      ],
      ['node_load1{job="node"}', 'host load', (v) => v.length === 1 && v[0] >= 0],
      [disk, 'HighDiskUsage query', (v) => v.length >= 1 && v.every((x) => x >= 0 && x <= 100)],
    ];
    // The exporters' targets reach Prometheus through file_sd: its scrape manager applies them on a 5 s tick.
    const seen = await until('every rule input is a real series', 30_000, async () => {
      const got = await Promise.all(checks.map(async ([q]) => values(await query(q))));
      const failing = checks.filter(([, , ok], i) => !ok(got[i])).map(([q, name], i) => ({ name, q, got: got[i] }));
      return { ok: failing.length === 0 ? got : undefined, saw: failing };
    });
    expect(seen).toHaveLength(checks.length);
  });

  it('DatabaseConnectionFailure turns true when the exporter cannot log in, and false when it can again', async () => {
    const instance = new URL(stackVar('POSTGRES_EXPORTER_URL')).host;
    const exporterRole = stackVar('POSTGRES_EXPORTER_ROLE');
    await until('postgres_exporter up before the failure', 30_000, async () => {
      const v = values(await query('pg_up{job="postgresql"}'));
      return { ok: v[0] === 1 ? true : undefined, saw: v };
    });
    const t0 = Date.now();
    try {
      asPostgres(
        `ALTER ROLE ${exporterRole} NOLOGIN; ` +
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${exporterRole}'`,
      );
      // The exporter still answers, with pg_up 0: the seed's `up == 0` alone would stay silent.
      const firing = await until('DatabaseConnectionFailure true', 20_000, async () => {
        const r = await query(dbFailure);
        const pgUp = values(await query('pg_up{job="postgresql"}'));
        return { ok: r.length > 0 && pgUp[0] === 0 ? r : undefined, saw: { firing: r, pgUp } };
      });
      expect(firing.map((s) => [s.metric.job, s.metric.instance])).toEqual([['postgresql', instance]]);
      // The stack's Prometheus evaluates the rule itself (for: 1s there) and fires it.
      const alert = await until('ALERTS firing', 15_000, async () => {
        const r = await query('ALERTS{alertname="DatabaseConnectionFailure",alertstate="firing"}');
        return { ok: r.length > 0 ? r : undefined, saw: r };
      });
      expect(alert.map((s) => s.metric.instance)).toEqual([instance]);
    } finally {
      asPostgres(`ALTER ROLE ${exporterRole} LOGIN`);
    }
    await until('DatabaseConnectionFailure false again', 20_000, async () => {
      const r = await query(dbFailure);
      const up = values(await query('pg_up{job="postgresql"}'));
      return { ok: r.length === 0 && up[0] === 1 ? true : undefined, saw: { firing: r, up } };
    });
    console.log(`database failure seen and recovered in ${Date.now() - t0} ms`);
  });
});
