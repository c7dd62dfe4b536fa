// `srhub areas import FILE.geojson` as a person runs it: a summary and exit 0, every problem named and exit 1
// (nothing imported), a usage error for a wrong call.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEMO_BOUNDARIES_FILE } from '../../../../core/registry/areas/demo-boundaries.js';
import { runSrhub } from '../../../helpers/hub-process.js';
import { copyPgliteTemplate } from '../../../helpers/pglite-template.js';

describe('srhub areas import', () => {
  let dataDir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'srhub-p3-areas-'));
    await copyPgliteTemplate(path.join(dataDir, 'pglite'));
    env = { SRHUB_DATA_DIR: dataDir, SRHUB_MASTER_KEY: randomBytes(32).toString('base64') };
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  const run = async (args: string[]) => {
    const r = runSrhub(args, env);
    return { code: await r.exited, output: r.output() };
  };

  it('imports a boundaries file and says what it did', async () => {
    const first = await run(['areas', 'import', DEMO_BOUNDARIES_FILE]);
    expect(first).toEqual({ code: 0, output: expect.stringContaining('24 areas (24 new, 0 renamed), 24 boundaries stored') });
    const again = await run(['areas', 'import', DEMO_BOUNDARIES_FILE]);
    expect(again.output).toContain('24 areas (0 new, 0 renamed), 24 boundaries stored');
  });

  it('names each problem of a bad file and imports nothing', async () => {
    const file = path.join(dataDir, 'bad.geojson');
    await writeFile(
      file,
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          { type: 'Feature', properties: { code: 'NEW-1', name: 'New', parent_code: 'AM' }, geometry: null },
          { type: 'Feature', properties: { code: 'NEW-2', name: 'Open', parent_code: 'AM' }, geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]]] } },
        ],
      }),
    );
    const bad = await run(['areas', 'import', file]);
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('The boundaries file has 1 problem; nothing was imported.');
    expect(bad.output).toContain('feature 1 (NEW-2): geometry.coordinates[0] the ring is not closed');
    // NEW-1 was fine, but the file is one unit
    const fixed = JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: 'NEW-1', name: 'New', parent_code: 'AM' }, geometry: null }] });
    await writeFile(file, fixed);
    expect((await run(['areas', 'import', file])).output).toContain('1 area (1 new, 0 renamed), 0 boundaries stored');
  });

  it('answers a wrong call with the usage', async () => {
    const wrong = await run(['areas', 'export']);
    expect(wrong.code).toBe(2);
    expect(wrong.output).toContain('areas takes: import FILE.geojson.');
  });
});
