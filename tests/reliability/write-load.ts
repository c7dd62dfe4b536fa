// Steady writes against a hub process while the test breaks what it depends on: each write is one household with an
// Idempotency-Key of its own, so a write answered 503 can be sent again later and must not be applied twice.
// Every answer is recorded; anything but 201 or a clean 503 (problem+json with Retry-After) is a failure.
import { randomUUID } from 'node:crypto';
import type { HubProcess } from '../helpers/hub-process.js';

export interface Write {
  key: string;
  given: string;
  statuses: number[];
  /** The household id of the 201. */
  id?: string;
}

export interface WriteLoad {
  writes: Write[];
  /** Answers that were neither 201 nor a clean 503, and connection errors. */
  failures: string[];
  acknowledged(): number;
  unavailable(): number;
  stop(): Promise<void>;
  /** Sends every write without a 201 again (same key) until it gets one; throws past the deadline. */
  retryUnacknowledged(timeoutMs: number): Promise<void>;
}

export async function sendWrite(hub: HubProcess, area: string, write: Write, failures: string[]): Promise<number> {
  let res: Response;
  try {
    res = await fetch(`${hub.url}/api/v1/households`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': write.key },
      body: JSON.stringify({ area_code: area, members: [{ relationship: 'SELF', person: { given_name: write.given, family_name: 'Load', birth_date: '1980-01-01' } }] }),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    failures.push(`${write.given}: no answer (${(err as Error).message})`);
    return 0;
  }
  const text = await res.text();
  write.statuses.push(res.status);
  if (res.status === 201) {
    write.id = JSON.parse(text).id;
  } else if (res.status === 503) {
    const problem = res.headers.get('content-type')?.startsWith('application/problem+json') ? JSON.parse(text) : undefined;
    if (!res.headers.get('retry-after') || problem?.code !== 'service.unavailable') failures.push(`${write.given}: 503 not clean: ${res.headers.get('retry-after')} ${text.slice(0, 200)}`);
  } else {
    failures.push(`${write.given}: ${res.status} ${text.slice(0, 300)}`);
  }
  return res.status;
}

/** `workers` loops, each sending one write after another (with a short pause), until stop(). */
export function startWriteLoad(hub: HubProcess, area: string, workers = 3, pauseMs = 20): WriteLoad {
  const writes: Write[] = [];
  const failures: string[] = [];
  let running = true;
  let n = 0;
  const loop = async () => {
    while (running) {
      const write: Write = { key: randomUUID(), given: `Load${(n += 1)}`, statuses: [] };
      writes.push(write);
      await sendWrite(hub, area, write, failures);
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  const loops = Array.from({ length: workers }, loop);
  return {
    writes,
    failures,
    acknowledged: () => writes.filter((w) => w.id).length,
    unavailable: () => writes.reduce((sum, w) => sum + w.statuses.filter((s) => s === 503).length, 0),
    async stop() {
      running = false;
      await Promise.all(loops);
    },
    async retryUnacknowledged(timeoutMs) {
      const end = Date.now() + timeoutMs;
      for (const write of writes) {
        while (!write.id) {
          if (Date.now() > end) throw new Error(`write ${write.given} still not acknowledged: ${write.statuses.join(',')}`);
          if ((await sendWrite(hub, area, write, failures)) !== 201) await new Promise((r) => setTimeout(r, 250));
        }
      }
    },
  };
}
