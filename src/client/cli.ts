// Shared pieces of the command line: exit codes, errors that carry one, argument parsing with
// `node:util` parseArgs, and the output sink (so tests can run commands in-process).
import { createInterface } from 'node:readline/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Outcome } from '../workflows/definitions';

/** Exit codes; documented in docs/cli.md and in `hwayo-release --help`. */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  rolledBack: 3,
  rejected: 4,
  failed: 5,
  unreachable: 6,
  refused: 7,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  success (for start --wait / watch: the release succeeded)
  1  unexpected internal error
  2  invalid input: bad flags, invalid plan, unreadable file (or the workflow refused its input)
  3  the release rolled back (also after success, or via the emergency path)
  4  the release was rejected or the approval timed out
  5  the release was aborted, failed, failed preflight or was cancelled
  6  cannot reach Temporal
  7  refused by the workflow, release not found, already finished or already started;
     an attestation that does not verify`;

/** The exit code a finished (or decided) release maps to. */
export function exitCodeForOutcome(outcome: Outcome | undefined): number {
  switch (outcome) {
    case 'succeeded':
      return EXIT.ok;
    case 'rolled-back':
    case 'rolled-back-after-success':
    case 'emergency-recovered':
    case 'emergency-failed':
      return EXIT.rolledBack;
    case 'rejected':
    case 'approval-timed-out':
      return EXIT.rejected;
    case 'invalid-input':
      return EXIT.usage;
    default:
      return EXIT.failed;
  }
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number = EXIT.internal,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** True when stdout is a terminal (watch redraws in place only then). */
  isTTY: boolean;
  /** Cancelled on Ctrl-C; long-running commands (watch, --wait) stop early when it fires. */
  signal?: AbortSignal;
  /** Asks a yes/no question on the terminal; absent when stdin is not one (CI): commands then need --yes. */
  confirm?: (question: string) => Promise<boolean>;
}

export function processIo(signal?: AbortSignal): Io {
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY),
    signal,
    ...(process.stdin.isTTY ? { confirm: askOnTerminal } : {}),
  };
}

async function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  /** One line for the command list. */
  summary: string;
  /** Full `--help` text. */
  help: string;
  run(argv: string[], io: Io): Promise<number>;
}

/**
 * Parses argv strictly; bad flags are usage errors (exit 2) that point at --help.
 * Returns undefined when --help was asked for (the help has been printed).
 */
export function parse<O extends Options>(
  argv: string[],
  options: O,
  help: string,
  io: Io,
  positionals: { min: number; max: number; names: string },
) {
  const config = {
    args: argv,
    options: { ...options, help: { type: 'boolean', short: 'h' } } as O & { help: { type: 'boolean'; short: 'h' } },
    allowPositionals: true as const,
    strict: true as const,
  };
  let parsed: ReturnType<typeof parseArgs<typeof config>>;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    throw usageError(`${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')}\n(see --help)`);
  }
  if ((parsed.values as Record<string, unknown>).help) {
    io.out(help);
    return undefined;
  }
  const n = parsed.positionals.length;
  if (n < positionals.min) throw usageError(`missing ${positionals.names}\n(see --help)`);
  if (n > positionals.max)
    throw usageError(
      `unexpected argument${n - positionals.max > 1 ? 's' : ''}: ${parsed.positionals.slice(positionals.max).join(' ')}\n(see --help)`,
    );
  return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
}

/** A string flag that must be present. */
export function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || !v.trim()) throw usageError(`--${name} is required\n(see --help)`);
  return v;
}

export function optional(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Who is acting: --by, else HWAYO_USER, else the login name. */
export function actor(values: Record<string, unknown>, io: Io): string {
  const v = optional(values, 'by') ?? io.env.HWAYO_USER ?? io.env.USER ?? io.env.LOGNAME;
  if (!v) throw usageError('cannot tell who you are: pass --by NAME (or set HWAYO_USER)');
  return v;
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
