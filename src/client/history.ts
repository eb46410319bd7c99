// `history export`: the workflow's event history as JSON (the format `temporal workflow show
// --output json` writes and Worker.runReplayHistory reads), for replay tests and audits. Payloads
// stay as stored (encoded by the codec, if one is configured).
import { writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { EXIT, optional, parse, usageError, type Command, type Io } from './cli';
import { CONNECTION_HELP, CONNECTION_OPTIONS, releaseHandle, withClient } from './connection';

const HELP = `Usage: hwayo-release history export RELEASE-ID [--run-id ID] [--out FILE]

Exports the release's event history as JSON (to stdout, or FILE). Replay it with
Worker.runReplayHistory (test/histories/ keeps such files) or keep it for audits.

  --run-id ID   a specific run (default: the latest)
  --out FILE    write to FILE

${CONNECTION_HELP}`;

const exportCmd: Command = {
  summary: 'export a release history as JSON (replay tests, audits)',
  help: HELP,
  async run(argv: string[], io: Io) {
    const args = parse(
      argv,
      { ...CONNECTION_OPTIONS, 'run-id': { type: 'string' }, out: { type: 'string' } },
      HELP,
      io,
      { min: 1, max: 1, names: 'RELEASE-ID' },
    );
    if (!args) return EXIT.ok;
    const id = args.positionals[0];
    const json = await withClient(args.values, io, async ({ client }) => {
      await releaseHandle(client, id);
      const history = await client.workflow.getHandle(id, optional(args.values, 'run-id')).fetchHistory();
      return historyToJSON(history);
    });
    const out = optional(args.values, 'out');
    if (!out) {
      io.out(json);
      return EXIT.ok;
    }
    try {
      writeFileSync(out, `${json}\n`);
    } catch (err) {
      throw usageError(`cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    io.err(`history of ${id} written to ${out}`);
    return EXIT.ok;
  },
};

export const historyCommands: Record<string, Command> = { export: exportCmd };
