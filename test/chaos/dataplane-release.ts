// A chaos release on the data-plane plan (examples/local-plan.yaml): real stand-in pods behind Traefik, the
// route an HTTPRoute, the metrics what users' requests through the gateway did. The image is a bad build of
// the fixtures' commit (-sick-30: 30% of API requests answer 500, test/fixtures/dataplane/app.ts).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { cliOk, FIXTURE_TAG, startArgv } from '../integration/cli-runner';
import { stackVar } from '../integration/stack';
import { EVIDENCE, FEW_CHECKS, http, ROOT } from './harness';

export const BLUE = 'hwayo-production';
export const GREEN = 'hwayo-production-green';
export const SICK_TAG = FIXTURE_TAG.replace('-', '-sick-30-');
/** The step the sick build is caught at, watched long enough that its 30 s rates cross before it ends. */
export const SICK_STEP = 5;

/** A copy of the data-plane plan with seconds-long windows (the e2e's) and the short preflight. */
export function dataPlanePlan(dir: string): string {
  const doc = parseYaml(readFileSync(join(ROOT, 'examples', 'local-plan.yaml'), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  doc.canary.steps = [
    { weight: SICK_STEP, watch: '40s' },
    { weight: 25, watch: '8s' },
    { weight: 50, watch: '8s' },
  ];
  doc.canary.analysisInterval = '1s';
  // A fresh green has no gateway series until its first users' requests are scraped.
  doc.canary.inconclusiveLimit = 10;
  doc.fullSwitch.watch = '4s';
  doc.preflight.checks = (doc.preflight.checks as { name: string }[]).filter((c) => FEW_CHECKS.has(c.name));
  const file = join(dir, 'dataplane-plan.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

/** The fixtures' evidence plus a Trivy report naming the sick tag's images: the worker's evidence root. */
export function sickEvidence(dir: string): string {
  const root = join(dir, 'evidence');
  cpSync(EVIDENCE, root, { recursive: true });
  writeFileSync(
    join(root, 'trivy-sick.json'),
    readFileSync(join(EVIDENCE, 'trivy-clean.json'), 'utf8').replaceAll(`:${FIXTURE_TAG}`, `:${SICK_TAG}`),
  );
  return root;
}

/** `hwayo-release start` of the sick build, as CI would; returns the release id. */
export async function startSick(planFile: string, version: string, taskQueue: string): Promise<string> {
  const argv = startArgv(planFile, version, taskQueue, 'chaos-suite');
  argv[argv.indexOf('--image-tag') + 1] = SICK_TAG;
  argv[argv.indexOf('--evidence-trivy') + 1] = 'trivy-sick.json';
  return (await cliOk(...argv)).trim();
}

/** 5xx answers the gateway counted for green's api-gateway over the plan's 30 s window (an earlier sick run's). */
export async function recentGreenErrors(): Promise<number> {
  const q = `sum(increase(traefik_service_requests_total{service=~"${GREEN}-api-gateway-.*",code=~"5.."}[30s])) or vector(0)`;
  const r = await http<{ data: { result: { value: [number, string] }[] } }>(
    'GET',
    `${stackVar('PROMETHEUS_URL')}/api/v1/query?query=${encodeURIComponent(q)}`,
  );
  return r.data.result.length ? Number(r.data.result[0].value[1]) : 0;
}
