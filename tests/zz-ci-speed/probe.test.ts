// TEMPORARY (ci-speed helper): CPU cost of PGlite opens inside jest. Deleted before the report.
import { performance } from 'node:perf_hooks';
import { openTestDb } from '../helpers/databases.js';

async function measure<T>(name: string, f: () => Promise<T>): Promise<T> {
  const c = process.cpuUsage(); const w = performance.now();
  const r = await f();
  const u = process.cpuUsage(c);
  console.log(`${name}: cpu ${Math.round((u.user + u.system) / 1000)} ms, wall ${Math.round(performance.now() - w)} ms`);
  return r;
}
it('measures', async () => {
  for (let i = 0; i < 3; i++) {
    const d = await measure(`openTestDb pglite`, () => openTestDb('pglite'));
    await measure(`close pglite`, () => d.close());
  }
}, 600_000);
