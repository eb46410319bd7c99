// The hwayo-release worker: `node dist/src/worker.js [--config FILE]`. Validates its configuration
// (exit 2 on a problem, nothing started), serves /metrics /healthz /readyz, runs the release
// workflow and its activities until SIGTERM/SIGINT, then drains and exits 0.
import './runtime/compile-cache'; // first: the modules below load from the compile cache
import { Runtime } from '@temporalio/worker';
import { codecMode } from './codec/mode';
import { ConfigError, loadWorkerConfig, type WorkerConfig } from './worker/config';
import { alertTargetsOn } from './worker/alert-targets';
import { createAlertWebhook } from './worker/alert-webhook';
import { createWorkerHttpServer, listen } from './worker/http';
import { JsonLogger, stageObserver } from './worker/logging';
import { WorkerMetrics } from './worker/metrics';
import { connect, createWorker } from './worker/start';
import { flushTracing } from './telemetry/tracing';

async function main(): Promise<number> {
  let config: WorkerConfig;
  try {
    config = loadWorkerConfig();
  } catch (err) {
    process.stderr.write(
      `${err instanceof ConfigError ? err.message : `invalid worker configuration: ${(err as Error).message}`}\n`,
    );
    return 2;
  }
  const metrics = new WorkerMetrics();
  const logger = new JsonLogger(config.logLevel, undefined, [
    stageObserver((id, stage) => metrics.setStage(id, stage)),
  ]);
  Runtime.install({
    logger,
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    telemetryOptions: {
      logging: { forward: {}, filter: { core: config.logLevel === 'TRACE' ? 'TRACE' : 'WARN', other: 'ERROR' } },
      ...(config.sdkMetricsPort
        ? { metrics: { prometheus: { bindAddress: `${config.http.host}:${config.sdkMetricsPort}` } } }
        : {}),
    },
  });

  let worker: Awaited<ReturnType<typeof createWorker>>['worker'] | undefined;
  let connection: Awaited<ReturnType<typeof connect>> | undefined;
  let lastCheck = { at: 0, ok: false, detail: 'starting' };
  const http = createWorkerHttpServer(metrics.registry, {
    async ready() {
      if (!worker || !connection || worker.getState() !== 'RUNNING')
        return { ready: false, detail: `worker ${worker?.getState() ?? 'starting'}` };
      if (Date.now() - lastCheck.at > 2000) {
        const c = connection;
        lastCheck = await Promise.race([
          c.workflowService
            .getSystemInfo({})
            .then(() => ({ at: Date.now(), ok: true, detail: 'running and connected' })),
          new Promise<typeof lastCheck>((r) =>
            setTimeout(
              () => r({ at: Date.now(), ok: false, detail: 'Temporal frontend did not answer within 2 s' }),
              2000,
            ).unref(),
          ),
        ]).catch((err: unknown) => ({
          at: Date.now(),
          ok: false,
          detail: `Temporal frontend unreachable: ${(err as Error).message}`,
        }));
      }
      return { ready: lastCheck.ok, detail: lastCheck.detail };
    },
  });
  const httpPort = await listen(http, config.http.host, config.http.port);
  let alerts: ReturnType<typeof createAlertWebhook> | undefined;

  try {
    connection = await connect(config);
    const created = await createWorker(config, connection, metrics);
    worker = created.worker;
    if (config.alertWebhook) {
      // Loopback only: Alertmanager runs beside the worker; the token keeps other local processes out.
      const targets = alertTargetsOn(connection, config.temporal.namespace, config.env);
      alerts = createAlertWebhook(config.alertWebhook.token, targets, logger);
      const port = await listen(alerts, '127.0.0.1', config.alertWebhook.port);
      logger.info('alert webhook listening', { url: `http://127.0.0.1:${port}/alerts` });
    }
    logger.info('worker starting', {
      address: config.temporal.address,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      ...(config.temporal.cluster ? { cluster: config.temporal.cluster } : {}),
      workflows: created.mode,
      encryption: codecMode(config.env).kind === 'keys' ? 'aes-256-gcm' : 'off (HWAYO_CODEC=off)',
      httpPort,
      sdkMetricsPort: config.sdkMetricsPort || 'off',
      shutdownGraceMs: config.shutdownGraceMs,
    });
    if (codecMode(config.env).kind === 'off')
      logger.warn('payload encryption is OFF (HWAYO_CODEC=off): releases are written to Temporal in plaintext');
    if (!config.activities.attestationKey)
      logger.warn('releases are not attested: HWAYO_ATTESTATION_KEY is not set (docs/security.md)');
    await worker.run(); // resolves after a shutdown signal once in-flight work has drained
    logger.info('worker stopped');
    return 0;
  } catch (err) {
    logger.error('worker failed', { error: err });
    return 1;
  } finally {
    await flushTracing();
    await connection?.close().catch(() => undefined);
    await new Promise((r) => http.close(r));
    const webhook = alerts;
    if (webhook) await new Promise((r) => webhook.close(r));
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
