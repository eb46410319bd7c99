// The bearer token for a Temporal cluster with authorization (HWAYO_TEMPORAL_TOKEN_FILE: a JWT whose
// roles the cluster checks, docs/security.md): read from a file only its owner may read, as ssh reads
// keys, and sent as `authorization: Bearer <token>` on every call; never in plaintext off the machine.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';

export const TOKEN_FILE_VAR = 'HWAYO_TEMPORAL_TOKEN_FILE';
const MAX_TOKEN_BYTES = 16 * 1024;

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/** The token in FILE; throws (saying why and the fix) when it is unusable. */
export function readTokenFile(file: string): string {
  const token = readOwnerOnlyFile(file, 'token', MAX_TOKEN_BYTES);
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token))
    throw new Error(`token file ${file} does not hold one JWT (header.payload.signature)`);
  return token;
}

/** The trimmed text of a secret FILE only its owner may read, as ssh reads keys; throws saying why and the fix. */
export function readOwnerOnlyFile(file: string, what: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new Error(`cannot read ${what} file ${file}: ${errno(err)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${what} file ${file} is not a regular file`);
    if ((st.mode & 0o077) !== 0)
      throw new Error(
        `${what} file ${file} has mode 0${(st.mode & 0o777).toString(8)}: group or others may read it; ` +
          `a ${what} must be yours alone: chmod 600 ${file}`,
      );
    if (st.size > maxBytes) throw new Error(`${what} file ${file} is larger than ${maxBytes} bytes`);
    return readFileSync(fd, 'utf8').trim();
  } finally {
    closeSync(fd);
  }
}

export const isLoopback = (address: string): boolean => {
  const host = address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost') return true;
  return isIP(host) === 4 ? host.startsWith('127.') : host === '::1';
};

/**
 * gRPC metadata carrying the token, or undefined without one. A token goes in plaintext only to a
 * loopback address: anywhere else the connection must use TLS.
 */
export function tokenMetadata(
  token: string | undefined,
  address: string,
  tls: boolean,
): Record<string, string> | undefined {
  if (!token) return undefined;
  if (!tls && !isLoopback(address))
    throw new Error(
      `a token is sent only over TLS or to a loopback address; ${address} without TLS ` +
        `would expose it (set TEMPORAL_TLS=true or the TLS files)`,
    );
  return { authorization: `Bearer ${token}` };
}
