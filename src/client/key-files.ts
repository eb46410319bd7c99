// Private key files, written and read the way ssh treats its keys: a new file is created beside the
// target (O_EXCL|O_NOFOLLOW, mode 0600), synced and renamed over it, so an existing file's looser mode
// is never kept and a planted symlink is never written through; a key others can read is refused.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CliError, EXIT, usageError } from './cli';

const { O_CREAT, O_EXCL, O_WRONLY, O_NOFOLLOW, O_RDONLY } = constants;
const STICKY = 0o1000;
const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;
const code = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw usageError(`cannot inspect ${path}: ${code(err)}`);
  }
}

/** Refuses a directory where others could swap the file after we wrote it. */
function checkDirectory(dir: string): void {
  const st = statSync(dir);
  if ((st.mode & 0o022) !== 0 && (st.mode & STICKY) === 0)
    throw new CliError(
      `${dir} (mode ${octal(st.mode)}) is writable by group or others without the sticky bit: ` +
        `someone else could replace the key file; chmod 700 ${dir} or choose another --out`,
      EXIT.refused,
    );
}

/** Writes `text` as `file` with mode 0600; an existing file is replaced only with `force`, a symlink never. */
export function writePrivateKeyFile(file: string, text: string, force: boolean): void {
  const dir = dirname(file);
  checkDirectory(dir);
  const existing = lstatOrUndefined(file);
  if (existing?.isSymbolicLink())
    throw new CliError(`${file} is a symbolic link; remove it (a key is never written through a link)`, EXIT.refused);
  if (existing && !force)
    throw new CliError(`${file} exists; pass --force to replace it (rotation: see --help)`, EXIT.refused);
  if (existing && !existing.isFile()) throw new CliError(`${file} is not a regular file`, EXIT.refused);
  const tmp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, 0o600);
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    // rename replaces the directory entry (a file or a link that appeared meanwhile), never what it points to.
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // not created, or already renamed
    }
    throw usageError(`cannot write ${file}: ${code(err)}`);
  }
}

/** Reads a private key file; refuses one that is not a regular file or that group or others may access. */
export function readPrivateKeyFile(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, O_RDONLY);
  } catch (err) {
    throw usageError(`cannot read key file ${file}: ${code(err)}`);
  }
  try {
    // The mode of what was opened (after any link), not of a path that may change in between.
    const st = fstatSync(fd);
    if (!st.isFile()) throw usageError(`key file ${file} is not a regular file`);
    if ((st.mode & 0o077) !== 0)
      throw usageError(
        `key file ${file} has mode ${octal(st.mode)}: group or others may read it; ` +
          `a private key must be yours alone: chmod 600 ${file}`,
      );
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
