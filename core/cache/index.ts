// The cache module: Redis when REDIS_URL is set, otherwise in-memory engines for one process.
import type { Config } from '../config.js';
import type { Bus, Cache } from './cache.js';
import { memoryBus, memoryCache } from './memory.js';
import { redisBus, redisCache } from './redis.js';

export type { Bus, Cache } from './cache.js';

export interface CacheAndBus {
  cache: Cache;
  bus: Bus;
}

export async function initCache(config: Pick<Config, 'redisUrl' | 'redisKeyPrefix'>): Promise<CacheAndBus> {
  if (!config.redisUrl) return { cache: memoryCache(), bus: memoryBus() };
  const cache = await redisCache(config.redisUrl, config.redisKeyPrefix);
  const bus = await redisBus(config.redisUrl, config.redisKeyPrefix).catch(async (err) => {
    await cache.close();
    throw err;
  });
  return { cache, bus };
}
