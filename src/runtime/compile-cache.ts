// Node's on-disk compile cache (Node 22.1+): a restarted worker or CLI reuses the bytecode of its ~2,000
// modules instead of compiling them again, which was a third of the worker's start (3.7 s -> 2.5 s idle,
// docs/benchmarks.md). Imported first by each entry point, so that it is on before the other modules load.
// NODE_COMPILE_CACHE picks the directory (default: the OS temp directory); HWAYO_COMPILE_CACHE=off turns it
// off. A directory that cannot be written leaves it off and changes nothing else.
import * as nodeModule from 'node:module';

const enable = (nodeModule as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache;
if (process.env.HWAYO_COMPILE_CACHE !== 'off') enable?.();
