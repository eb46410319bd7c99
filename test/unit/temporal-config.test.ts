// docker-compose.yml and the local stack's Temporal cluster (scripts/stack/components/temporal-cluster.sh)
// run the server with one configuration: deploy/temporal/server.env (persistence, history shards, pools,
// dynamic config path) and deploy/temporal/dynamicconfig.yaml. Each keeps only its own connection and
// ports; neither may override a shared setting.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const SHARED = 'deploy/temporal/server.env';

/** KEY=VALUE lines, later lines winning, as env(1) and docker compose's env_file read them. */
function envLines(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const hit = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (hit) m.set(hit[1], hit[2]);
  }
  return m;
}

const shared = envLines(readFileSync(join(ROOT, SHARED), 'utf8'));
/* eslint-disable-next-line @typescript-eslint/no-explicit-any -- compose documents are free-form YAML */
const temporal = (parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, any> })
  .services.temporal;

/** The environment temporal-cluster.sh gives node N (its node_env function, run for real). */
function stackNodeEnv(n: number): Map<string, string> {
  const stackDir = mkdtempSync(join(tmpdir(), 'hwayo-temporal-config-'));
  try {
    const out = execFileSync(
      'bash',
      [join(ROOT, 'scripts', 'stack', 'components', 'temporal-cluster.sh'), 'node_env', String(n)],
      { env: { ...process.env, HWAYO_STACK_DIR: stackDir }, encoding: 'utf8' },
    );
    return envLines(out);
  } finally {
    rmSync(stackDir, { recursive: true, force: true });
  }
}

describe('one Temporal server configuration for docker-compose and the local cluster', () => {
  test('the shared file sets persistence, shards, pools and the dynamic config path', () => {
    expect(shared.get('DB')).toBe('postgres12');
    expect(shared.get('DBNAME')).toBe('temporal');
    expect(shared.get('VISIBILITY_DBNAME')).toBe('temporal_visibility');
    const shards = Number(shared.get('NUM_HISTORY_SHARDS'));
    expect(Number.isInteger(shards) && shards > 0 && (shards & (shards - 1)) === 0).toBe(true);
    expect(shared.get('DYNAMIC_CONFIG_FILE_PATH')).toMatch(/^\/etc\/temporal\/config\/dynamicconfig\/.+\.yaml$/);
  });

  test('compose reads the shared file, overrides none of it, and mounts the dynamic config where it says', () => {
    expect(temporal.env_file).toEqual([SHARED]);
    const own = Object.keys(temporal.environment as Record<string, string>);
    expect(own.filter((k) => shared.has(k))).toEqual([]);
    const mounts = (temporal.volumes as string[]).map((v) => v.split(':'));
    expect(mounts).toContainEqual([
      './deploy/temporal/dynamicconfig.yaml',
      shared.get('DYNAMIC_CONFIG_FILE_PATH'),
      'ro',
    ]);
  });

  test('both stack nodes get every shared setting unchanged, but the dynamic config path, which is the same file', () => {
    for (const n of [1, 2]) {
      const env = stackNodeEnv(n);
      for (const [k, v] of shared) {
        if (k === 'DYNAMIC_CONFIG_FILE_PATH')
          expect(resolve(env.get(k)!)).toBe(resolve(ROOT, 'deploy/temporal/dynamicconfig.yaml'));
        else expect({ k, v: env.get(k) }).toEqual({ k, v });
      }
      expect(env.get('TEMPORAL_BROADCAST_ADDRESS')).toBe('127.0.0.1');
    }
  });

  test('the two nodes listen on distinct ports', () => {
    const ports = [1, 2].flatMap((n) =>
      [...stackNodeEnv(n)].filter(([k]) => /_PORT$/.test(k) && k !== 'DB_PORT').map(([, v]) => v),
    );
    expect(ports.length).toBeGreaterThanOrEqual(18);
    expect(new Set(ports).size).toBe(ports.length);
  });

  test('the dynamic config is plain YAML of known shape: key -> [{ value, constraints? }]', () => {
    const doc = parse(readFileSync(join(ROOT, 'deploy', 'temporal', 'dynamicconfig.yaml'), 'utf8')) as Record<
      string,
      { value: unknown; constraints?: object }[]
    >;
    expect(Object.keys(doc).length).toBeGreaterThan(0);
    for (const [key, values] of Object.entries(doc)) {
      expect({ key, ok: Array.isArray(values) && values.every((v) => 'value' in v) }).toEqual({ key, ok: true });
    }
    expect(doc['frontend.enableUpdateWorkflowExecution']).toEqual([{ value: true }]);
  });
});
