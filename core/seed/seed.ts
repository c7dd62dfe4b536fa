// Loading the synthetic population into the registry: the demo data on first start, bulk data for benchmarks.
// The demo goes through the registration path (its few hundred households get every audit entry and event a
// registration makes); bulk data is written directly, chunk by chunk, as the rows a registration writes.
import { setImmediate } from 'node:timers/promises';
import { auditEntries } from '../audit/entry.js';
import type { Db } from '../db/index.js';
import { uuidv7 } from '../ids.js';
import { registerHouseholds, type Registration } from '../registry/households/register.js';
import { registrationError } from '../registry/households/service.js';
import { householdStore } from '../registry/households/store.js';
import { identifierConflicts } from '../registry/persons/new-people.js';
import { today } from '../registry/persons/rules.js';
import { identifierIndex } from '../registry/persons/sealing.js';
import { personStore } from '../registry/persons/store.js';
import type { HouseholdInput } from '../registry/types.js';
import type { Ctx } from '../server/context.js';
import { conflict, HubError } from '../server/errors.js';
import { afterSeed } from './after-seed.js';
import { seedRows, type SeedRows } from './bulk-rows.js';
import { writeSeedRows } from './bulk-write.js';
import { createCountryAreas, districtsOf } from './country.js';
import { generateHouseholds } from './households.js';
import { ID_BLOCKS, IdentifierSequence, idBlock } from './identifiers.js';

export const DEMO_SEED = 42;
export const DEMO_HOUSEHOLDS = 300;
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

export interface SeedOptions {
  /** Households per chunk (one statement, one transaction); bounds the memory a run holds whatever its size. */
  chunkHouseholds?: number;
  /** The day generated ages are counted back from (YYYY-MM-DD); today when absent. */
  asOf?: string;
  /** Called after each chunk is handed to the database, with the totals so far. */
  onProgress?: (total: Seeded) => void;
}

// ~12,500 persons per chunk: large enough that a statement's fixed costs (planning, round trip) vanish, small enough
// that two chunks (one written, the next generated) keep the process near 420 MB RSS whatever the run's size (measured
// at 1,000,000 persons: docs/benchmarks.md)
const CHUNK_HOUSEHOLDS = 2500;
// the generator yields the event loop this often, so the previous chunk's statement is sent and answered meanwhile
const YIELD_EVERY = 250;

/**
 * Adds households until they hold at least `persons` people, written directly (bulk-rows.ts, bulk-write.ts) in
 * chunks, each one statement plus one audit entry in its own transaction; the next chunk is generated while the
 * database writes the previous one. The rows are those a registration writes (sealed fields, blind indexes, match
 * keys, memberships, first history versions); what a seed leaves out and why (per-record audit entries, outbox
 * events) is in docs/benchmarks.md. The same seed gives the same people and identifiers (registry IDs included) on
 * any database; row ids are fresh UUIDv7s as at registration.
 * Runs with different seeds add up; a seed whose identifier block is already in use (the same seed, or one
 * equal modulo 1,000, or the demo's 42) is refused before anything is written. A run that fails midway keeps
 * the chunks it committed, and its seed is then used.
 */
export async function seedPersons(ctx: Ctx, persons: number, seed: number, options: SeedOptions = {}): Promise<Seeded> {
  if (!Number.isSafeInteger(persons) || persons < 1) throw new RangeError(`persons must be a whole number above 0, not ${persons}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`the seed must be a whole number, not ${seed}`);
  const chunkSize = options.chunkHouseholds ?? CHUNK_HOUSEHOLDS;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkHouseholds must be a whole number above 0, not ${chunkSize}`);
  await createCountryAreas(ctx.db);
  await refuseUsedSeed(ctx, seed);
  const run = { id: uuidv7(), seed, registryIds: new IdentifierSequence(seed), date: today() };
  const total: Seeded = { households: 0, persons: 0 };
  let writing: Promise<Error | null> = Promise.resolve(null);
  let chunk = 0;
  let batch: HouseholdInput[] = [];
  const flush = async () => {
    const rows = await chunkRows(ctx, batch, run, total.households);
    // one chunk in flight: the previous one is committed before this one is sent
    const failed = await writing;
    if (failed) throw failed;
    const number = chunk++;
    const counts = { households: batch.length, persons: rows.persons.length };
    writing = writeChunk(ctx, rows, { run: run.id, seed, chunk: number, ...counts }).then(
      () => null,
      (err: Error) => err,
    );
    total.households += counts.households;
    total.persons += counts.persons;
    options.onProgress?.({ ...total });
    batch = [];
  };
  for (const household of generateHouseholds({ seed, persons, areas: districtsOf(), asOf: options.asOf })) {
    batch.push(household);
    if (batch.length === chunkSize) await flush();
    else if (batch.length % YIELD_EVERY === 0) await setImmediate();
  }
  if (batch.length) await flush();
  const failed = await writing;
  if (failed) throw failed;
  await afterSeed(ctx);
  ctx.log.info({ seed, chunks: chunk, ...total }, 'seed written');
  return total;
}

/** A chunk's rows; drawn again (with the next registry IDs) in the rare case one drawn is already someone's. */
async function chunkRows(ctx: Ctx, batch: HouseholdInput[], run: { registryIds: IdentifierSequence; date: string }, offset: number): Promise<SeedRows> {
  for (;;) {
    const rows = seedRows(ctx, batch, () => run.registryIds.nextRegistryId(), run.date, offset);
    const issued = rows.identifiers.filter((i) => i.issued_by_hub).map((i) => ({ type: i.id_type, index: i.value_index }));
    if ((await personStore.registeredIdentifiers(ctx.db, issued)).length === 0) return rows;
  }
}

/** One chunk and its audit entry, all or nothing; an identifier someone already has is reported as registration does. */
async function writeChunk(ctx: Ctx, rows: SeedRows, details: Record<string, unknown>): Promise<void> {
  try {
    await ctx.db.transaction(async (tx) => {
      await writeSeedRows(tx, rows);
      await ctx.audit.recordIn(tx, auditEntries(ctx, [{ action: 'create', entity: 'household', details: { seed_run: details } }]));
    });
  } catch (err) {
    if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
    const errors = await identifierConflicts(ctx.db, rows.people);
    if (errors.length === 0) throw err;
    throw refused({ created: [], errors, identifierConflicts: true });
  }
}

const UNIQUE_VIOLATION = '23505';

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
