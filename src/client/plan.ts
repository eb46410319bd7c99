// `plan validate FILE` and `plan defaults`: check a plan before a release uses it, and print the
// seed's plan every user plan is merged over.
import { loadReleaseFile } from '../plan/release-file';
import type { WavePlan } from '../plan/waves';
import { stringify } from 'yaml';
import { DEFAULT_PLAN_DOCUMENT } from '../plan/defaults';
import { formatDuration } from '../plan/duration';
import { PLAN_SCHEMA_FILE, planJsonSchemaText } from '../plan/json-schema';
import { loadPlanFile, PlanError } from '../plan/load';
import type { ReleasePlan } from '../plan/types';
import { CliError, EXIT, parse, usageError, type Command, type Io } from './cli';

const VALIDATE_HELP = `Usage: hwayo-release plan validate FILE [--json]

Loads FILE (YAML, or JSON for *.json), merges it over the defaults (see "plan defaults") and
validates it. Prints a summary and exits 0 when valid; prints every problem, one per line, and
exits 2 when not.

  --json   print the normalised plan (durations in milliseconds) instead of a summary`;

const DEFAULTS_HELP = `Usage: hwayo-release plan defaults [--yaml | --json]

Prints the default plan (the seed's numbers), the document every plan file is merged over.
YAML unless --json.`;

/** Loads a plan file, turning plan problems into exit code 2 with the validator's messages. */
export function loadPlanOrExit(file: string): ReleasePlan {
  try {
    return loadPlanFile(file);
  } catch (err) {
    if (err instanceof PlanError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}

/** A plan file that may name waves (a multi-cluster release); bad input is a usage error. */
export function loadReleaseOrExit(file: string): ReturnType<typeof loadReleaseFile> {
  try {
    return loadReleaseFile(file);
  } catch (err) {
    if (err instanceof PlanError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}

/** The waves as `plan validate` prints them (the policy's clusters are checked when the release starts). */
export function wavesLine(w: WavePlan): string {
  const waves = w.waves.map(
    (x, i) =>
      `${i + 1}${x.gate ? ' (gated)' : ''}: ${x.clusters.map((c) => c.name + (c.steps ? ' (own steps)' : '')).join(', ')}` +
      (x.bakeMs ? `, bake ${formatDuration(x.bakeMs)}` : ''),
  );
  return `  waves:       ${waves.join('; ')}; onFailure ${w.onFailure}`;
}

export function summarizePlan(file: string, p: ReleasePlan): string {
  const signed = p.approval.approvers.filter((a) => a.publicKey).length;
  return [
    `${file}: valid plan for ${p.app}`,
    `  services:    ${p.services.map((s) => s.name).join(', ')}`,
    `  namespaces:  blue ${p.environments.blue}, green ${p.environments.green}${p.environments.alternate ? ' (alternating: whichever carries all traffic is blue)' : ''}`,
    `  approval:    ${p.approval.requiredRoles.join(', ')} within ${formatDuration(p.approval.timeoutMs)}; ${p.approval.approvers.length} approvers, ${signed} with keys${p.approval.allowUnsigned ? ' (UNSIGNED decisions allowed: approval.allowUnsigned)' : ' (signatures required)'}${p.approval.operators?.length ? `; ${p.approval.operators.length} operators` : ''}`,
    `  preflight:   ${p.preflight.checks.length} checks`,
    `  canary:      ${p.canary.steps.map((s) => `${s.weight}% for ${formatDuration(s.watchMs)}`).join(' -> ')}; analysis every ${formatDuration(p.canary.analysisIntervalMs)}`,
    `  full switch: watch ${formatDuration(p.fullSwitch.watchMs)}; blue kept ${formatDuration(p.retention.blueKeepMs)}`,
    `  metrics:     ${p.metrics.map((m) => m.name).join(', ')}`,
  ].join('\n');
}

const validate: Command = {
  summary: 'validate a plan file (exit 2 with every problem when invalid)',
  help: VALIDATE_HELP,
  async run(argv: string[], io: Io) {
    const args = parse(argv, { json: { type: 'boolean' } }, VALIDATE_HELP, io, { min: 1, max: 1, names: 'FILE' });
    if (!args) return EXIT.ok;
    const file = args.positionals[0];
    const { plan, waves } = loadReleaseOrExit(file);
    if (args.values.json) io.out(JSON.stringify(waves ? { ...plan, ...waves } : plan, null, 2));
    else io.out(summarizePlan(file, plan) + (waves ? `\n${wavesLine(waves)}` : ''));
    return EXIT.ok;
  },
};

const defaults: Command = {
  summary: 'print the default plan (YAML, or --json)',
  help: DEFAULTS_HELP,
  async run(argv: string[], io: Io) {
    const args = parse(argv, { json: { type: 'boolean' }, yaml: { type: 'boolean' } }, DEFAULTS_HELP, io, {
      min: 0,
      max: 0,
      names: '',
    });
    if (!args) return EXIT.ok;
    if (args.values.json && args.values.yaml) throw usageError('--json and --yaml exclude each other');
    io.out(
      args.values.json
        ? JSON.stringify(DEFAULT_PLAN_DOCUMENT, null, 2)
        : stringify(DEFAULT_PLAN_DOCUMENT, { lineWidth: 0 }),
    );
    return EXIT.ok;
  },
};

const SCHEMA_HELP = `Usage: hwayo-release plan schema

Prints the JSON Schema of plan files (generated from the validator; ${PLAN_SCHEMA_FILE} is a
copy). Editors that read the line
  # yaml-language-server: $schema=<path to plan.schema.json>
at the top of a plan complete and check its fields as you type. Rules that relate several fields
are checked by "plan validate" only.`;

const schema: Command = {
  summary: 'print the JSON Schema of plan files (for editors)',
  help: SCHEMA_HELP,
  async run(argv: string[], io: Io) {
    const args = parse(argv, {}, SCHEMA_HELP, io, { min: 0, max: 0, names: '' });
    if (!args) return EXIT.ok;
    io.out(planJsonSchemaText().trimEnd());
    return EXIT.ok;
  },
};

export const planCommands: Record<string, Command> = { validate, defaults, schema };
