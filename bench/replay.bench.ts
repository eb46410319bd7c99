// Figures for docs/benchmarks.md (run through bench/run.sh): how long a committed history takes to
// replay with the production bundle (built as scripts/bundle-workflows.ts builds it, read from a file)
// and a new replay worker each time, as a worker that lost its cache replays a release.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../src/codec';
import { LEAN_BUNDLE_OPTIONS } from '../src/worker/bundle-options';
import { replaySinks } from '../src/worker/metrics';
import { WORKFLOW_INTERCEPTORS_PATH, WORKFLOWS_PATH } from '../src/worker/paths';

jest.setTimeout(600_000);
const OUT = join(__dirname, '.results.md');
const HISTORIES = ['succeeded.json', 'rolled-back-at-25.json', 'emergency.json', 'continued-run-1.json'];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

test('replay of committed histories with the prebuilt bundle, a new replay worker each time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwayo-replay-bench-'));
  try {
    const { code } = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      workflowInterceptorModules: [WORKFLOW_INTERCEPTORS_PATH],
      failureConverterPath: FAILURE_CONVERTER_PATH,
      logger: new DefaultLogger('WARN'),
      ...LEAN_BUNDLE_OPTIONS,
    });
    const codePath = join(dir, 'workflow-bundle.js');
    writeFileSync(codePath, code);
    const rows: string[] = [];
    for (const file of HISTORIES) {
      const text = readFileSync(join(__dirname, '..', 'test', 'histories', file), 'utf8');
      const history = historyFromJSON(JSON.parse(text));
      const runs: number[] = [];
      for (let i = 0; i < 6; i++) {
        const t0 = performance.now();
        await Worker.runReplayHistory({ workflowBundle: { codePath }, sinks: replaySinks() }, history, file);
        runs.push(Math.round(performance.now() - t0));
      }
      const [first, ...rest] = runs; // the first also loads the SDK's modules
      rows.push(
        `| ${file} | ${history.events?.length ?? 0} | ${median(rest)} ms | ${rest.join(', ')} | ${first} ms | ${load()} |`,
      );
    }
    appendFileSync(
      OUT,
      [
        '## Replay (prebuilt bundle, new replay worker each time)',
        '',
        `Bundle ${(code.length / 1024).toFixed(0)} KiB (src/worker/bundle-options.ts). 5 runs after a first one.`,
        '',
        '| history | events | median | runs (ms) | first run | load avg |',
        '|---|---|---|---|---|---|',
        ...rows,
      ].join('\n') + '\n\n',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
