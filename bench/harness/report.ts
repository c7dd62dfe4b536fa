// What a benchmark run records next to its figures: the machine, the versions of everything measured, the command;
// and the table it prints, each figure beside the team's target (issue 10) where there is one.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { Redis } from 'ioredis';
import type { Db } from '../../core/db/index.js';

export interface Measurement {
  /** Stable key, for the JSON and the harness test. */
  key: string;
  label: string;
  value: number;
  unit: string;
  /** The team's goal, e.g. { op: '>=', value: 20000 }; none where the issue sets none. */
  target?: { op: '>=' | '<'; value: number };
  /** A short explanation printed with the figure (latencies, sizes, peak memory). */
  note?: string;
  detail?: Record<string, unknown>;
}

export const met = (m: Measurement) => (m.target ? (m.target.op === '>=' ? m.value >= m.target.value : m.value < m.target.value) : undefined);

export function machine() {
  return {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.platform()} ${os.release()}`,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export async function versions(db: Db, redisUrl: string) {
  const [{ version }] = await db.query<{ version: string }>("select current_setting('server_version') as version");
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let redisVersion = 'unreachable';
  try {
    await redis.connect();
    redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  } finally {
    redis.disconnect();
  }
  return { node: process.version, postgres: version, redis: redisVersion, srhub: gitRevision() };
}

/** The checkout's commit, marked dirty when the working tree has changes (the figures are then of uncommitted code). */
function gitRevision(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${rev}-dirty` : rev;
  } catch {
    return 'unknown';
  }
}

const number = (v: number) => (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 2 }));

export function printTable(measurements: Measurement[]): void {
  const rows = measurements.map((m) => {
    const ok = met(m);
    return [m.label, `${number(m.value)} ${m.unit}`, m.target ? `${m.target.op} ${number(m.target.value)} ${m.unit}` : '', ok === undefined ? '' : ok ? 'met' : 'MISSED', m.note ?? ''];
  });
  const head = ['measurement', 'value', 'target', '', 'notes'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}
