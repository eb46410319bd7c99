// hwayo-release: the command line for CI and people. `run` is the whole CLI as a function (tests
// call it in-process); run as a program it exits with the code `run` returns.
import '../runtime/compile-cache'; // first: the modules below load from the compile cache
import { attestationCommands } from './attestation';
import { audit } from './audit';
import { CliError, EXIT, EXIT_CODES_HELP, processIo, type Command, type Io } from './cli';
import { controlCommands } from './control';
import { historyCommands } from './history';
import { incidentCommands } from './incident';
import { keysCommands } from './keys';
import { list } from './list';
import { planCommands } from './plan';
import { rehearsal } from './rehearsal';
import { report } from './report';
import { schedule } from './schedule';
import { start } from './start';
import { stats } from './stats';
import { stopTheLineCommands } from './stop-the-line';
import { status, watch } from './status';

type Entry = Command | { group: Record<string, Command>; summary: string };

const COMMANDS: Record<string, Entry> = {
  plan: { group: planCommands, summary: 'validate plans, print the default plan and the plan JSON Schema' },
  start,
  schedule,
  rehearsal,
  ...controlCommands,
  ...stopTheLineCommands,
  status,
  watch,
  list,
  report,
  audit,
  stats,
  history: { group: historyCommands, summary: 'export a release history' },
  incident: { group: incidentCommands, summary: 'take, resolve and show the incident a release opened' },
  keys: { group: keysCommands, summary: 'approver keys' },
  attestation: { group: attestationCommands, summary: 'verify signed release attestations' },
};

const isGroup = (e: Entry): e is { group: Record<string, Command>; summary: string } => 'group' in e;

function lines(prefix: string, entries: Record<string, Entry>): string[] {
  return Object.entries(entries).flatMap(([name, e]) =>
    isGroup(e) ? lines(`${prefix}${name} `, e.group) : [`  ${`${prefix}${name}`.padEnd(22)} ${e.summary}`],
  );
}

export const HELP = `Usage: hwayo-release COMMAND [ARGS] [--help]

Durable releases on Temporal: blue-green, canary, signed approvals, rollback.

Commands:
${lines('', COMMANDS).join('\n')}

Release ids are release-<app>-<version>: one release per app and version (see start --help).
Every command has --help. Connection: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE (see start --help).

${EXIT_CODES_HELP}`;

export async function run(argv: string[], io: Io): Promise<number> {
  try {
    const [name, ...rest] = argv;
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      io.out(HELP);
      return name ? EXIT.ok : EXIT.usage;
    }
    const entry = COMMANDS[name];
    if (!entry) throw new CliError(`unknown command "${name}"\n(see hwayo-release --help)`, EXIT.usage);
    if (isGroup(entry)) {
      const [sub, ...args] = rest;
      const groupHelp = `Usage: hwayo-release ${name} SUBCOMMAND [--help]\n\n${lines(`${name} `, entry.group).join('\n')}`;
      if (!sub || sub === '--help' || sub === '-h') {
        io.out(groupHelp);
        return sub ? EXIT.ok : EXIT.usage;
      }
      const cmd = entry.group[sub];
      if (!cmd) throw new CliError(`unknown command "${name} ${sub}"\n\n${groupHelp}`, EXIT.usage);
      return await cmd.run(args, io);
    }
    return await entry.run(rest, io);
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`hwayo-release: ${err.message}`);
      return err.code;
    }
    io.err(`hwayo-release: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return EXIT.internal;
  }
}

/** Runs the CLI as a program: Ctrl-C stops watching (a second one exits), the exit code is set. */
export function main(): void {
  const controller = new AbortController();
  let interrupted = false;
  process.on('SIGINT', () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    controller.abort();
  });
  run(process.argv.slice(2), processIo(controller.signal)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`hwayo-release: ${String(err)}\n`);
      process.exitCode = EXIT.internal;
    },
  );
}

if (require.main === module) main();
