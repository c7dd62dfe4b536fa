// Property: over random consent histories and requests, decideDisclosure always equals a simple reference model
// written from the rules (and the set-based SQL condition selects exactly the people it allows).
import fc from 'fast-check';
import { coveringConsentCondition, decideDisclosure } from '../../consent/policy.js';
import { uuidv7 } from '../../core/ids.js';
import { startConsentHub, type ConsentHub } from './setup.js';

const HOUR = 3_600_000;
const NO_CONSENT_NEEDED = new Set(['legal_obligation', 'public_task', 'vital_interest']);

interface ModelAgreement {
  id: string;
  purpose: string;
  recipients: string[];
  basis: string;
  categories: string[];
  householdConsent: boolean;
}

interface ModelConsent {
  person: number; // index into the household's members (0 is the head)
  agreement: number; // index into the consentable agreements
  state: 'given' | 'refused' | 'withdrawn' | 'expired';
  fromHours: number; // valid_from relative to now (never 0: no race with the clock)
  hours: number;
  forHousehold: boolean;
}

const AGREEMENTS: Omit<ModelAgreement, 'id'>[] = [
  { purpose: 'p', recipients: ['r1'], basis: 'consent', categories: ['name', 'area'], householdConsent: true },
  { purpose: 'p', recipients: ['r1', 'r2'], basis: 'consent', categories: ['contact'], householdConsent: false },
  { purpose: 'q', recipients: ['r1'], basis: 'contract', categories: ['demographics'], householdConsent: false },
  { purpose: 'l', recipients: ['r2'], basis: 'public_task', categories: ['identifiers'], householdConsent: false },
];
const CONSENTABLE = 3; // the first three rest on consent; the last on a public task

/** The rules, as plainly as they can be said. */
function model(agreements: ModelAgreement[], consents: (ModelConsent & { from: number; until: number })[], members: string[],
  request: { purpose?: string; recipient: string; scoped: boolean; persons: number[] }, now: number) {
  const out = new Map<string, { allowed: boolean; categories: string[]; reason: string }>();
  for (const p of request.persons) {
    const id = members[p];
    const refuse = (reason: string) => out.set(id, { allowed: false, categories: [], reason });
    if (!request.scoped) { refuse('scope.missing'); continue; }
    if (!request.purpose) { refuse('purpose.missing'); continue; }
    const forThis = (a: ModelAgreement) => a.purpose === request.purpose && a.recipients.includes(request.recipient);
    const lawful = agreements.filter((a) => forThis(a) && NO_CONSENT_NEEDED.has(a.basis));
    // a person's own consents, and the head's household consents where the agreement allows it (members other than the head)
    const concerning = consents.filter((c) => c.person === p || (c.forHousehold && c.person === 0 && p !== 0 && agreements[c.agreement].householdConsent));
    const matching = concerning.filter((c) => forThis(agreements[c.agreement]));
    const covering = matching.filter((c) => c.state === 'given' && c.from <= now && now < c.until);
    if (covering.length || lawful.length) {
      const categories = new Set([...lawful, ...covering.map((c) => agreements[c.agreement])].flatMap((a) => a.categories));
      out.set(id, { allowed: true, categories: [...categories].sort(), reason: covering.length ? 'consent.given' : `lawful_basis.${lawful[0].basis}` });
    } else if (matching.some((c) => c.state === 'withdrawn')) refuse('consent.withdrawn');
    else if (matching.some((c) => c.state === 'expired' || (c.state === 'given' && c.until <= now))) refuse('consent.expired');
    else if (matching.some((c) => c.state === 'refused')) refuse('consent.refused');
    else if (matching.some((c) => c.state === 'given' && c.from > now)) refuse('consent.not_yet_valid');
    else if (concerning.some((c) => agreements[c.agreement].purpose === request.purpose)) refuse('recipient.mismatch');
    else if (concerning.some((c) => agreements[c.agreement].recipients.includes(request.recipient))) refuse('purpose.mismatch');
    else refuse('consent.none');
  }
  return out;
}

describe('decideDisclosure against a reference model', () => {
  let h: ConsentHub;
  let agreements: ModelAgreement[];
  let household: { id: string; memberIds: string[] };

  beforeAll(async () => {
    h = await startConsentHub();
    agreements = [];
    for (const a of AGREEMENTS) {
      const id = await h.agreement({ purpose_code: a.purpose, recipients: a.recipients, lawful_basis: a.basis, categories: a.categories, household_consent: a.householdConsent });
      agreements.push({ ...a, id });
    }
    household = await h.household();
  });
  afterAll(() => h.stop());

  const consentArb = fc.record({
    person: fc.integer({ min: 0, max: 2 }),
    agreement: fc.integer({ min: 0, max: CONSENTABLE - 1 }),
    state: fc.constantFrom('given' as const, 'given' as const, 'refused' as const, 'withdrawn' as const, 'expired' as const),
    fromHours: fc.integer({ min: -240, max: 48 }).filter((n) => n !== 0),
    hours: fc.integer({ min: 1, max: 480 }),
    forHousehold: fc.boolean(),
  });
  const requestArb = fc.record({
    purpose: fc.constantFrom('p', 'q', 'l', 'x', undefined),
    recipient: fc.constantFrom('r1', 'r2', 'r3'),
    scoped: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
    persons: fc.uniqueArray(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 3 }),
    clientPrefix: fc.boolean(),
  });

  it('always decides as the model does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(consentArb, { maxLength: 6 }), requestArb, async (history, request) => {
        const db = h.t.hub.db;
        await db.query('delete from consent');
        const now = Date.now();
        const stored = history.map((c) => {
          // only the head's consent can be for the household (the API checks that), and only where it is asked for
          const forHousehold = c.forHousehold && c.person === 0;
          const from = now + c.fromHours * HOUR - HOUR / 2;
          return { ...c, forHousehold, from, until: from + c.hours * HOUR };
        });
        for (const c of stored) {
          await db.query(
            `insert into consent (id, person_id, agreement_id, agreement_hash, for_household_id, state, valid_from, valid_until, channel, collected_by)
             values ($1, $2, $3, 'sha256:x', $4, $5, $6, $7, 'in_person', 'test')`,
            [uuidv7(), household.memberIds[c.person], agreements[c.agreement].id, c.forHousehold ? household.id : null, c.state, new Date(c.from), new Date(c.until)],
          );
        }
        const recipient = request.clientPrefix ? `client:${request.recipient}` : request.recipient;
        const ctx = h.ctxAs({ id: `client:${request.recipient}`, scopes: new Set(request.scoped ? ['registry.search'] : ['consent.self']) });
        const personIds = request.persons.map((p) => household.memberIds[p]);
        const decided = await decideDisclosure(ctx, { purpose: request.purpose, recipient, personIds });
        const expected = model(agreements, stored, household.memberIds, request, Date.now());
        const actual = new Map([...decided].map(([id, d]) => [id, { allowed: d.allowed, categories: [...d.categories].sort(), reason: d.reason }]));
        expect(actual).toEqual(expected);

        // the set-based form selects exactly the people allowed
        const params: unknown[] = [personIds];
        const condition = await coveringConsentCondition(ctx, { purpose: request.purpose, recipient }, 'p.id', (v) => `$${params.push(v)}`);
        const selected = condition === 'none' ? [] : (await db.query<{ id: string }>(
          `select p.id from person p where p.id = any($1::uuid[])${condition === null ? '' : ` and ${condition}`}`, params)).map((r) => r.id);
        expect(selected.sort()).toEqual(personIds.filter((id) => expected.get(id)!.allowed).sort());
      }),
      { numRuns: 80 },
    );
  });
});
