// TEMPORARY (ci-speed helper): CPU cost of hub start phases inside jest. Deleted before the report.
import { performance } from 'node:perf_hooks';
import { loadHubDocument } from '../../core/server/hub-document.js';
import { startTestHub } from '../helpers/test-hub.js';
import { openTestDb } from '../helpers/databases.js';

async function measure<T>(name: string, f: () => Promise<T>): Promise<T> {
  const c = process.cpuUsage(); const w = performance.now();
  const r = await f();
  const u = process.cpuUsage(c);
  console.log(`${name}: cpu ${Math.round((u.user + u.system) / 1000)} ms, wall ${Math.round(performance.now() - w)} ms`);
  return r;
}
it('measures', async () => {
  await measure('loadHubDocument 1', () => loadHubDocument());
  await measure('loadHubDocument 2', () => loadHubDocument());
  for (const db of ['postgres', 'postgres', 'pglite'] as const) {
    const t = await measure(`startTestHub ${db}`, () => startTestHub({ db }));
    await measure(`as() ${db}`, () => t.as(['administrator']));
    await measure(`stop ${db}`, () => t.stop());
  }
  const d = await measure(`openTestDb postgres`, () => openTestDb('postgres'));
  await measure(`close postgres`, () => d.close());
}, 600_000);
