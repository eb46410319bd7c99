// A record of notifications already delivered, so a retried activity does not post, page or mail twice.
// Kept in Redis when the worker has one (shared by every worker, survives restarts), else in-process.
// A send first *claims* its key for a short while, then marks it sent; a failed send releases the
// claim, and a worker that dies mid-send leaves a claim that expires, so the message is retried, not lost.
import Redis from 'ioredis';

export type ClaimResult = 'claimed' | 'already-sent' | 'in-flight';

export interface SentKeys {
  claim(key: string): Promise<ClaimResult>;
  markSent(key: string): Promise<void>;
  release(key: string): Promise<void>;
}

const CLAIM_TTL_S = 120;
/** Long enough to cover every retry of one release. */
const SENT_TTL_S = 14 * 24 * 3600;
const PREFIX = 'hwayo-release:sent:';

class RedisSentKeys implements SentKeys {
  constructor(readonly redis: Redis) {}
  async claim(key: string): Promise<ClaimResult> {
    const ok = await this.redis.set(PREFIX + key, 'sending', 'EX', CLAIM_TTL_S, 'NX');
    if (ok === 'OK') return 'claimed';
    return (await this.redis.get(PREFIX + key)) === 'sent' ? 'already-sent' : 'in-flight';
  }
  async markSent(key: string): Promise<void> {
    await this.redis.set(PREFIX + key, 'sent', 'EX', SENT_TTL_S);
  }
  async release(key: string): Promise<void> {
    await this.redis.del(PREFIX + key);
  }
}

class MemorySentKeys implements SentKeys {
  private readonly entries = new Map<string, { state: 'sending' | 'sent'; expires: number }>();
  async claim(key: string): Promise<ClaimResult> {
    const now = Date.now();
    const e = this.entries.get(key);
    if (e && e.expires > now) return e.state === 'sent' ? 'already-sent' : 'in-flight';
    this.entries.set(key, { state: 'sending', expires: now + CLAIM_TTL_S * 1000 });
    return 'claimed';
  }
  async markSent(key: string): Promise<void> {
    this.entries.set(key, { state: 'sent', expires: Date.now() + SENT_TTL_S * 1000 });
  }
  async release(key: string): Promise<void> {
    this.entries.delete(key);
  }
}

const memory = new MemorySentKeys();
const byUrl = new Map<string, SentKeys>();

/** One store per Redis URL for the worker's lifetime; the in-process store when there is no Redis. */
export function sentKeysFor(redisUrl: string | undefined): SentKeys {
  if (!redisUrl) return memory;
  let store = byUrl.get(redisUrl);
  if (!store) {
    const redis = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1, connectTimeout: 5_000 });
    redis.on('error', () => undefined); // surfaced by the command that fails
    store = new RedisSentKeys(redis);
    byUrl.set(redisUrl, store);
  }
  return store;
}

/** Closes the Redis connections (worker shutdown, tests). */
export async function closeSentKeys(): Promise<void> {
  const stores = [...byUrl.values()];
  byUrl.clear();
  await Promise.all(stores.map((s) => (s instanceof RedisSentKeys ? s.redis.quit().catch(() => undefined) : undefined)));
}
