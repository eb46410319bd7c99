// Approver keys: `keys generate` makes an ed25519 key pair; the private key stays with the approver
// (mode 0600, see key-files.ts), the public key goes into the plan (approval.approvers[].publicKey).
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fromBase64, toBase64 } from '../plan/public-keys';
import { publicKeyOf } from '../workflows/signatures';
import { EXIT, parse, required, usageError, type Command, type Io } from './cli';
import { readPrivateKeyFile, writePrivateKeyFile } from './key-files';

const GENERATE_HELP = `Usage: hwayo-release keys generate --id APPROVER-ID --out DIR [--force] [--json]

Creates an ed25519 key pair for an approver. Writes DIR/<id>.key (the base64 32-byte private key,
file mode 0600; keep it private, e.g. in your password manager or CI secret store) and prints the
base64 public key. Put the public key in the plan:

  approval:
    approvers:
      - { id: <id>, role: <role>, publicKey: <printed key> }

Then sign decisions with: hwayo-release approve RELEASE-ID --as <id> --key DIR/<id>.key

Rotation: generate a new key, replace the approver's publicKey in the plan, delete the old key file.
A plan travels inside each release when it starts, so the change applies to releases started after
it; releases already waiting keep accepting the key they were started with.

  --force   replace an existing key file (never a symbolic link)

The key is written to a new file (mode 0600) that replaces DIR/<id>.key, so a looser mode of an old
file is not kept; DIR must not be writable by group or others (unless sticky, like /tmp). A key file
that group or others may read is refused wherever --key reads it (chmod 600 FILE), as ssh does.
  --json    print {"id", "publicKey", "keyFile"}`;

const PUBLIC_HELP = `Usage: hwayo-release keys public --key FILE

Prints the base64 public key of a private key file (to check which key a plan entry belongs to).`;

/** Reads a private key file written by `keys generate` (base64 of 32 bytes). */
export function readPrivateKey(file: string): Uint8Array {
  const text = readPrivateKeyFile(file).trim();
  const key = fromBase64(text);
  if (!key || key.length !== 32)
    throw usageError(`${file} is not an approver key (expected the base64 of 32 bytes, as written by "keys generate")`);
  return key;
}

const generate: Command = {
  summary: 'create an approver key pair (private key file + public key for the plan)',
  help: GENERATE_HELP,
  async run(argv: string[], io: Io) {
    const args = parse(
      argv,
      { id: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
      GENERATE_HELP,
      io,
      { min: 0, max: 0, names: '' },
    );
    if (!args) return EXIT.ok;
    const id = required(args.values, 'id');
    const dir = required(args.values, 'out');
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id))
      throw usageError(`--id "${id}" must be letters, digits, ".", "_" or "-" (it names the key file)`);
    const file = join(dir, `${id}.key`);
    const privateKey = new Uint8Array(randomBytes(32));
    const publicKey = publicKeyOf(privateKey);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw usageError(`cannot create ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    writePrivateKeyFile(file, `${toBase64(privateKey)}\n`, args.values.force === true);
    if (args.values.json) {
      io.out(JSON.stringify({ id, publicKey, keyFile: file }));
    } else {
      io.out(
        `private key written to ${file} (mode 0600)\npublic key for the plan (approval.approvers[id=${id}].publicKey):\n${publicKey}`,
      );
    }
    return EXIT.ok;
  },
};

const pub: Command = {
  summary: 'print the public key of a private key file',
  help: PUBLIC_HELP,
  async run(argv: string[], io: Io) {
    const args = parse(argv, { key: { type: 'string' } }, PUBLIC_HELP, io, { min: 0, max: 0, names: '' });
    if (!args) return EXIT.ok;
    io.out(publicKeyOf(readPrivateKey(required(args.values, 'key'))));
    return EXIT.ok;
  },
};

export const keysCommands: Record<string, Command> = { generate, public: pub };
