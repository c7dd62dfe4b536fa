import { randomBytes } from 'node:crypto';
import { initCache, type CacheAndBus } from '../../../core/cache/index.js';
import { cacheEngines, redisUrl } from '../../helpers/services.js';

const open = (engine: string, prefix = `srhub-test:${randomBytes(6).toString('hex')}:`) =>
  initCache({ redisUrl: engine === 'redis' ? redisUrl() : undefined, redisKeyPrefix: prefix });

describe.each(cacheEngines())('cache and bus on %s', (engine) => {
  let engines: CacheAndBus;
  beforeEach(async () => {
    engines = await open(engine);
  });
  afterEach(async () => {
    await engines.cache.close();
    await engines.bus.close();
  });

  it('stores, reads, expires and deletes values', async () => {
    const { cache } = engines;
    expect(cache.engine).toBe(engine);
    await cache.set('a', '1');
    await cache.set('b', '2', 1);
    expect(await cache.get('a')).toBe('1');
    expect(await cache.get('b')).toBe('2');
    await new Promise((r) => setTimeout(r, 1100));
    expect(await cache.get('b')).toBeUndefined();
    await cache.del('a');
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.ping()).toBe(true);
  });

  it('counts within a window', async () => {
    const { cache } = engines;
    expect(await cache.increment('hits', 1)).toBe(1);
    expect(await cache.increment('hits', 1)).toBe(2);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await cache.increment('hits', 1)).toBe(1);
  });

  it('delivers published messages to subscribers until they unsubscribe', async () => {
    const { bus } = engines;
    const received: string[] = [];
    const unsubscribe = await bus.subscribe('events', (m) => received.push(m));
    await bus.publish('events', 'one');
    await waitFor(() => received.length === 1);
    await unsubscribe();
    await bus.publish('events', 'two');
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toEqual(['one']);
  });
});

if (cacheEngines().includes('redis')) {
  it('keeps hubs with different prefixes apart on one Redis', async () => {
    const a = await open('redis');
    const b = await open('redis');
    try {
      await a.cache.set('k', 'from-a');
      expect(await b.cache.get('k')).toBeUndefined();
    } finally {
      for (const e of [a, b]) {
        await e.cache.close();
        await e.bus.close();
      }
    }
  });
}

async function waitFor(condition: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
