// TEMPORARY (ci-speed helper): CPU cost of hub start phases inside jest. Deleted before the report.
import { performance } from 'node:perf_hooks';
import { loadHubDocument } from '../../core/server/hub-document.js';
import { Api } from '../../core/server/openapi.js';
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
  await measure('Api.load', async () => Api.load(await loadHubDocument()));
  for (const db of ['pglite', 'postgres', 'pglite', 'postgres'] as const) {
    const t = await measure(`startTestHub ${db}`, () => startTestHub({ db }));
    await measure(`as() ${db}`, () => t.as(['administrator']));
    await measure(`GET persons ${db}`, () => t.get('/api/v1/persons'));
    await measure(`stop ${db}`, () => t.stop());
  }
  for (const db of ['pglite', 'postgres'] as const) {
    const d = await measure(`openTestDb ${db}`, () => openTestDb(db));
    await measure(`close ${db}`, () => d.close());
  }
}, 600_000);
