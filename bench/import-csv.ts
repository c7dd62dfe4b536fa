// Measures `srhub import`: writes a CSV of about N synthetic persons (the seed generator's households, one row
// per person), creates the demo country's areas, and times the real command on the configured database.
//   npx tsx bench/import-csv.ts --persons 100000                          (PGlite in a fresh temporary folder)
//   DATABASE_URL=postgres://... SRHUB_MASTER_KEY=... npx tsx bench/import-csv.ts --persons 100000
// The PostgreSQL database must be empty (a fresh one); the figure printed is the wall time of the import alone.
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config.js';
import { initDb } from '../core/db/index.js';
import { AMARU, createCountryAreas, districtsOf } from '../core/seed/country.js';
import { generateHouseholds } from '../core/seed/households.js';

const COLUMNS = ['household_ref', 'area_code', 'address', 'household_type', 'latitude', 'longitude', 'relationship', 'given_name',
  'family_name', 'other_names', 'sex', 'birth_date', 'birth_date_estimated', 'phone', 'email', 'preferred_language',
  'identifier_type', 'identifier_value', 'disabilities'];
const cell = (v: unknown) => {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { persons: { type: 'string', default: '100000' }, seed: { type: 'string', default: '11' } } });
  const persons = Number(values.persons);
  const work = await mkdtemp(path.join(tmpdir(), 'srhub-bench-import-'));
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  if (!env.DATABASE_URL) env.SRHUB_DATA_DIR = path.join(work, 'data');
  try {
    const csv = path.join(work, 'persons.csv');
    const out = createWriteStream(csv);
    out.write(COLUMNS.join(',') + '\n');
    let rows = 0;
    let households = 0;
    for (const h of generateHouseholds({ seed: Number(values.seed), persons, areas: districtsOf(AMARU) })) {
      households += 1;
      for (const [i, m] of h.members.entries()) {
        const p = m.person!;
        const id = p.identifiers?.[0];
        const first = i === 0;
        const line = [`HH${households}`, first ? h.area_code : '', first ? h.address : '', first ? h.household_type : '',
          first ? h.location?.latitude : '', first ? h.location?.longitude : '', m.relationship, p.given_name, p.family_name,
          p.other_names, p.sex, p.birth_date, p.birth_date_estimated ? 'true' : '', p.phone, p.email, p.preferred_language,
          id?.type, id?.value, p.disabilities?.join('|')].map(cell).join(',');
        if (!out.write(line + '\n')) await once(out, 'drain');
        rows += 1;
      }
    }
    out.end();
    await once(out, 'finish');

    const db = await initDb(loadConfig(env));
    await createCountryAreas(db);
    await db.close();

    const started = process.hrtime.bigint();
    const run = spawnSync(process.execPath, ['bin/srhub.js', 'import', csv], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(`srhub import: ${rows} persons in ${households} households, ${seconds.toFixed(1)} s wall ` +
      `(${Math.round(rows / seconds)} persons/s) on ${env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}; exit ${run.status}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
