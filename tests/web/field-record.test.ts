// The field app's pure helpers (web/field/record.ts): an edit becomes the sync protocol's changes field by field,
// and the hub's error paths point back at the answers on screen. Checked with the hub's own change checks.
import { defaultHouseholdForm } from '../../core/forms/default-household.js';
import { validateWithDefinition } from '../../core/forms/validate.js';
import { changeErrors } from '../../core/sync/validate-changes.js';
import { answerPathOf, answersOf, changesOf, labelOf, withAnswer } from '../../web/field/record.js';
import type { StoredHousehold } from '../../web/field/store.js';

const form = defaultHouseholdForm();
const PERSON = '0190f0d2-0000-7000-8000-000000000001';

function aStoredHousehold(): StoredHousehold {
  return {
    id: '0190f0d2-0000-7000-8000-0000000000aa',
    version: 3,
    household_type: null,
    address: 'By the well',
    area_code: 'AM-R1-D1',
    location: null,
    attributes: { rooms: 2, income_sources: ['farming'], monthly_income: 100 },
    deregistered_at: null,
    members: [{
      person_id: PERSON, relationship: 'SELF', start_date: '2024-01-01',
      person: { id: PERSON, version: 7, given_name: 'Amina', family_name: 'Okello', sex: 'female', birth_date: '1980-02-02', phone: null, email: null, identifiers: [{ type: 'UIN', value: '123', issued_by_hub: false }], attributes: {}, channel: 'mobile' },
    }],
  };
}

test('an edit becomes household, person and new-member changes, each at its own base version', () => {
  const base = aStoredHousehold();
  let edited = answersOf(base);
  expect(edited.members[0].person).toEqual({ given_name: 'Amina', family_name: 'Okello', sex: 'female', birth_date: '1980-02-02', identifiers: [{ type: 'UIN', value: '123' }], attributes: {} });
  expect(changesOf(form, base, edited)).toBeUndefined();

  edited = withAnswer(edited, 'attributes.rooms', 5);
  edited = withAnswer(edited, 'attributes.monthly_income', undefined);
  edited = withAnswer(edited, 'members[0].person.phone', '+254 700 000 000');
  edited = { ...edited, members: [...edited.members, { relationship: 'DAU', person: { given_name: 'Zawadi', sex: 'female', birth_date: '2023-05-01' } }] };
  expect(changesOf(form, base, edited)).toEqual({
    household: { attributes: { rooms: 5, monthly_income: null } },
    persons: [{ person_id: PERSON, base_version: 7, changes: { phone: '+254 700 000 000' } }],
    add_members: [{ relationship: 'DAU', person: { given_name: 'Zawadi', sex: 'female', birth_date: '2023-05-01' } }],
  });
});

test('the hub\'s checks of changes point back at the answers on screen', () => {
  const base = aStoredHousehold();
  let edited = withAnswer(answersOf(base), 'attributes.rooms', 0);
  edited = withAnswer(edited, 'members[0].person.sex', 'unsure');
  edited = { ...edited, members: [...edited.members, { relationship: 'SON', person: { given_name: 'Baraka' } }] };
  const changes = changesOf(form, base, edited)!;
  const errors = changeErrors((data, options) => validateWithDefinition(form, data, options), changes, 'body.items[0]', 'body.items[0].form');
  const item = { kind: 'update' as const, changes, household_id: base.id };
  const paths = errors.map((e) => answerPathOf(e.field, item as never, base));
  expect(paths).toEqual(expect.arrayContaining(['attributes.rooms', 'members[0].person.sex', 'members[1].person.sex', 'members[1].person.birth_date']));
  expect(labelOf(form, 'members[1].person.birth_date', 'fr', (n) => `Membre ${n}`)).toBe('Membre 2: Date de naissance');
  expect(labelOf(form, 'attributes.rooms', 'en', String)).toBe('Rooms used for sleeping');
  expect(answerPathOf('body.items[4].household.members[0].relationship', { kind: 'new' } as never)).toBe('members[0].relationship');
});
