// Prebuilds the workflow bundle for production workers (`npm run build` -> dist/workflow-bundle.js),
// so a worker starts without webpack and runs exactly the code that was built and reviewed.
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../src/codec';
import { LEAN_BUNDLE_OPTIONS } from '../src/worker/bundle-options';
import { WORKFLOW_INTERCEPTORS_PATH, WORKFLOWS_PATH, DEFAULT_BUNDLE_PATH } from '../src/worker/paths';

async function main() {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [WORKFLOW_INTERCEPTORS_PATH],
    failureConverterPath: FAILURE_CONVERTER_PATH,
    ...LEAN_BUNDLE_OPTIONS,
  });
  const out = process.argv[2] ?? DEFAULT_BUNDLE_PATH;
  writeFileSync(out, code);
  process.stdout.write(`workflow bundle written to ${out} (${(code.length / 1024).toFixed(0)} KiB)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
