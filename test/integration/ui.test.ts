// The Temporal Web UI shows a running release: Debian's chromium (scripts/install/chromium.sh),
// driven by playwright-core, finds it by a search-attribute query, opens it, sees its id and current
// details, and leaves a screenshot in test-results/.
//   bash scripts/stack/up.sh && bash scripts/install/chromium.sh
//   npx jest --runInBand --runTestsByPath test/integration/ui.test.ts
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { WorkerMetrics } from '../../src/worker/metrics';
import { dataConverterFromEnv } from '../../src/codec';
import { cliOk, EVIDENCE_FLAGS, FIXTURE_TAG } from './cli-runner';
import { withKubeconfig } from './kube-helpers';
import { stackConfig, stackVar, startFromSeedState } from './stack';

jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('./native-esm')>('./native-esm').kubernetesClient(),
);
jest.setTimeout(5 * 60_000);

const ROOT = join(__dirname, '..', '..');
const RESULTS = join(ROOT, 'test-results');
const tmp = mkdtempSync(join(tmpdir(), 'hwayo-ui-'));
const taskQueue = `ui-${randomBytes(4).toString('hex')}`;
let worker: Worker | undefined;
let workerRun: Promise<void> | undefined;
let connection: NativeConnection | undefined;
let browser: BrowserContext | undefined;
let releaseId: string | undefined;

const cli = cliOk;

beforeAll(async () => {
  await startFromSeedState('hwayo', 'the UI test starts a release of its own');
  const kubeconfig = join(tmp, 'worker.kubeconfig');
  execFileSync('bash', [join(ROOT, 'scripts', 'worker-kubeconfig.sh'), kubeconfig], {
    env: process.env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // The worker reads the clean fixtures below its evidence root.
  const config = {
    ...withKubeconfig(stackConfig(), kubeconfig),
    evidence: { root: join(ROOT, 'test', 'fixtures', 'evidence'), prefix: 'evidence' },
  };
  Runtime.install({ logger: new DefaultLogger('WARN') });
  connection = await NativeConnection.connect({ address: stackVar('TEMPORAL_ADDRESS') });
  worker = await Worker.create({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue,
    workflowsPath: require.resolve('../../src/workflows'),
    activities: createActivities(config),
    dataConverter: dataConverterFromEnv(),
    sinks: new WorkerMetrics().sinks(),
  });
  workerRun = worker.run();
}, 180_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  if (releaseId)
    await cli('abort', releaseId, '--by', 'ui-test', '--reason', 'UI test finished').catch(() => undefined);
  if (releaseId) await cli('watch', releaseId, '--json').catch(() => undefined);
  worker?.shutdown();
  await workerRun?.catch(() => undefined);
  await connection?.close();
  rmSync(tmp, { recursive: true, force: true });
}, 120_000);

test('the UI finds the release waiting for approval by its search attributes and shows it', async () => {
  const version = `2.6.0-ui.${randomBytes(3).toString('hex')}`;
  releaseId = (
    await cli(
      'start',
      join(ROOT, 'examples', 'local-plan.yaml'),
      '--version',
      version,
      '--image-tag',
      FIXTURE_TAG,
      '--last-known-good',
      '1.0.0',
      '--task-queue',
      taskQueue,
      // The tags the clean fixtures name (images and commit); paths are relative to the evidence root.
      ...EVIDENCE_FLAGS,
    )
  ).trim();
  const query = `HwayoApp="hwayo" AND HwayoStage="awaiting-approval" AND HwayoVersion="${version}"`;
  // Wait until visibility has the stage (the workflow upserts it after preflight).
  const deadline = Date.now() + 90_000;
  while (
    !(await cli('list', '--query', `HwayoVersion="${version}"`, '--stage', 'awaiting-approval', '--json')).includes(
      releaseId,
    )
  ) {
    if (Date.now() > deadline)
      throw new Error(`${releaseId} never reached awaiting-approval: ${await cli('status', releaseId)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }

  // A fresh profile (--user-data-dir) each run; Playwright takes it as the persistent context's directory.
  browser = await chromium.launchPersistentContext(mkdtempSync(join(tmp, 'chromium-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await browser.newPage();
  const ui = stackVar('TEMPORAL_UI_URL');
  await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent(query)}`, {
    waitUntil: 'networkidle',
  });
  const link = page.getByRole('link', { name: releaseId }).first();
  await link.waitFor({ timeout: 30_000 });
  await link.click();
  await page.waitForURL(new RegExp(`/workflows/${releaseId.replace(/\./g, '\\.')}/`), { timeout: 30_000 });
  mkdirSync(RESULTS, { recursive: true });
  try {
    await page.getByText(releaseId).first().waitFor({ timeout: 30_000 });
    // The search attributes the release keeps up to date: HwayoStage is awaiting-approval.
    await page.getByText('Search Attributes', { exact: true }).first().click();
    await page.getByText('awaiting-approval').first().waitFor({ timeout: 30_000 });
    await page.getByText('HwayoStage').first().waitFor({ timeout: 10_000 });
    const attributes = await page.locator('body').innerText();
    expect(attributes).toContain(releaseId);
    expect(attributes).toContain(version);
    // Current details (setCurrentDetails): where the release is and whom it waits for.
    await page.getByText('User Metadata', { exact: true }).first().click();
    let text = '';
    for (const until = Date.now() + 30_000; Date.now() < until; await page.waitForTimeout(500)) {
      // The UI renders markdown details in sandboxed iframes: read every frame.
      text = (
        await Promise.all(
          page.frames().map((f) =>
            f
              .locator('body')
              .innerText()
              .catch(() => ''),
          ),
        )
      ).join('\n');
      if (text.includes('waiting for: tech-lead, product-manager, qa-lead')) break;
    }
    expect(text).toContain('Current Details');
    expect(text).toContain('waiting for: tech-lead, product-manager, qa-lead');
    expect(text).toContain(`hwayo ${version} (412-3f9c2ab): awaiting-approval`);
  } finally {
    await page.screenshot({ path: join(RESULTS, 'ui-release-awaiting-approval.png'), fullPage: true });
  }
});
