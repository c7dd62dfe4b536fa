// Redis Cache and Bus (ioredis). Every key and channel carries the configured prefix.
import { Redis } from 'ioredis';
import type { Bus, BusHandler, Cache } from './cache.js';
import { memoryCache } from './memory.js';

function connect(url: string): Redis {
  // commands fail fast while Redis is down instead of queueing without bound; ioredis keeps reconnecting
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
}

async function connected(url: string): Promise<Redis> {
  const redis = connect(url);
  redis.on('error', () => undefined); // reconnects by itself; /ready reports the outage
  await redis.connect();
  return redis;
}

// INCR, and the expiry set by the increment that created the counter
const INCREMENT = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n`;

/**
 * While Redis is down the hub keeps serving from PostgreSQL: a read is a miss, a write is dropped (entries are
 * copies with an expiry; the generation counters make stale report caches miss), and counters (rate limits,
 * failed logins) are kept in this process until Redis answers again, so limits still hold per instance.
 */
export async function redisCache(url: string, prefix: string): Promise<Cache> {
  const redis = await connected(url);
  const local = memoryCache();
  const up = () => redis.status === 'ready';
  return {
    engine: 'redis',
    async get(key) {
      if (!up()) return undefined;
      return (await redis.get(prefix + key).catch(() => null)) ?? undefined;
    },
    async set(key, value, ttlSeconds) {
      if (!up()) return;
      if (ttlSeconds) await redis.set(prefix + key, value, 'EX', ttlSeconds).catch(() => undefined);
      else await redis.set(prefix + key, value).catch(() => undefined);
    },
    async del(key) {
      if (!up()) return;
      await redis.del(prefix + key).catch(() => undefined);
    },
    async increment(key, ttlSeconds) {
      if (!up()) return local.increment(key, ttlSeconds);
      try {
        // one command (a script runs atomically) instead of MULTI/INCR/EXPIRE/EXEC: every request counts a rate
        // limit or two, so this is on the hot path (docs/benchmarks.md)
        return Number(await redis.eval(INCREMENT, 1, prefix + key, ttlSeconds));
      } catch {
        return local.increment(key, ttlSeconds);
      }
    },
    async ping() {
      try {
        return (await redis.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      redis.disconnect();
      await local.close();
    },
  };
}

export async function redisBus(url: string, prefix: string): Promise<Bus> {
  const publisher = await connected(url);
  const subscriber = await connected(url);
  const handlers = new Map<string, Set<BusHandler>>();
  subscriber.on('message', (channel: string, message: string) => {
    for (const handler of handlers.get(channel) ?? []) handler(message);
  });
  return {
    async publish(channel, message) {
      // without Redis other instances miss this nudge; what they cache expires on its own
      await publisher.publish(prefix + channel, message).catch(() => undefined);
    },
    async subscribe(channel, handler) {
      const full = prefix + channel;
      if (!handlers.has(full)) {
        handlers.set(full, new Set());
        await subscriber.subscribe(full);
      }
      handlers.get(full)!.add(handler);
      return async () => {
        const set = handlers.get(full);
        set?.delete(handler);
        if (set && set.size === 0) {
          handlers.delete(full);
          await subscriber.unsubscribe(full);
        }
      };
    },
    async close() {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
