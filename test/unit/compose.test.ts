// docker-compose.yml and the Dockerfile read the way Docker would (there is no engine here): pinned
// images, ports on loopback, start order with health conditions, the worker's and UI's settings, and
// every mounted file present in the repository; the Dockerfile's stages, user, CMD and HEALTHCHECK.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');

/* eslint-disable @typescript-eslint/no-explicit-any -- compose documents are free-form YAML */
type Service = Record<string, any>;
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;

describe('docker-compose.yml', () => {
  test('has every service of the deployment', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'codec-server',
        'grafana',
        'postgresql',
        'prometheus',
        'register-search-attributes',
        'temporal',
        'temporal-ui',
        'worker',
      ].sort(),
    );
  });

  test('every image is pinned to a version (no latest, no bare name)', () => {
    for (const [name, svc] of Object.entries(services)) {
      expect({ name, image: svc.image }).toEqual({
        name,
        image: expect.stringMatching(/^[\w./-]+:(?!latest$)[\w.-]*\d[\w.-]*$/) as unknown as string,
      });
    }
    expect(services.temporal.image).toMatch(/^temporalio\/auto-setup:\d+\.\d+\.\d+$/);
    expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
    expect(services['register-search-attributes'].image).toMatch(/^temporalio\/admin-tools:\d+\.\d+\.\d+/);
  });

  test('published ports are on 127.0.0.1 only, at the expected ports', () => {
    const published = Object.fromEntries(Object.entries(services).map(([n, s]) => [n, (s.ports ?? []) as string[]]));
    for (const [name, ports] of Object.entries(published))
      for (const p of ports)
        expect({ name, p }).toEqual({ name, p: expect.stringMatching(/^127\.0\.0\.1:\d+:\d+$/) as unknown as string });
    expect(published).toMatchObject({
      temporal: ['127.0.0.1:7233:7233'],
      'temporal-ui': ['127.0.0.1:8080:8080'],
      'codec-server': ['127.0.0.1:8081:8081'],
      worker: ['127.0.0.1:9464:9464'],
      prometheus: ['127.0.0.1:9090:9090'],
      grafana: ['127.0.0.1:3000:3000'],
    });
  });

  test('start order waits on health, not just on start', () => {
    expect(services.temporal.depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
    expect(services['register-search-attributes'].depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
    expect(services.worker.depends_on).toEqual({
      temporal: { condition: 'service_healthy' },
      'register-search-attributes': { condition: 'service_completed_successfully' },
    });
    expect(services['temporal-ui'].depends_on.temporal).toEqual({ condition: 'service_healthy' });
    expect(services.prometheus.depends_on).toEqual({ worker: { condition: 'service_healthy' } });
    expect(services.grafana.depends_on).toEqual({ prometheus: { condition: 'service_healthy' } });
    // Every service someone waits on for health has a healthcheck.
    for (const svc of Object.values(services)) {
      for (const [dep, cond] of Object.entries((svc.depends_on ?? {}) as Record<string, { condition: string }>)) {
        if (cond.condition === 'service_healthy')
          expect({ dep, test: services[dep].healthcheck?.test?.length > 0 }).toEqual({ dep, test: true });
      }
    }
  });

  test('Temporal runs on the PostgreSQL service', () => {
    // DB comes from the server configuration shared with the local cluster (deploy/temporal/server.env).
    const shared = readFileSync(join(ROOT, services.temporal.env_file[0] as string), 'utf8');
    expect(shared).toMatch(/^DB=postgres12$/m);
    expect(services.temporal.environment).toMatchObject({
      POSTGRES_SEEDS: 'postgresql',
      POSTGRES_USER: services.postgresql.environment.POSTGRES_USER,
    });
  });

  test('search attributes are registered with the right types by the one-shot service', () => {
    const script = readFileSync(join(ROOT, 'scripts', 'register-search-attributes.sh'), 'utf8');
    expect(script).toContain('operator search-attribute create');
    expect(script).toContain(
      'HwayoApp:Keyword HwayoVersion:Keyword HwayoStage:Keyword HwayoCanaryWeight:Int HwayoOutcome:Keyword',
    );
    const svc = services['register-search-attributes'];
    expect(svc.environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(svc.entrypoint.join(' ')).toContain('register-search-attributes.sh');
  });

  test('worker: our image and entry point, Temporal, kubeconfig, Prometheus, codec keys, metrics port', () => {
    const w = services.worker;
    expect(w.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    expect(w.command).toEqual(['node', 'dist/src/worker.js']);
    expect(w.environment).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal:7233',
      KUBECONFIG: '/etc/hwayo/kubeconfig',
      HWAYO_WORKER_HTTP_HOST: '0.0.0.0',
      HWAYO_WORKER_HTTP_PORT: '9464',
    });
    expect(w.environment.PROMETHEUS_URL).toMatch(/prometheus:9090/);
    expect(w.environment.HWAYO_CODEC_KEYS).toMatch(/^\$\{HWAYO_CODEC_KEYS:\?/);
    expect((w.volumes as string[]).some((v) => v.endsWith(':/etc/hwayo/kubeconfig:ro'))).toBe(true);
    expect(w.healthcheck.test.join(' ')).toContain('9464');
  });

  test('Temporal UI uses the codec server, which runs our image', () => {
    const ui = services['temporal-ui'];
    expect(ui.environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(ui.environment.TEMPORAL_CODEC_ENDPOINT).toBe('http://localhost:8081');
    const codec = services['codec-server'];
    expect(codec.image).toBe(services.worker.image);
    expect(codec.command).toEqual(['node', 'dist/src/codec/server.js']);
    expect(codec.environment).toMatchObject({ HWAYO_CODEC_SERVER_PORT: '8081', HWAYO_CODEC_SERVER_HOST: '0.0.0.0' });
  });

  test('every bind-mounted file exists in the repository; named volumes are declared', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const v of (svc.volumes ?? []) as string[]) {
        const source = v.split(':')[0];
        if (source.startsWith('./'))
          expect({ name, source, exists: existsSync(resolve(ROOT, source)) }).toEqual({ name, source, exists: true });
        else if (!source.startsWith('$') && !source.startsWith('~') && !source.startsWith('/'))
          expect(Object.keys(compose.volumes ?? {})).toContain(source);
      }
    }
  });

  test('Prometheus scrapes the worker and loads the rule files it mounts', () => {
    const prom = parse(readFileSync(join(ROOT, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const worker = prom.scrape_configs.find((s) => s.job_name === 'hwayo-release-worker');
    expect(worker?.static_configs[0].targets).toEqual(['worker:9464']);
    const mounted = (services.prometheus.volumes as string[]).map((v) => v.split(':')[1]);
    for (const f of prom.rule_files) expect(mounted).toContain(f);
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  // Continuation lines joined, comments dropped: one instruction per entry.
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
  const of = (op: string) => instructions.filter((i) => i.op === op);

  test('two stages: node:22 build, slim runtime', () => {
    expect(of('FROM').map((f) => f.args)).toEqual([
      expect.stringMatching(/^node:22[\w.-]* AS build$/),
      expect.stringMatching(/^node:22[\w.-]*-slim AS runtime$/),
    ]);
  });

  test('the build stage runs npm ci and npm run build; the runtime copies dist/ from it', () => {
    const runs = of('RUN')
      .map((r) => r.args)
      .join('\n');
    expect(runs).toMatch(/npm ci/);
    expect(runs).toMatch(/npm run build/);
    expect(of('COPY').map((c) => c.args)).toContainEqual(expect.stringMatching(/--from=build .*\/app\/dist \.\/dist$/));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toContain('tsconfig.build.json');
  });

  test('runs as a non-root user', () => {
    const users = of('USER').map((u) => u.args);
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
    // USER comes after the last COPY/RUN of the runtime stage.
    const last = instructions.length - 1 - [...instructions].reverse().findIndex((i) => i.op === 'USER');
    expect(instructions.slice(last).some((i) => i.op === 'RUN' || i.op === 'COPY')).toBe(false);
  });

  test('CMD is the compiled worker: tsconfig.build.json emits src/worker.ts to dist/src/worker.js', () => {
    expect(of('CMD').map((c) => JSON.parse(c.args) as string[])).toEqual([['node', 'dist/src/worker.js']]);
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      extends: string;
      include: string[];
    };
    const base = JSON.parse(readFileSync(join(ROOT, build.extends), 'utf8')) as {
      compilerOptions: { outDir: string; rootDir: string };
    };
    expect({
      outDir: base.compilerOptions.outDir,
      rootDir: base.compilerOptions.rootDir,
      includesSrc: build.include.includes('src'),
    }).toEqual({ outDir: 'dist', rootDir: '.', includesSrc: true });
  });

  test('HEALTHCHECK asks /healthz on port 9464', () => {
    const hc = of('HEALTHCHECK');
    expect(hc).toHaveLength(1);
    expect(hc[0].args).toMatch(/http:\/\/127\.0\.0\.1:9464\/healthz/);
    expect(
      of('EXPOSE')
        .map((e) => e.args)
        .join(' '),
    ).toContain('9464');
  });

  test('.dockerignore keeps local state and secrets out of the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const p of ['.git', '.stack', 'node_modules', 'dist', '.env']) expect(ignored).toContain(p);
    for (const p of ['src', 'scripts', 'package.json']) expect(ignored).not.toContain(p);
  });
});
