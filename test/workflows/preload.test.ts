// The workflow bundle as the worker builds it (src/worker/bundle-options.ts), loaded into the SDK's own
// reusable V8 context: what is shared between cached releases is exactly src/workflows/preload.ts's
// list, a release instantiates little of its own, and the shared modules work after the SDK froze them.
import { Script } from 'node:vm';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { SHARED } from '../../src/workflows/preload';
import { bundle } from './env';

jest.setTimeout(180_000);
let code: string;
let context: Record<string, unknown> & { __webpack_module_cache__: Record<string, { exports: unknown }> };
let ids: string[];

beforeAll(async () => {
  const b: WorkflowBundleWithSourceMap = await bundle();
  code = b.code;
  // The constructor runs the bundle, its preload, and the SDK's freeze of what is shared.
  const creator = new ReusableVMWorkflowCreator(new Script(code), b as never, 5000, new Set());
  context = (creator as unknown as { context: typeof context }).context;
  ids = [...code.matchAll(/^\/\*\*\*\/ "([^"]+)"$/gm)].map((m) => m[1]);
});

/** The repository's modules in the shared cache (asked with no release loaded, so only shared ones answer). */
const sharedRepoModules = () =>
  ids
    .filter((id) => context.__webpack_module_cache__[id] !== undefined && /\/src\//.test(id))
    .map((id) => id.replace(/^.*\/src\/(.*)\.[jt]s$/, '$1'))
    .filter((m) => m !== 'workflows/preload')
    .sort();

test('the shared modules of this repository are the ones preload.ts lists and freezes', () => {
  expect(sharedRepoModules()).toEqual(Object.keys(SHARED).sort());
});

test('a cached release instantiates under 400 KiB of modules (zod and the schemas are shared)', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heap = () => (gc(), gc(), getHeapStatistics().used_heap_size);
  const releases: unknown[] = [];
  const before = heap();
  for (let i = 0; i < 20; i++) {
    const activator = { moduleCache: new Map() };
    context.__TEMPORAL_ACTIVATOR__ = activator;
    (context.__TEMPORAL__ as { importWorkflows(): unknown }).importWorkflows();
    releases.push(activator);
  }
  delete context.__TEMPORAL_ACTIVATOR__;
  const perRelease = (heap() - before) / releases.length / 1024;
  expect(perRelease).toBeLessThan(400);
});

test('the frozen shared validation still parses: a bad input is refused with its problems', () => {
  const id = ids.find((i) => /\/src\/workflows\/input\.[jt]s$/.test(i))!;
  const { releaseInputProblems } = context.__webpack_module_cache__[id].exports as {
    releaseInputProblems(i: unknown): string[];
  };
  expect(releaseInputProblems({ version: 'bad version', imageTag: '.x' }).join('\n')).toMatch(/version/);
});
