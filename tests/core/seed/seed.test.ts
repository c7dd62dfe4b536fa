import { randomBytes } from 'node:crypto';
import { createSecrets } from '../../../core/keys/secrets.js';
import { loadConfig } from '../../../core/config.js';
import type { Db } from '../../../core/db/index.js';
import { createLogger } from '../../../core/log.js';
import { listAreas } from '../../../core/registry/areas/service.js';
import { registerHouseholds } from '../../../core/registry/households/register.js';
import { areasOf, createCountryAreas } from '../../../core/seed/country.js';
import { IdentifierSequence } from '../../../core/seed/identifiers.js';
import { DEMO_HOUSEHOLDS, DEMO_SEED, seedDemo, seedPersons } from '../../../core/seed/seed.js';
import { systemContext, type Ctx } from '../../../core/server/context.js';
import { HubError } from '../../../core/server/errors.js';
import { SYSTEM_PRINCIPAL } from '../../../core/server/principal.js';
import { openTestDb } from '../../helpers/databases.js';
import { dbEngines } from '../../helpers/services.js';

async function counts(db: Db): Promise<{ households: number; persons: number; memberships: number; heads: number }> {
  const [row] = await db.query<{ households: number; persons: number; memberships: number; heads: number }>(
    `select (select count(*) from household)::int as households, (select count(*) from person)::int as persons,
       (select count(*) from membership)::int as memberships,
       (select count(*) from household where head_person_id is not null)::int as heads`,
  );
  return row;
}

describe.each(dbEngines())('seeding on %s', (engine) => {
  let db: Db;
  let ctx: Ctx;
  beforeEach(async () => {
    db = await openTestDb(engine);
    ctx = systemContext(loadConfig({ LOG_LEVEL: 'silent' }), db, createSecrets(randomBytes(32)), createLogger('silent'), SYSTEM_PRINCIPAL);
  });
  afterEach(() => db.close());

  it('loads the demo country into a fresh registry, and skips it the second time', async () => {
    const seeded = await seedDemo(ctx);
    expect(seeded).toEqual({ households: DEMO_HOUSEHOLDS, persons: expect.any(Number) });
    expect(await counts(db)).toEqual({ households: DEMO_HOUSEHOLDS, persons: seeded!.persons, memberships: seeded!.persons, heads: DEMO_HOUSEHOLDS });
    expect((await listAreas(db)).map((a) => a.code).sort()).toEqual(areasOf().map((a) => a.code).sort());
    // people without a supplied identifier got a registry ID from the hub
    const [withoutId] = await db.query<{ n: number }>(
      'select count(*)::int as n from person p where not exists (select 1 from person_identifier i where i.person_id = p.id)',
    );
    expect(withoutId.n).toBe(0);

    expect(await seedDemo(ctx)).toBeNull();
    expect((await counts(db)).households).toBe(DEMO_HOUSEHOLDS);
    // the demo's seed cannot be reused for bulk data
    await expect(seedPersons(ctx, 10, DEMO_SEED)).rejects.toMatchObject({ status: 409, code: 'seed.used' });
  });

  it('adds persons with different seeds, and refuses a seed whose identifiers are in the registry', async () => {
    const first = await seedPersons(ctx, 1500, 7);
    expect(first.persons).toBeGreaterThanOrEqual(1500);
    const second = await seedPersons(ctx, 1200, 8);
    expect(second.persons).toBeGreaterThanOrEqual(1200);
    const total = { households: first.households + second.households, persons: first.persons + second.persons };
    expect(await counts(db)).toMatchObject(total);

    for (const reused of [7, 1007]) {
      const err = await seedPersons(ctx, 100, reused).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubError);
      expect(err).toMatchObject({ status: 409, code: 'seed.used' });
    }
    expect(await counts(db)).toMatchObject(total);
  });

  it('stops cleanly, writing nothing of the chunk, when a generated identifier is already registered', async () => {
    await createCountryAreas(db);
    const ids = new IdentifierSequence(5);
    ids.nextUin();
    const taken = ids.nextUin(); // not the first, so the up-front check passes and the registration catches it
    const person = { given_name: 'Ana', sex: 'female' as const, birth_date: '1990-01-01', identifiers: [{ type: 'UIN', value: taken }] };
    const { errors } = await db.transaction((tx) =>
      registerHouseholds(tx, ctx, [{ area_code: 'AM-R1-D1', members: [{ relationship: 'SELF', person }] }], {
        defaultChannel: 'online',
        at: () => 'body',
        skipInvalid: false,
      }),
    );
    expect(errors).toEqual([]);

    const err = await seedPersons(ctx, 100, 5).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err).toMatchObject({ status: 409, code: 'identifier.duplicate' });
    expect((err as Error).message).toContain(`UIN ${taken} is already registered`);
    expect(await counts(db)).toMatchObject({ households: 1, persons: 1 });
  });

  it('writes large runs in several chunks', async () => {
    const seeded = await seedPersons(ctx, 6000, 3, { chunkHouseholds: 500 });
    expect(seeded.households).toBeGreaterThan(1000);
    expect(await counts(db)).toMatchObject({ ...seeded, memberships: seeded.persons, heads: seeded.households });
    const [chunks] = await db.query<{ n: number }>(`select count(*)::int as n from audit_log where details ? 'seed_run'`);
    expect(chunks.n).toBe(Math.ceil(seeded.households / 500));
  });

  it('does not seed the demo over existing data, nor add its areas', async () => {
    await db.query(`insert into admin_area (code, name, level, path) values ('XX', 'Elsewhere', 0, '/XX/')`);
    const { errors } = await db.transaction((tx) =>
      registerHouseholds(tx, ctx, [{ area_code: 'XX', members: [{ relationship: 'SELF', person: { family_name: 'Doe' } }] }], {
        defaultChannel: 'online',
        at: () => 'body',
        skipInvalid: false,
      }),
    );
    expect(errors).toEqual([]);
    expect(await seedDemo(ctx)).toBeNull();
    expect((await listAreas(db)).map((a) => a.code)).toEqual(['XX']);
  });
});
