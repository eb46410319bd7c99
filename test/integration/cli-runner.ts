// The CLI in-process with the test's environment, as people and CI run it; a non-zero exit is an error.
import type { Io } from '../../src/client/cli';
import { run } from '../../src/client/main';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** The CLI in-process, its exit code and what it printed; `signal` aborts a command that waits (watch). */
export async function cliRun(argv: string[], signal?: AbortSignal): Promise<CliResult> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => void (out += `${t}\n`),
    err: (t) => void (err += `${t}\n`),
    env: process.env,
    isTTY: false,
    ...(signal ? { signal } : {}),
  };
  const code = await run(argv, io);
  return { code, out, err };
}

export async function cliOk(...argv: string[]): Promise<string> {
  const { code, out, err } = await cliRun(argv);
  if (code !== 0) throw new Error(`hwayo-release ${argv.join(' ')} exited ${code}: ${err}${out}`);
  return out;
}

/** The image tag the evidence fixtures name (the stack's six services): every stack release deploys it. */
export const FIXTURE_TAG = '412-3f9c2ab';

/** The clean scanner reports of test/fixtures/evidence, as CI passes them to `start`. */
export const EVIDENCE_FLAGS: readonly string[] = [
  '--evidence-trivy',
  'trivy-clean.json',
  '--evidence-gitleaks',
  'gitleaks-clean.json',
  '--evidence-npm-audit',
  'npm-audit-clean.json',
  '--evidence-sonarqube',
  'sonarqube-hotspots-clean.json',
];

/** `hwayo-release start` as CI runs it for a stack test: the fixtures' tag, clean evidence, a known-good tag. */
export function startArgv(planFile: string, version: string, taskQueue: string, requestedBy: string): string[] {
  return [
    'start',
    planFile,
    '--version',
    version,
    '--image-tag',
    FIXTURE_TAG,
    '--last-known-good',
    '1.0.0',
    '--task-queue',
    taskQueue,
    '--requested-by',
    requestedBy,
    ...EVIDENCE_FLAGS,
  ];
}
