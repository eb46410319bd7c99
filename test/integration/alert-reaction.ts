// A release's reaction to a firing alert on the stack: the worker's alert webhook (src/worker/alert-webhook.ts)
// serves the stack's Alertmanager (scripts/stack/components/alertmanager.sh) while green's seed series (the metrics
// app of green's namespace) turn sick, and Traefik's applied weights and Prometheus' alerts are polled.
import type { Server } from 'node:http';
import type { NativeConnection } from '@temporalio/worker';
import { alertTargetsOn } from '../../src/worker/alert-targets';
import { createAlertWebhook, readWebhookToken } from '../../src/worker/alert-webhook';
import { listen } from '../../src/worker/http';
import type { ReleaseStatus } from '../../src/workflows/definitions';
import { eventually } from './kube-helpers';
import { recordGatewayWeights } from './gateway';
import { stackVar } from './stack';

export interface Reaction {
  green: string;
  /** Traefik's applied weights of green over time. */
  changes: { at: number; weight: number }[];
  /** When the poller first saw Prometheus report HighErrorRate firing for green. */
  firingSeenAt?: number;
  /** What the webhook logged (forwarded alerts, refusals). */
  log: string[];
}

const post = async (url: string, body: unknown) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
};

async function firingFor(namespace: string): Promise<boolean> {
  const r = (await (await fetch(`${stackVar('PROMETHEUS_URL')}/api/v1/alerts`)).json()) as {
    data: { alerts: { labels: Record<string, string>; state: string }[] };
  };
  return r.data.alerts.some(
    (a) => a.labels.alertname === 'HighErrorRate' && a.labels.namespace === namespace && a.state === 'firing',
  );
}

/**
 * Approves the release, waits for the canary at its first weight, makes green's seed series answer 500, and waits
 * until the release is decided; the webhook runs on the worker's connection meanwhile.
 */
export async function alertReaction(
  connection: NativeConnection,
  steps: {
    status: () => Promise<ReleaseStatus>;
    approve: () => Promise<void>;
    decided: () => Promise<void>;
  },
): Promise<Reaction> {
  const log: string[] = [];
  const line = (m: string, meta: Record<string, unknown>) => void log.push(`${m} ${JSON.stringify(meta)}`);
  const webhook: Server = createAlertWebhook(
    readWebhookToken(stackVar('STACK_ALERT_WEBHOOK_TOKEN_FILE')),
    alertTargetsOn(connection, process.env.TEMPORAL_NAMESPACE ?? 'default', process.env),
    { info: line, warn: line },
  );
  await listen(webhook, '127.0.0.1', Number(stackVar('STACK_ALERT_WEBHOOK_PORT')));
  let gateway: ReturnType<typeof recordGatewayWeights> | undefined;
  let firingSeenAt: number | undefined;
  let polling = true;
  let poller: Promise<void> | undefined;
  let app: string | undefined;
  try {
    await eventually('awaiting approval', async () => (await steps.status()).stage === 'awaiting-approval', 90_000);
    const green = (await steps.status()).environments?.green;
    if (!green) throw new Error('the release names no green namespace');
    // A sick spell of an earlier test shows in the seed's 5m rates for up to five minutes (docs/stack.md).
    await eventually(`HighErrorRate quiet for ${green}`, async () => !(await firingFor(green)), 300_000);
    // The metrics app that carries green's namespace label (prometheus.sh).
    app = stackVar(green === 'hwayo-production-green' ? 'METRICS_APP_GREEN_URL' : 'METRICS_APP_BLUE_URL');
    gateway = recordGatewayWeights(green);
    poller = (async () => {
      while (polling && firingSeenAt === undefined) {
        if (await firingFor(green).catch(() => false)) firingSeenAt = Date.now();
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await steps.approve();
    await eventually(
      'the canary at its first weight',
      async () => {
        const s = await steps.status();
        return s.stage === 'canary' && s.greenWeight > 0;
      },
      120_000,
    );
    await post(`${app}/control`, { errorRate: 1 });
    await steps.decided();
    // Traefik's poller catches the last move.
    await new Promise((r) => setTimeout(r, 1000));
    return { green, changes: gateway.changes, firingSeenAt, log };
  } finally {
    polling = false;
    await poller;
    await gateway?.stop();
    if (app) await post(`${app}/control/reset`, {}).catch(() => undefined);
    await new Promise((r) => webhook.close(r));
  }
}
