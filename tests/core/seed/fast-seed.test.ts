// The fast seeder (core/seed/bulk-rows.ts, bulk-write.ts, seedPersons): the rows it writes directly are those a
// registration writes, the same seed gives the same people, and the hub's own lookups find what it wrote.
import { randomBytes } from 'node:crypto';
import { verifyChain } from '../../../core/audit/chain.js';
import { loadConfig } from '../../../core/config.js';
import type { Db } from '../../../core/db/index.js';
import { runSearch } from '../../../core/dci/query/search.js';
import { isValidRegistryId } from '../../../core/ids.js';
import { createSecrets, type Secrets } from '../../../core/keys/secrets.js';
import { createLogger } from '../../../core/log.js';
import { registerHouseholds } from '../../../core/registry/households/register.js';
import { today } from '../../../core/registry/persons/rules.js';
import { identifierIndex, openIdentifier, openPersonHistory, openPhone } from '../../../core/registry/persons/sealing.js';
import { coverageReport } from '../../../core/reports/coverage.js';
import { seedRows } from '../../../core/seed/bulk-rows.js';
import { writeSeedRows } from '../../../core/seed/bulk-write.js';
import { createCountryAreas, districtsOf } from '../../../core/seed/country.js';
import { generateHouseholds } from '../../../core/seed/households.js';
import { IdentifierSequence } from '../../../core/seed/identifiers.js';
import { seedPersons } from '../../../core/seed/seed.js';
import { systemContext, type Ctx } from '../../../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../../../core/server/principal.js';
import { openTestDb } from '../../helpers/databases.js';
import { dbEngines } from '../../helpers/services.js';

const AS_OF = '2026-01-15';
// the tables a registration writes besides history-free bookkeeping (audit and outbox: what a seed writes instead is
// checked below); household_features is filled by migration 032's triggers
const TABLES = ['person', 'person_identifier', 'household', 'membership', 'dedup_match_key', 'record_history', 'household_features'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Row = Record<string, unknown>;

/**
 * Every row of the registry tables, comparable across databases: row ids replaced by their rank (persons, households
 * and memberships are created in input order with time-ordered ids), sealed values opened (each sealing draws a
 * fresh nonce), timestamps dropped, and hub-issued registry ID values masked (registration draws them at random).
 */
async function registryRows(db: Db, secrets: Secrets): Promise<Record<string, Row[]>> {
  const ids = new Map<string, string>();
  for (const [table, label] of [['person', 'P'], ['household', 'H'], ['membership', 'M']] as const) {
    const rows = await db.query<{ id: string }>(`select id from ${table} order by id`);
    rows.forEach((r, i) => ids.set(r.id, `${label}${i}`));
  }
  const srids = new Set((await db.query<{ value_sealed: string }>(`select value_sealed from person_identifier where id_type = 'SRID'`)).map((r) => openIdentifier(secrets, 'SRID', r.value_sealed)));
  const plain = (value: unknown): unknown => {
    if (typeof value === 'string') return UUID.test(value) ? (ids.get(value) ?? value) : srids.has(value) ? 'SRID' : value;
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    if (Array.isArray(value)) return value.map(plain);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
    return value;
  };
  const out: Record<string, Row[]> = {};
  // household_features comes with migration 032; the comparison covers it wherever it exists
  const present = await db.query<{ name: string }>('select t as name from unnest($1::text[]) as t where to_regclass(t) is not null', [TABLES]);
  for (const { name: table } of present) {
    const rows = await db.query<Row>(`select * from ${table}`);
    out[table] = rows
      .map((row) => {
        const r: Row = { ...row };
        for (const column of ['created_at', 'updated_at', 'changed_at', 'computed_at', 'marked_at']) delete r[column];
        if (table === 'record_history') delete r.id;
        if (table === 'person') r.phone_sealed = openPhone(secrets, row.id as string, row.phone_sealed as string | null);
        if (table === 'person_identifier') {
          r.value_sealed = openIdentifier(secrets, row.id_type as string, row.value_sealed as string);
          if (row.id_type === 'SRID') r.value_index = 'SRID';
        }
        if (table === 'record_history' && row.entity === 'person') r.changes = openPersonHistory(secrets, row.entity_id as string, row.changes as never);
        return plain(r) as Row;
      })
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return out;
}

describe.each(dbEngines())('the fast seeder on %s', (engine) => {
  const masterKey = randomBytes(32);
  const dbs: Db[] = [];
  const open = async (): Promise<Ctx> => {
    const db = await openTestDb(engine);
    dbs.push(db);
    return systemContext(loadConfig({ LOG_LEVEL: 'silent' }), db, createSecrets(masterKey), createLogger('silent'), SYSTEM_PRINCIPAL);
  };
  afterEach(async () => {
    for (const db of dbs.splice(0)) await db.close();
  });

  it('writes the rows a registration of the same households writes', async () => {
    const [registered, seeded] = [await open(), await open()];
    const households = [...generateHouseholds({ seed: 11, count: 60, areas: districtsOf(), asOf: AS_OF })];
    await createCountryAreas(registered.db);
    await createCountryAreas(seeded.db);
    const registration = await registered.db.transaction((tx) =>
      registerHouseholds(tx, registered, households, { defaultChannel: 'bulk_import', at: (i) => `households[${i}]`, skipInvalid: false }),
    );
    expect(registration.errors).toEqual([]);
    const ids = new IdentifierSequence(11);
    const rows = seedRows(seeded, households, () => ids.nextRegistryId(), today(), 0);
    await seeded.db.transaction((tx) => writeSeedRows(tx, rows));

    const expected = await registryRows(registered.db, registered.secrets);
    expect(expected.person.length).toBe(households.reduce((n, h) => n + h.members.length, 0));
    expect(expected.record_history.length).toBe(expected.person.length + households.length);
    expect(await registryRows(seeded.db, seeded.secrets)).toEqual(expected);
  });

  it('gives the same people and identifiers for the same seed, in chunks of the size asked', async () => {
    const [a, b] = [await open(), await open()];
    const first = await seedPersons(a, 2000, 21, { chunkHouseholds: 150, asOf: AS_OF });
    const second = await seedPersons(b, 2000, 21, { chunkHouseholds: 150, asOf: AS_OF });
    expect(first.persons).toBeGreaterThanOrEqual(2000);
    expect(second).toEqual(first);
    const people = (db: Db) => db.query(`select given_name, family_name, birth_date, phone_index, attributes from person order by id`);
    const identifiers = (db: Db) => db.query(`select id_type, value_index, issued_by_hub from person_identifier order by id_type, value_index`);
    expect(await people(b.db)).toEqual(await people(a.db));
    expect(await identifiers(b.db)).toEqual(await identifiers(a.db));

    // one audit entry per chunk, naming the run; each chunk at most the size asked
    const entries = await a.db.query<{ details: { seed_run: { seed: number; chunk: number; households: number; persons: number } } }>(
      `select details from audit_log where entity = 'household' and action = 'create' order by id`,
    );
    const chunks = entries.map((e) => e.details.seed_run);
    expect(chunks.map((c) => c.chunk)).toEqual([...chunks.keys()]);
    expect(chunks.length).toBe(Math.ceil(first.households / 150));
    expect(chunks.every((c) => c.seed === 21 && c.households <= 150)).toBe(true);
    expect(chunks.reduce((n, c) => n + c.persons, 0)).toBe(first.persons);
    expect(await verifyChain(a.db)).toMatchObject({ valid: true });
    // no per-record events: the outbox stays as it was
    expect(await a.db.query('select id from outbox_event')).toEqual([]);
  });

  it('leaves a seeded person to be found by the hub: DCI search by UIN (blind index), reports, match keys', async () => {
    const ctx = await open();
    const seeded = await seedPersons(ctx, 500, 33, { asOf: AS_OF });
    const uin = IdentifierSequence.firstUin(33);
    const [owner] = [...generateHouseholds({ seed: 33, count: 50, areas: districtsOf(), asOf: AS_OF })]
      .flatMap((h) => h.members.map((m) => m.person!))
      .filter((p) => p.identifiers?.some((i) => i.value === uin));
    const outcome = await runSearch(ctx.db, { query_type: 'idtype-value', query: { type: 'UIN', value: uin }, response_entity: 'Member' }, { areas: null }, ctx.config, ctx.secrets);
    expect(outcome).toMatchObject({ ok: true, pagination: { total_count: 1 } });
    const [person] = await ctx.db.query<{ given_name: string; birth_date: string }>('select given_name, birth_date::text from person where id = $1', [(outcome as { ids: string[] }).ids[0]]);
    expect(person).toEqual({ given_name: owner.given_name, birth_date: owner.birth_date });
    const [byIndex] = await ctx.db.query<{ n: number }>(`select count(*)::int as n from person_identifier where id_type = 'UIN' and value_index = $1`, [identifierIndex(ctx.secrets, 'UIN', uin)]);
    expect(byIndex.n).toBe(1);

    const coverage = await coverageReport(ctx, { level: 0 });
    expect(coverage.rows.reduce((n, r) => n + Number(r.persons), 0)).toBe(seeded.persons);
    expect(coverage.rows.reduce((n, r) => n + Number(r.households), 0)).toBe(seeded.households);
    const [keys] = await ctx.db.query<{ n: number }>('select count(*)::int as n from dedup_match_key');
    expect(keys.n).toBe(seeded.persons);
    // the registry IDs the seed issued are well formed (10 digits and a Luhn check digit), as the hub's own
    const srids = await ctx.db.query<{ value_sealed: string }>(`select value_sealed from person_identifier where id_type = 'SRID'`);
    expect(srids.length).toBeGreaterThan(0);
    expect(srids.map((r) => openIdentifier(ctx.secrets, 'SRID', r.value_sealed)).filter((v) => !isValidRegistryId(v))).toEqual([]);
  });

  it('draws the next registry ID when one the seed would issue is already someone else\'s', async () => {
    const ctx = await open();
    await createCountryAreas(ctx.db);
    const { errors } = await ctx.db.transaction((tx) =>
      registerHouseholds(tx, ctx, [{ area_code: 'AM-R1-D1', members: [{ relationship: 'SELF', person: { family_name: 'Doe' } }] }], {
        defaultChannel: 'online', at: () => 'body', skipInvalid: false,
      }),
    );
    expect(errors).toEqual([]);
    // the registered person holds the first registry ID seed 44 would issue
    const first = new IdentifierSequence(44).nextRegistryId();
    await ctx.db.query(`update person_identifier set value_index = $1 where id_type = 'SRID'`, [identifierIndex(ctx.secrets, 'SRID', first)]);

    const seeded = await seedPersons(ctx, 300, 44, { asOf: AS_OF });
    const holders = await ctx.db.query<{ family_name: string }>(
      `select p.family_name from person_identifier i join person p on p.id = i.person_id where i.id_type = 'SRID' and i.value_index = $1`,
      [identifierIndex(ctx.secrets, 'SRID', first)],
    );
    expect(holders).toEqual([{ family_name: 'Doe' }]);
    const [withoutId] = await ctx.db.query<{ n: number }>(
      'select count(*)::int as n from person p where not exists (select 1 from person_identifier i where i.person_id = p.id)',
    );
    expect(withoutId.n).toBe(0);
    expect(seeded.persons).toBeGreaterThanOrEqual(300);
  });
});
