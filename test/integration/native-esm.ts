// @kubernetes/client-node 1.x ships as ES modules only. Node >= 22 loads them with require(), but
// Jest's module system cannot (and it wraps `node:module`'s createRequire), so tests map the package
// to Node's own require, reached through process.getBuiltinModule:
//   jest.mock('@kubernetes/client-node', () => jest.requireActual('./native-esm').kubernetesClient());
import type { createRequire } from 'node:module';

export function kubernetesClient(): unknown {
  const nodeModule = process.getBuiltinModule('node:module') as { createRequire: typeof createRequire };
  return nodeModule.createRequire(__filename)('@kubernetes/client-node');
}
