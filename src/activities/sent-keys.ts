// A record of notifications already delivered, so a retried activity does not post, page or mail twice.
// Kept in Redis when the worker has one (shared by every worker, survives restarts), else in-process.
// A send first *claims* its key for no longer than its activity attempt may run (so the next attempt,
// which Temporal starts only after this one timed out, is never locked out), marks it *posted* once the
// request has left the worker, then *sent* on the answer. A failed send releases the claim.
// A retry that finds "posted" (the worker died waiting for the answer) treats the message as delivered,
// unless the caller wants at-least-once (critical messages): then it sends again.
import Redis from 'ioredis';

export type ClaimResult = 'claimed' | 'already-sent' | 'in-flight';

export interface SentKeys {
  /** `claimTtlS`: how long the claim may outlive a dead sender; `resendPosted`: at-least-once (critical). */
  claim(key: string, claimTtlS: number, resendPosted: boolean): Promise<ClaimResult>;
  markPosted(key: string): Promise<void>;
  markSent(key: string): Promise<void>;
  release(key: string): Promise<void>;
}

/** Long enough to cover every retry of one release run (keys carry the run id). */
const SENT_TTL_S = 14 * 24 * 3600;
const PREFIX = 'hwayo-release:sent:';

// One atomic step: a free (or expired) key, or a "posted" one taken over for at-least-once, is claimed.
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if (not v) or (v == 'posted' and ARGV[2] == '1') then
  redis.call('SET', KEYS[1], 'sending', 'EX', ARGV[1])
  return 'claimed'
end
if v == 'sent' or v == 'posted' then return 'already-sent' end
return 'in-flight'`;

class RedisSentKeys implements SentKeys {
  constructor(readonly redis: Redis) {}
  async claim(key: string, claimTtlS: number, resendPosted: boolean): Promise<ClaimResult> {
    return (await this.redis.eval(CLAIM, 1, PREFIX + key, String(claimTtlS), resendPosted ? '1' : '0')) as ClaimResult;
  }
  async markPosted(key: string): Promise<void> {
    // XX: a claim already released (the send failed) is not brought back.
    await this.redis.set(PREFIX + key, 'posted', 'EX', SENT_TTL_S, 'XX');
  }
  async markSent(key: string): Promise<void> {
    await this.redis.set(PREFIX + key, 'sent', 'EX', SENT_TTL_S);
  }
  async release(key: string): Promise<void> {
    await this.redis.del(PREFIX + key);
  }
}

type State = 'sending' | 'posted' | 'sent';

class MemorySentKeys implements SentKeys {
  private readonly entries = new Map<string, { state: State; expires: number }>();
  private live(key: string) {
    const e = this.entries.get(key);
    return e && e.expires > Date.now() ? e : undefined;
  }
  async claim(key: string, claimTtlS: number, resendPosted: boolean): Promise<ClaimResult> {
    const e = this.live(key);
    if (!e || (e.state === 'posted' && resendPosted)) {
      this.entries.set(key, { state: 'sending', expires: Date.now() + claimTtlS * 1000 });
      return 'claimed';
    }
    return e.state === 'sending' ? 'in-flight' : 'already-sent';
  }
  async markPosted(key: string): Promise<void> {
    if (this.live(key)) this.entries.set(key, { state: 'posted', expires: Date.now() + SENT_TTL_S * 1000 });
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
    // Short deadlines: with Redis down, a critical message goes out without the record instead of waiting.
    const redis = new Redis(redisUrl, {
      lazyConnect: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      commandTimeout: 2_000,
    });
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
  await Promise.all(
    stores.map((s) => (s instanceof RedisSentKeys ? s.redis.quit().catch(() => s.redis.disconnect()) : undefined)),
  );
}
