// A release worker in the test process, as src/worker.ts builds it: the real workflows and activities,
// the codec from the environment, on the stack's TEMPORAL_ADDRESS (the dev server, or the cluster
// when temporal-cluster runs).
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { ActivityConfig } from '../../src/activities/config';
import { WorkerMetrics } from '../../src/worker/metrics';
import { dataConverterFromEnv } from '../../src/codec';
import { stackVar } from './stack';
import { roleMetadata } from './stack-tokens';

export interface StackWorker {
  worker: Worker;
  running: Promise<void>;
  connection: NativeConnection;
}

export async function startStackWorker(taskQueue: string, config: ActivityConfig): Promise<StackWorker> {
  const connection = await NativeConnection.connect({
    address: stackVar('TEMPORAL_ADDRESS'),
    metadata: roleMetadata('worker'),
  });
  const worker = await Worker.create({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue,
    workflowsPath: require.resolve('../../src/workflows'),
    activities: createActivities(config),
    dataConverter: dataConverterFromEnv(),
    sinks: new WorkerMetrics().sinks(),
  });
  return { worker, running: worker.run(), connection };
}
