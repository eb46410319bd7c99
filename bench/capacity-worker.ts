// The worker of the capacity bench (bench/capacity.ts): the production worker's configuration and
// Worker options (src/worker/config.ts, src/worker/start.ts: same bundle, interceptors, sinks, tuning
// variables), but the activities are test/workflows/fake-world.ts's, which return at once. So the
// bench measures the workflow side (Temporal server, workflow tasks, the worker's cache and CPU), not
// Kubernetes or Prometheus. GET /progress on HWAYO_BENCH_PROGRESS_PORT answers
// {workflowId: ms of its last completed activity} for the releases this process served.
import { createServer } from 'node:http';
import { Context } from '@temporalio/activity';
import { Runtime } from '@temporalio/worker';
import type { Activities } from '../src/activities';
import { loadWorkerConfig } from '../src/worker/config';
import { JsonLogger } from '../src/worker/logging';
import { WorkerMetrics } from '../src/worker/metrics';
import { connect, createWorker } from '../src/worker/start';
import { FakeWorld } from '../test/workflows/fake-world';

const progress = new Map<string, number>();

/** The fake world's activities, each noting when its release last made progress. */
export function benchActivities(): Activities {
  const world = new FakeWorld();
  // The world records every call for tests to read; a bench of thousands of releases must not keep them.
  world.onCall = () => void (world.calls.length = 0);
  const acts = world.activities() as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  return Object.fromEntries(
    Object.entries(acts).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        const r = await fn(...args);
        const id = Context.current().info.workflowExecution?.workflowId;
        if (id) progress.set(id, Date.now());
        return r;
      },
    ]),
  ) as unknown as Activities;
}

async function main(): Promise<void> {
  const config = loadWorkerConfig([], process.env);
  const metrics = new WorkerMetrics();
  Runtime.install({
    logger: new JsonLogger('WARN'),
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    telemetryOptions: {
      logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
      metrics: { prometheus: { bindAddress: `127.0.0.1:${config.sdkMetricsPort}` } },
    },
  });
  const http = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(Object.fromEntries(progress)));
  });
  http.listen(Number(process.env.HWAYO_BENCH_PROGRESS_PORT), '127.0.0.1');
  const connection = await connect(config);
  const { worker } = await createWorker(config, connection, metrics, benchActivities());
  await worker.run();
  http.close();
  await connection.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
