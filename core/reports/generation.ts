// The reports' cache generation: one counter in the shared cache that an outbox consumer bumps whenever registry data
// changes. Cached dashboards carry the generation in their key, so a change makes every cached copy unreachable at
// once (they expire on their own), for every area scope and every hub instance sharing the cache.
import type { Cache } from '../cache/index.js';
import type { OutboxConsumer } from '../outbox/dispatcher.js';
import { REGISTRY_TOPICS } from '../registry/events.js';

const GENERATION_KEY = 'reports:generation';
// the counter's own lifetime (set on its first bump); cached dashboards live minutes, so a reset cannot revive one
const GENERATION_TTL_SECONDS = 366 * 86_400;

/** The topics that change what the dashboard shows: registry writes and eligibility (verification: the cache's TTL). */
export const DASHBOARD_TOPICS: readonly string[] = [...REGISTRY_TOPICS, 'household.eligibility_changed'];

export async function currentGeneration(cache: Cache): Promise<string> {
  return (await cache.get(GENERATION_KEY)) ?? '0';
}

export async function bumpGeneration(cache: Cache): Promise<void> {
  await cache.increment(GENERATION_KEY, GENERATION_TTL_SECONDS);
}

/** The consumer: one bump per batch of events, whatever its size. */
export function dashboardInvalidation(cache: Cache): OutboxConsumer {
  return {
    name: 'reports.dashboard-cache',
    topics: DASHBOARD_TOPICS,
    async handle() {
      await bumpGeneration(cache);
    },
  };
}
