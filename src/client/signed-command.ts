// The frame of every signed command (approve, reject, the controls, freeze/unfreeze, incident ack/resolve): the
// connection flags plus --key and --json, strict parsing, --help, and the private key read from --key FILE or the
// file HWAYO_APPROVER_KEY names. Each command keeps its own checks, statement and send.
import { EXIT, parse, optional, type Command, type Io, type Options } from './cli';
import { CONNECTION_OPTIONS } from './connection';
import { readPrivateKey } from './keys';

export interface SignedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** The signer's private key, read when asked (after the command's own checks); undefined when none is named. */
  privateKey(): Uint8Array | undefined;
}

export function signedCommand(spec: {
  summary: string;
  help: string;
  options: Options;
  positionals: { min: number; max: number; names: string };
  run(args: SignedArgs, io: Io): Promise<number>;
}): Command {
  const options = {
    ...CONNECTION_OPTIONS,
    key: { type: 'string' },
    json: { type: 'boolean' },
    ...spec.options,
  } as const;
  return {
    summary: spec.summary,
    help: spec.help,
    async run(argv: string[], io: Io) {
      const args = parse(argv, options, spec.help, io, spec.positionals);
      if (!args) return EXIT.ok;
      const privateKey = () => {
        const file = optional(args.values, 'key') ?? io.env.HWAYO_APPROVER_KEY;
        return file ? readPrivateKey(file) : undefined;
      };
      return spec.run({ ...args, privateKey }, io);
    },
  };
}
