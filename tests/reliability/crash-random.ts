// Random kill points for the crash tests, from a seed that is printed, so a failing run can be replayed:
// CRASH_SEED=<n> npx jest tests/reliability/...
import pg from 'pg';

export function crashSeed(): number {
  const seed = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isInteger(seed)) throw new Error(`CRASH_SEED must be a whole number, got ${process.env.CRASH_SEED}`);
  return seed;
}

/** mulberry32: small, seeded, good enough to pick delays and sizes. */
export function seededRandom(seed: number): { next(): number; between(min: number, max: number): number } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, between: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}

/** One query on the test's database, from outside the hub. */
export async function sql<T extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}
