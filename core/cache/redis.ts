// Redis Cache and Bus (ioredis). Every key and channel carries the configured prefix.
import { Redis } from 'ioredis';
import type { Bus, BusHandler, Cache } from './cache.js';

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

export async function redisCache(url: string, prefix: string): Promise<Cache> {
  const redis = await connected(url);
  return {
    engine: 'redis',
    async get(key) {
      return (await redis.get(prefix + key)) ?? undefined;
    },
    async set(key, value, ttlSeconds) {
      if (ttlSeconds) await redis.set(prefix + key, value, 'EX', ttlSeconds);
      else await redis.set(prefix + key, value);
    },
    async del(key) {
      await redis.del(prefix + key);
    },
    async increment(key, ttlSeconds) {
      const [[, count]] = (await redis
        .multi()
        .incr(prefix + key)
        .expire(prefix + key, ttlSeconds, 'NX')
        .exec()) as [[Error | null, number]];
      return count;
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
      await publisher.publish(prefix + channel, message);
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
