// `hwayo-release schedule`: a release that starts when its next release window opens, through a Temporal
// Schedule (calendar in the windows' own IANA zone, one action), listable and cancellable. The windows come from
// the platform policy document (--policy, the ConfigMap file or its policy.yaml).
import { readFileSync } from 'node:fs';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { parse as parseYaml } from 'yaml';
import type { ReleasePlan } from '../plan/types';
import { parsePolicy, POLICY_KEY } from '../policy/schema';
import { environmentFor } from '../policy/tighten';
import { minutesOf, type Windows } from '../policy/windows';
import { knownZone, occurrences, type OpenWindow } from '../policy/zone-time';
import { DEFAULT_TASK_QUEUE, type ReleaseInput } from '../workflows/definitions';
import { releaseInputProblems } from '../workflows/input';
import type { ScheduledRelease } from '../workflows/scheduled';
import { CliError, EXIT, EXIT_CODES_HELP, optional, parse, required, usageError, type Command, type Io } from './cli';
import { CONNECTION_HELP, CONNECTION_OPTIONS, withClient } from './connection';
import { loadPlanOrExit } from './plan';
import { RELEASE_OPTIONS, releaseId, versionAndTag } from './start';

export const SCHEDULE_PREFIX = 'hwayo-release-schedule-';
const DAY_NAMES = {
  sun: 'SUNDAY',
  mon: 'MONDAY',
  tue: 'TUESDAY',
  wed: 'WEDNESDAY',
  thu: 'THURSDAY',
  fri: 'FRIDAY',
  sat: 'SATURDAY',
} as const;

/** The windows the policy document at `file` sets for the plan's environment. */
export function windowsFor(file: string, plan: ReleasePlan): Windows {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw usageError(`cannot read the policy ${file}: ${(err as Error).message}`);
  }
  const data = (doc as { kind?: string; data?: Record<string, string> })?.kind === 'ConfigMap';
  if (data) doc = parseYaml((doc as { data?: Record<string, string> }).data?.[POLICY_KEY] ?? '');
  const { policy, problems } = parsePolicy(doc);
  if (!policy) throw usageError(`the policy ${file} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const env = environmentFor(policy, plan);
  if (!env?.windows) throw usageError(`the policy ${file} sets no release windows for this plan's namespaces`);
  if (!knownZone(env.windows.timeZone)) throw usageError(`unknown time zone ${env.windows.timeZone}`);
  return env.windows;
}

/** The next opening after `nowMs` (what the Schedule's calendar will match first). */
export function nextWindow(windows: Windows, nowMs: number): OpenWindow | undefined {
  return occurrences(windows, nowMs, nowMs + 8 * 86_400_000).find((w) => w.openMs > nowMs);
}

/** Creates the one-shot Schedule that starts the release when its next window opens. */
export async function scheduleRelease(
  client: Client,
  s: ScheduledRelease,
  windows: Windows,
  taskQueue: string,
): Promise<string> {
  const scheduleId = `${SCHEDULE_PREFIX}${s.releaseId}`;
  await client.schedule.create({
    scheduleId,
    spec: {
      calendars: windows.weekly.map((w) => ({
        dayOfWeek: w.days.map((d) => DAY_NAMES[d]),
        hour: Math.floor(minutesOf(w.start) / 60),
        minute: minutesOf(w.start) % 60,
        comment: `window ${w.name}`,
      })),
      timezone: windows.timeZone,
    },
    action: {
      type: 'startWorkflow',
      workflowType: 'scheduledReleaseWorkflow',
      args: [s],
      taskQueue,
      workflowId: `hwayo-scheduled-${s.releaseId}`,
    },
    state: { remainingActions: 1, note: `${s.releaseId} at the next release window` },
  });
  return scheduleId;
}

const HELP = `Usage: hwayo-release schedule PLAN-FILE --version V --image-tag TAG --policy FILE [options]
       hwayo-release schedule list [--json]
       hwayo-release schedule cancel SCHEDULE-ID|RELEASE-ID

Starts the release when the next release window of the platform policy opens, through a Temporal Schedule
(a calendar in the windows' IANA zone, one action). The release still checks everything a started one does.

Options:
  --version V, --image-tag TAG, --last-known-good TAG, --requested-by NAME   as for start
  --policy FILE         the platform policy (deploy/kubernetes/policy.yaml or its policy.yaml document)
  --task-queue NAME     worker task queue (default HWAYO_TASK_QUEUE or "${DEFAULT_TASK_QUEUE}")
  --json                machine-readable output

${CONNECTION_HELP}

${EXIT_CODES_HELP}`;

async function list(client: Client, io: Io, json: boolean): Promise<number> {
  const rows: { scheduleId: string; next?: string; note?: string }[] = [];
  for await (const s of client.schedule.list())
    if (s.scheduleId.startsWith(SCHEDULE_PREFIX))
      rows.push({ scheduleId: s.scheduleId, next: s.info.nextActionTimes[0]?.toISOString(), note: s.state.note });
  if (json) io.out(JSON.stringify(rows));
  else if (!rows.length) io.out('no scheduled releases');
  else for (const r of rows) io.out(`${r.scheduleId}  next ${r.next ?? '-'}  ${r.note ?? ''}`);
  return EXIT.ok;
}

async function cancel(client: Client, io: Io, id: string): Promise<number> {
  const scheduleId = id.startsWith(SCHEDULE_PREFIX) ? id : `${SCHEDULE_PREFIX}${id}`;
  try {
    await client.schedule.getHandle(scheduleId).delete();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new CliError(`no scheduled release ${scheduleId}`, EXIT.refused);
    throw err;
  }
  io.out(`${scheduleId} cancelled`);
  return EXIT.ok;
}

export const schedule: Command = {
  summary: 'start a release at the next release window (Temporal Schedule); list, cancel',
  help: HELP,
  async run(argv: string[], io: Io) {
    const args = parse(
      argv,
      {
        ...CONNECTION_OPTIONS,
        ...RELEASE_OPTIONS,
        policy: { type: 'string' },
        json: { type: 'boolean' },
      },
      HELP,
      io,
      { min: 1, max: 2, names: 'PLAN-FILE | list | cancel ID' },
    );
    if (!args) return EXIT.ok;
    const v = args.values;
    const [first, second] = args.positionals;
    if (first === 'list') return withClient(v, io, ({ client }) => list(client, io, Boolean(v.json)));
    if (first === 'cancel') {
      if (!second) throw usageError('schedule cancel needs a SCHEDULE-ID or RELEASE-ID');
      return withClient(v, io, ({ client }) => cancel(client, io, second));
    }
    if (second) throw usageError(`unexpected argument ${second}`);
    const { version, imageTag } = versionAndTag(v);
    const plan = loadPlanOrExit(first);
    const windows = windowsFor(required(v, 'policy'), plan);
    const input: ReleaseInput = {
      plan,
      version,
      imageTag,
      lastKnownGoodTag: optional(v, 'last-known-good'),
      requestedBy: optional(v, 'requested-by') ?? io.env.HWAYO_USER ?? io.env.USER,
    };
    const id = releaseId(plan.app, version);
    const problems = releaseInputProblems(input, id);
    if (problems.length) throw usageError(`the release cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    const taskQueue = optional(v, 'task-queue') ?? io.env.HWAYO_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
    const next = nextWindow(windows, Date.now());
    return withClient(v, io, async ({ client }) => {
      const scheduleId = await scheduleRelease(client, { releaseId: id, input }, windows, taskQueue);
      const when = next ? `${new Date(next.openMs).toISOString()} (window ${next.name}, ${windows.timeZone})` : '?';
      io.out(
        v.json
          ? JSON.stringify({ scheduleId, releaseId: id, startsAt: next && iso(next.openMs) })
          : `${scheduleId}: ${id} starts at ${when}`,
      );
      return EXIT.ok;
    });
  },
};

const iso = (ms: number) => new Date(ms).toISOString();
