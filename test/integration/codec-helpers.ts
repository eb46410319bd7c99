// Shared by the codec and worker tests: fresh keys, the raw stored history (no codec), and the
// secrets the stack configured, which must never reach Temporal.
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const newKey = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

/** The history exactly as the server stores it, as protobuf bytes (read without any codec). */
export async function rawHistory(
  client: Client,
  workflowId: string,
): Promise<{ bytes: Buffer; events: temporal.api.history.v1.IHistoryEvent[] }> {
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId },
      nextPageToken,
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return { bytes: Buffer.from(temporal.api.history.v1.History.encode({ events }).finish()), events };
}

/** Webhook URLs (and their secret paths), the PagerDuty routing key, SMTP and database passwords. */
export function stackSecrets(env: NodeJS.ProcessEnv): string[] {
  const secrets: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (!v) continue;
    if (/^SLACK_WEBHOOK_URL/.test(k)) secrets.push(v, new URL(v).pathname);
    if (k === 'PAGERDUTY_ROUTING_KEY') secrets.push(v);
    if (k === 'SMTP_URL' || k === 'DATABASE_URL') {
      const password = decodeURIComponent(new URL(v).password);
      if (password) secrets.push(password);
    }
  }
  return secrets;
}

/** The history with every encrypted payload decrypted, as JSON text (what an export with the codec shows). */
export async function decodedHistoryJson(events: unknown[], codec: PayloadCodec): Promise<string> {
  const walk = async (value: unknown): Promise<unknown> => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (Array.isArray(value)) return Promise.all(value.map(walk));
    if (value && typeof value === 'object') {
      const obj = value as Record<string, unknown>;
      if (obj.metadata && 'data' in obj) {
        const [plain] = await codec.decode([obj as Payload]);
        return {
          metadata: await walk(plain.metadata),
          data: Buffer.from(plain.data ?? new Uint8Array()).toString('utf8'),
        };
      }
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(obj)) out[k] = await walk(v);
      return out;
    }
    return value;
  };
  return JSON.stringify(await walk(events));
}
