// Figures for docs/benchmarks.md (run through bench/run.sh, the stack up): the built worker from `node` to its
// /readyz answering 200 against the stack's dev server, with Node's compile cache (src/runtime/compile-cache.ts,
// warmed by one start first) and without it (HWAYO_COMPILE_CACHE=off), alternating so load hits both alike.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

jest.setTimeout(600_000);
const ROOT = join(__dirname, '..');
const OUT = join(__dirname, '.results.md');
const RUNS = 5;
const PORT = 19_871;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One start: spawn, poll /readyz every 20 ms until 200, then SIGTERM and wait for the exit. */
async function startToReady(cache: string, compileCache: 'on' | 'off'): Promise<number> {
  const t0 = performance.now();
  // The worker's own enableCompileCache() writes below os.tmpdir(): TMPDIR keeps this bench's cache apart. Node
  // would turn the cache on by itself for NODE_COMPILE_CACHE, so it is not passed.
  const { NODE_COMPILE_CACHE: _ignored, ...env } = process.env;
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'worker.js')], {
    env: {
      ...env,
      TMPDIR: cache,
      HWAYO_TASK_QUEUE: `bench-start-${Date.now()}`,
      HWAYO_WORKER_HTTP_PORT: String(PORT),
      HWAYO_SDK_METRICS_PORT: '0',
      HWAYO_COMPILE_CACHE: compileCache,
    },
    stdio: 'ignore',
  });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the worker exited with ${child.exitCode} before it was ready`);
      const ok = await fetch(`http://127.0.0.1:${PORT}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return Math.round(performance.now() - t0);
      if (performance.now() - t0 > 60_000) throw new Error('the worker was not ready in 60 s');
      await sleep(20);
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

test('worker start to ready, with and without the compile cache', async () => {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stderr}`);
  const cache = mkdtempSync(join(tmpdir(), 'hwayo-compile-cache-'));
  try {
    await startToReady(cache, 'on'); // writes the cache, as the first start after a deploy does
    if (!existsSync(join(cache, 'node-compile-cache'))) throw new Error('the worker wrote no compile cache');
    const on: number[] = [];
    const off: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      off.push(await startToReady(cache, 'off'));
      on.push(await startToReady(cache, 'on'));
    }
    appendFileSync(
      OUT,
      [
        '## Worker start to ready (`node dist/src/worker.js` until `/readyz` answers 200, dev server)',
        '',
        `${RUNS} runs each, alternating; the cache was written by one start before. Load average ${load()}.`,
        '',
        '| compile cache | median | runs (ms) |',
        '|---|---|---|',
        `| off (HWAYO_COMPILE_CACHE=off) | ${median(off)} ms | ${off.join(', ')} |`,
        `| on (default) | ${median(on)} ms | ${on.join(', ')} |`,
        '',
        `Ratio on/off: ${(median(on) / median(off)).toFixed(2)}.`,
      ].join('\n') + '\n\n',
    );
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
