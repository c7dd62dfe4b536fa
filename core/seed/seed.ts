// Loading the synthetic population into the registry: the demo data on first start, bulk data for benchmarks.
// Everything goes through the registration path, so seeded data obeys the same rules and gets the same history.
import type { Db } from '../db/index.js';
import { registerHouseholds, type Registration } from '../registry/households/register.js';
import { registrationError } from '../registry/households/service.js';
import { householdStore } from '../registry/households/store.js';
import { identifierIndex } from '../registry/persons/sealing.js';
import { personStore } from '../registry/persons/store.js';
import type { HouseholdInput } from '../registry/types.js';
import type { Ctx } from '../server/context.js';
import { conflict, HubError } from '../server/errors.js';
import { createCountryAreas, districtsOf } from './country.js';
import { generateHouseholds } from './households.js';
import { ID_BLOCKS, IdentifierSequence, idBlock } from './identifiers.js';

export const DEMO_SEED = 42;
export const DEMO_HOUSEHOLDS = 300;
// one transaction per batch: large enough for set-based inserts to pay, small enough to keep transactions short
const BATCH_SIZE = 1000;
// any constant: the same for every hub instance sharing a database (migrations use 7316402)
const SEED_LOCK_KEY = 7316403;

export interface Seeded {
  households: number;
  persons: number;
}

/** The demo country and a few hundred households, all or nothing; null (nothing done) when the registry has any household. */
export async function seedDemo(ctx: Ctx): Promise<Seeded | null> {
  return ctx.db.transaction(async (tx) => {
    // hub instances started together with --demo: one seeds, the others wait here and then find data
    await tx.query('select pg_advisory_xact_lock($1)', [SEED_LOCK_KEY]);
    if ((await householdStore.list(tx, null, undefined, 1)).length > 0) return null;
    await createCountryAreas(tx);
    const households = [...generateHouseholds({ seed: DEMO_SEED, count: DEMO_HOUSEHOLDS, areas: districtsOf() })];
    await register(tx, ctx, households, 0);
    return { households: households.length, persons: countPersons(households) };
  });
}

/**
 * Adds households until they hold at least `persons` people, one committed transaction per batch.
 * Runs with different seeds add up; a seed whose identifier block is already in use (the same seed, or one
 * equal modulo 1,000, or the demo's 42) is refused before anything is written. A run that fails midway keeps
 * the batches it committed, and its seed is then used.
 */
export async function seedPersons(ctx: Ctx, persons: number, seed: number): Promise<Seeded> {
  if (!Number.isSafeInteger(persons) || persons < 1) throw new RangeError(`persons must be a whole number above 0, not ${persons}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`the seed must be a whole number, not ${seed}`);
  await createCountryAreas(ctx.db);
  await refuseUsedSeed(ctx, seed);
  const total: Seeded = { households: 0, persons: 0 };
  let batch: HouseholdInput[] = [];
  const flush = async () => {
    await ctx.db.transaction((tx) => register(tx, ctx, batch, total.households));
    total.households += batch.length;
    total.persons += countPersons(batch);
    ctx.log.debug({ households: total.households, persons: total.persons }, 'seed batch written');
    batch = [];
  };
  for (const household of generateHouseholds({ seed, persons, areas: districtsOf() })) {
    batch.push(household);
    if (batch.length === BATCH_SIZE) await flush();
  }
  if (batch.length) await flush();
  return total;
}

async function refuseUsedSeed(ctx: Ctx, seed: number): Promise<void> {
  const first = IdentifierSequence.firstUin(seed);
  const [taken] = await personStore.registeredIdentifiers(ctx.db, [{ type: 'UIN', index: identifierIndex(ctx.secrets, 'UIN', first) }]);
  if (taken) {
    throw conflict(
      'seed.used',
      `Seed ${seed} was already used on this database (it shares identifier block ${idBlock(seed)} with earlier seeded data; ` +
        `seeds equal modulo ${ID_BLOCKS} share a block). Choose another seed.`,
    );
  }
}

/** Registers one batch; generated data must be valid, so any error stops the seeding with the first few. */
async function register(tx: Db, ctx: Ctx, households: HouseholdInput[], offset: number): Promise<void> {
  const registration = await registerHouseholds(tx, ctx, households, {
    defaultChannel: 'bulk_import',
    at: (i) => `households[${offset + i}]`,
    skipInvalid: false,
  });
  if (registration.errors.length) throw refused(registration);
}

function refused(registration: Registration): HubError {
  const { errors } = registration;
  const shown = errors.slice(0, 3).map((e) => `${e.field} ${e.message}`);
  const more = errors.length > shown.length ? ` (and ${errors.length - shown.length} more)` : '';
  const e = registrationError({ ...registration, errors: errors.slice(0, 20) });
  return new HubError(e.status, e.code, `The registry refused generated households: ${shown.join('; ')}${more}.`, e.details);
}

function countPersons(households: HouseholdInput[]): number {
  return households.reduce((sum, h) => sum + h.members.length, 0);
}
