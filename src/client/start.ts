// `start`: one release per app and version. The workflow id is `release-<app>-<version>`; a second
// start while it runs fails (conflict policy FAIL), and a new run under the same id is allowed only
// after a run that failed, was terminated, cancelled or timed out (reuse policy
// ALLOW_DUPLICATE_FAILED_ONLY). A release that completed, whatever its outcome (succeeded, rolled
// back, rejected, aborted), is the record of that version: release again under a new version.
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { EvidenceRefs } from '../activities/contract';
import {
  DEFAULT_TASK_QUEUE,
  RELEASE_WORKFLOW,
  SA_APP,
  SA_STAGE,
  SA_VERSION,
  type ReleaseInput,
} from '../workflows/definitions';
import { singleClusterProblems } from '../plan/cluster-placeholders';
import { IMAGE_TAG, IMAGE_TAG_RULE, LABEL_VALUE, releaseInputProblems, VERSION_RULE } from '../workflows/input';
import { CliError, EXIT, EXIT_CODES_HELP, optional, parse, required, usageError, type Command, type Io } from './cli';
import { CONNECTION_HELP, CONNECTION_OPTIONS, withClient } from './connection';
import { refuseWhileStopped } from './stop-the-line';
import { listQuery } from './list';
import { loadReleaseOrExit } from './plan';
import { MULTI_CLUSTER_WORKFLOW } from '../workflows/multi-cluster-definitions';
import { follow } from './status';

export const releaseId = (app: string, version: string) => `release-${app}-${version}`;

const HELP = `Usage: hwayo-release start PLAN-FILE --version V --image-tag TAG [options]

Starts a release of the plan's app at version V and prints its id, release-<app>-<version>.

  --version V                 application version, e.g. 2.4.0 (letters, digits, . _ -; it labels green)
  --image-tag TAG             image tag deployed to green, e.g. 1234-abc1234
  --last-known-good TAG       deployed to blue by the emergency path when blue cannot be trusted
  --evidence-trivy FILE|S3    Trivy JSON report(s) of every image deployed (a path below the worker's
                              HWAYO_EVIDENCE_ROOT, or s3://BUCKET/evidence/<app>/<version>/...)
  --evidence-gitleaks FILE|S3 Gitleaks SARIF report naming the scanned commit (versionControlProvenance)
  --evidence-npm-audit FILE|S3 npm audit --json report
  --evidence-sonarqube FILE|S3 SonarQube hotspots JSON with projectKey and revision (see docs/cli.md)
  --requested-by NAME         recorded in the release (default: HWAYO_USER or the login name)
  --task-queue NAME           worker task queue (default HWAYO_TASK_QUEUE or "${DEFAULT_TASK_QUEUE}")
  --no-search-attributes      do not set Hwayo* search attributes (namespace without them registered)
  --allow-concurrent          start even while another release of the app runs (the release-baseline
                              preflight check still refuses to deploy over a live or kept namespace)
  --wait                      follow the release until it is decided (succeeded and in its blue
                              retention window, or finished) and exit with the outcome's code
  --json                      print {"releaseId", "runId"} (with --wait: the final status too)

One release per app at a time: while another release of the same app runs (waiting for approval,
in its canary, or keeping blue in its retention window), start exits 7 and names it, because both
would deploy into the same green namespace. Wait for it, abort it, or end its retention window early
with \`hwayo-release promote ID\`.

One release per app and version: starting a release whose id is running exits 7. After a run that
failed, was terminated, cancelled or timed out, the same id may be started again; after a run that
completed (any outcome: succeeded, rolled back, rejected, aborted) it may not: that history is the
record of the version, so release a new version (e.g. 2.4.1 or 2.4.0-r2).

${CONNECTION_HELP}

${EXIT_CODES_HELP}`;

/** The flags that name what is released and by whom (start, schedule). */
export const RELEASE_OPTIONS = {
  version: { type: 'string' },
  'image-tag': { type: 'string' },
  'last-known-good': { type: 'string' },
  'requested-by': { type: 'string' },
  'task-queue': { type: 'string' },
} as const;

/** --version and --image-tag, checked by the workflow's own rules. */
export function versionAndTag(v: Record<string, unknown>): { version: string; imageTag: string } {
  const version = required(v, 'version');
  const imageTag = required(v, 'image-tag');
  if (!LABEL_VALUE.test(version)) throw usageError(`--version ${JSON.stringify(version)} ${VERSION_RULE}`);
  if (!IMAGE_TAG.test(imageTag)) throw usageError(`--image-tag ${JSON.stringify(imageTag)} ${IMAGE_TAG_RULE}`);
  return { version, imageTag };
}

export const start: Command = {
  summary: 'start a release of a plan (one per app and version)',
  help: HELP,
  async run(argv: string[], io: Io) {
    const args = parse(
      argv,
      {
        ...CONNECTION_OPTIONS,
        ...RELEASE_OPTIONS,
        'evidence-trivy': { type: 'string' },
        'evidence-gitleaks': { type: 'string' },
        'evidence-npm-audit': { type: 'string' },
        'evidence-sonarqube': { type: 'string' },
        'no-search-attributes': { type: 'boolean' },
        'allow-concurrent': { type: 'boolean' },
        wait: { type: 'boolean' },
        json: { type: 'boolean' },
      },
      HELP,
      io,
      { min: 1, max: 1, names: 'PLAN-FILE' },
    );
    if (!args) return EXIT.ok;
    const v = args.values;
    const { version, imageTag } = versionAndTag(v);
    const { plan, waves } = loadReleaseOrExit(args.positionals[0]);
    if (plan.approval.allowUnsigned) {
      io.err(
        `warning: ${args.positionals[0]} sets approval.allowUnsigned: anyone who can signal the release can approve it as any approver; the report will say "approved without signatures"`,
      );
    }
    // Handed over as written: a relative path is relative to the worker's evidence root, not to this
    // machine's working directory (the worker refuses anything outside the root or the version's S3 prefix).
    const evidence: EvidenceRefs = {
      trivy: optional(v, 'evidence-trivy'),
      gitleaks: optional(v, 'evidence-gitleaks'),
      npmAudit: optional(v, 'evidence-npm-audit'),
      sonarqubeHotspots: optional(v, 'evidence-sonarqube'),
    };
    const searchAttributes = !v['no-search-attributes'];
    const input: ReleaseInput = {
      plan,
      version,
      imageTag,
      lastKnownGoodTag: optional(v, 'last-known-good'),
      evidence: Object.values(evidence).some(Boolean)
        ? (JSON.parse(JSON.stringify(evidence)) as EvidenceRefs)
        : undefined,
      requestedBy: optional(v, 'requested-by') ?? io.env.HWAYO_USER ?? io.env.USER,
      searchAttributes,
    };
    const workflowId = releaseId(plan.app, version);
    // The workflow refuses what it is given by the same rules; say so here, before anything starts.
    const problems = releaseInputProblems(input, workflowId);
    if (!waves && !problems.length) problems.push(...singleClusterProblems(plan));
    if (problems.length) throw usageError(`the release cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    const taskQueue = optional(v, 'task-queue') ?? io.env.HWAYO_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
    return withClient(v, io, async ({ client }) => {
      await refuseWhileStopped(client);
      if (searchAttributes && !v['allow-concurrent']) await refuseConcurrent(client, plan.app, workflowId);
      let runId: string;
      try {
        // A plan with waves is one release across clusters: the parent workflow (multi-cluster.ts).
        const handle = await client.workflow.start(waves ? MULTI_CLUSTER_WORKFLOW : RELEASE_WORKFLOW, {
          args: [waves ? { ...input, ...waves } : input],
          taskQueue,
          workflowId,
          workflowIdConflictPolicy: 'FAIL',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
          typedSearchAttributes: searchAttributes
            ? [
                { key: SA_APP, value: plan.app },
                { key: SA_VERSION, value: version },
                { key: SA_STAGE, value: 'preflight' },
              ]
            : undefined,
          staticSummary: `${plan.app} ${version} (${imageTag})`,
        });
        runId = handle.firstExecutionRunId;
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          throw new CliError(
            `release ${workflowId} already exists (running, or completed: a completed release is not started again; use a new version). See: hwayo-release status ${workflowId}`,
            EXIT.refused,
          );
        }
        throw err;
      }
      if (!v.wait) {
        io.out(v.json ? JSON.stringify({ releaseId: workflowId, runId }) : workflowId);
        return EXIT.ok;
      }
      if (!v.json) io.out(workflowId);
      return follow(client, workflowId, io, { json: Boolean(v.json), redraw: false });
    });
  },
};

/**
 * Another release of the app still running would share the green namespace. Visibility finds the
 * candidates; describe() confirms each (visibility lags a closed run by a moment). The same id is left
 * to the start itself, which refuses it with its own message.
 */
async function refuseConcurrent(client: Client, app: string, workflowId: string): Promise<void> {
  const running: string[] = [];
  for await (const w of client.workflow.list({ query: listQuery({ app, running: true }), pageSize: 10 })) {
    if (w.workflowId === workflowId) continue;
    const d = await client.workflow
      .getHandle(w.workflowId, w.runId)
      .describe()
      .catch(() => undefined);
    if (d?.status.name === 'RUNNING')
      running.push(`${w.workflowId} (${d.typedSearchAttributes.get(SA_STAGE) ?? 'stage unknown'})`);
    if (running.length >= 5) break;
  }
  if (running.length) {
    throw new CliError(
      `another release of ${app} is still running: ${running.join(', ')}. Two releases of one app would deploy into the same green namespace: wait for it, abort it, or end its retention window early with \`hwayo-release promote ID\` (--allow-concurrent starts anyway; the release-baseline check still applies)`,
      EXIT.refused,
    );
  }
}
