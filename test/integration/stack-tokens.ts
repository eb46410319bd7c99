// The local cluster's role tokens (temporal-cluster writes them and sets HWAYO_TEMPORAL_TOKEN_DIR); on
// the dev server, which has no authorizer, there are none and these add nothing.
import { join } from 'node:path';
import { readTokenFile } from '../../src/temporal-token';

export type Role = 'worker' | 'ci' | 'operator' | 'reader' | 'admin';

export const tokenFile = (role: Role): string | undefined => {
  const dir = process.env.HWAYO_TEMPORAL_TOKEN_DIR;
  return dir ? join(dir, `${role}.jwt`) : undefined;
};

/** gRPC metadata carrying ROLE's token, for Connection/NativeConnection.connect. */
export const roleMetadata = (role: Role): Record<string, string> | undefined => {
  const file = tokenFile(role);
  return file ? { authorization: `Bearer ${readTokenFile(file)}` } : undefined;
};

/** The environment for the CLI acting as ROLE. */
export const roleEnv = (role: Role, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv => {
  const file = tokenFile(role);
  return file ? { ...env, HWAYO_TEMPORAL_TOKEN_FILE: file } : env;
};
