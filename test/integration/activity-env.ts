// Runs an activity the way a worker would (heartbeat(), activityInfo(), sleep() work) and gives
// helpers to read the stack's control endpoints.
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Info } from '@temporalio/activity';

/** Runs `fn(input)` inside an activity context; `info` can carry heartbeatDetails of an earlier attempt. */
export async function runActivity<I, O>(
  fn: (input: I) => Promise<O>,
  input: I,
  info?: Partial<Info>,
): Promise<{ result: O; heartbeats: unknown[] }> {
  const env = new MockActivityEnvironment(info);
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  const result = (await env.run(fn, input)) as O;
  return { result, heartbeats };
}

/** Runs a no-argument activity inside an activity context. */
export async function runActivity0<O>(fn: () => Promise<O>): Promise<O> {
  return new MockActivityEnvironment().run(fn);
}

export async function postJson(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return (await res.json()) as T;
}

/** Polls `probe` until it returns a value, or fails with the last value seen. */
export async function eventually<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  intervalMs = 1000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
