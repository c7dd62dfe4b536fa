// A small registry with known households, registered through the hub's own registration path (the same as the API's
// and the import's), for the DCI search and record tests.
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../../../core/config.js';
import type { Db } from '../../../../core/db/index.js';
import { runSearch, type SearchCriteria, type SearchOutcome, type SearchScope } from '../../../../core/dci/query/search.js';
import { createSecrets, type Secrets } from '../../../../core/keys/secrets.js';
import { createLogger } from '../../../../core/log.js';
import { createArea } from '../../../../core/registry/areas/service.js';
import { registerHouseholds } from '../../../../core/registry/households/register.js';
import type { HouseholdInput, PersonInput } from '../../../../core/registry/types.js';
import { systemContext, type Ctx } from '../../../../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../../../../core/server/principal.js';
import { openTestDb } from '../../../helpers/databases.js';
import type { DbEngineName } from '../../../helpers/services.js';

/** A date `years` years before today (UTC), shifted by `days`: someone born then turns `years` today when days = 0. */
export function yearsAgo(years: number, days = 0): string {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear() - years, now.getUTCMonth(), now.getUTCDate() + days));
  return d.toISOString().slice(0, 10);
}

const unique = () => randomBytes(4).toString('hex').toUpperCase();

export interface Seeded {
  db: Db;
  config: Config;
  secrets: Secrets;
  ctx: Ctx;
  stop(): Promise<void>;
  /** Household ids by name (H1..H5). */
  households: Record<string, string>;
  /** Person ids by given name. */
  people: Record<string, string>;
  /** Identifier values by name. */
  ids: Record<string, string>;
  search(criteria: SearchCriteria, scope?: Partial<SearchScope>): Promise<SearchOutcome>;
  /** The ids a successful search found (fails the test on a rejection). */
  found(criteria: SearchCriteria, scope?: Partial<SearchScope>): Promise<string[]>;
}

/**
 * Five households in the areas of createAreas (AM-R1-D1, AM-R1-D2, AM-R2-D1, AM-R2-D2):
 *   H1 AM-R1-D1 poverty 12.5 income 300: Amina (F 1985-04-12, UIN, head), Joseph (M 1980-01-30), Zawadi (F 2015-06-01)
 *   H2 AM-R1-D2 poverty 40 income 900:  Peter (M 1950-02-02, UIN, head), Mary (F 1952-03-03)
 *   H3 AM-R2-D1 poverty 5:              Grace (F 1990-07-07, UIN + NIN, head), Tom (M, 18 today), Ann (F, 18 tomorrow), Leo (M 2018-01-01)
 *   H4 AM-R2-D2 no score:               Solo (sex unknown, no birth date, BRN, head)
 *   H5 AM-R1-D1 poverty "high":         Xan (other, 2000-12-31, head)
 */
export async function seedRegistry(db: DbEngineName): Promise<Seeded> {
  const config = loadConfig({ LOG_LEVEL: 'silent', SRHUB_ID_TYPES: 'NIN', SRHUB_DCI_ATTRIBUTES: 'income,roof' });
  const database = await openTestDb(db);
  const secrets = createSecrets(randomBytes(32));
  const ctx = systemContext(config, database, secrets, createLogger('silent'), SYSTEM_PRINCIPAL);
  // two regions with two districts each: AM-R1 (AM-R1-D1, AM-R1-D2) and AM-R2 (AM-R2-D1, AM-R2-D2)
  await createArea(database, { code: 'AM', name: 'Country' });
  for (const region of ['AM-R1', 'AM-R2']) {
    await createArea(database, { code: region, name: region, parent_code: 'AM' });
    for (const d of ['D1', 'D2']) await createArea(database, { code: `${region}-${d}`, name: d, parent_code: region });
  }
  const ids = { amina: `U${unique()}`, peter: `U${unique()}`, grace: `U${unique()}`, graceNin: `N-${unique()}`, solo: `B/${unique()}` };
  const person = (given: string, sex: PersonInput['sex'], birth: string | null, extra: Partial<PersonInput> = {}): PersonInput => ({
    given_name: given,
    family_name: 'Test',
    sex,
    ...(birth ? { birth_date: birth } : {}),
    ...extra,
  });
  const households: Record<string, HouseholdInput> = {
    H1: {
      area_code: 'AM-R1-D1',
      address: 'Plot 12, Market Road',
      household_type: 'family',
      location: { latitude: -1.28, longitude: 36.82 },
      attributes: { poverty_score: 12.5, income: 300, roof: 'iron' },
      members: [
        {
          relationship: 'SELF',
          person: person('Amina', 'female', '1985-04-12', {
            identifiers: [{ type: 'UIN', value: ids.amina }],
            phone: '+254 712 000 111',
            email: 'amina@example.org',
            disabilities: ['VIS_SS'],
            preferred_language: 'swa',
            attributes: { occupation: 'trader' },
          }),
        },
        { relationship: 'HUSB', person: person('Joseph', 'male', '1980-01-30') },
        { relationship: 'DAU', person: person('Zawadi', 'female', '2015-06-01') },
      ],
    },
    H2: {
      area_code: 'AM-R1-D2',
      household_type: 'couple',
      attributes: { poverty_score: 40, income: 900 },
      members: [
        { relationship: 'SELF', person: person('Peter', 'male', '1950-02-02', { identifiers: [{ type: 'UIN', value: ids.peter }] }) },
        { relationship: 'WIFE', person: person('Mary', 'female', '1952-03-03') },
      ],
    },
    H3: {
      area_code: 'AM-R2-D1',
      attributes: { poverty_score: 5, roof: 'thatch' },
      members: [
        {
          relationship: 'SELF',
          person: person('Grace', 'female', '1990-07-07', {
            identifiers: [
              { type: 'UIN', value: ids.grace },
              { type: 'NIN', value: ids.graceNin },
            ],
          }),
        },
        { relationship: 'SON', person: person('Tom', 'male', yearsAgo(18)) },
        { relationship: 'DAU', person: person('Ann', 'female', yearsAgo(18, 1)) },
        { relationship: 'SON', person: person('Leo', 'male', '2018-01-01') },
      ],
    },
    H4: {
      area_code: 'AM-R2-D2',
      members: [{ relationship: 'SELF', person: person('Solo', 'unknown', null, { identifiers: [{ type: 'BRN', value: ids.solo }] }) }],
    },
    H5: {
      area_code: 'AM-R1-D1',
      attributes: { poverty_score: 'high' },
      members: [{ relationship: 'SELF', person: person('Xan', 'other', '2000-12-31') }],
    },
  };
  const householdIds: Record<string, string> = {};
  for (const [name, input] of Object.entries(households)) {
    const registration = await database.transaction((tx) =>
      registerHouseholds(tx, ctx, [input], { defaultChannel: 'online', at: () => 'body', skipInvalid: false }),
    );
    if (registration.errors.length) throw new Error(`seeding ${name}: ${JSON.stringify(registration.errors)}`);
    householdIds[name] = registration.created[0].id;
  }
  const rows = await database.query<{ id: string; given_name: string }>('select id, given_name from person');
  const people = Object.fromEntries(rows.map((r) => [r.given_name, r.id]));
  const search = (criteria: SearchCriteria, scope: Partial<SearchScope> = {}) =>
    runSearch(database, criteria, { areas: null, ...scope }, config, secrets);
  const found = async (criteria: SearchCriteria, scope: Partial<SearchScope> = {}) => {
    const outcome = await search(criteria, scope);
    if (!outcome.ok) throw new Error(`search rejected: ${outcome.code} ${outcome.message}`);
    return outcome.ids;
  };
  const stop = async () => {
    await ctx.audit.stop();
    await database.close();
  };
  return { db: database, config, secrets, ctx, stop, households: householdIds, people, ids, search, found };
}
