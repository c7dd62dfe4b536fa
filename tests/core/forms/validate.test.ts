// validateWithDefinition on the default questionnaire, and checkDefinition on broken definitions.
import { checkDefinition } from '../../../core/forms/definition.js';
import { defaultHouseholdForm, deriveDisabilities } from '../../../core/forms/default-household.js';
import { renderForm } from '../../../core/forms/render.js';
import { validateWithDefinition } from '../../../core/forms/validate.js';
import { anAnsweredHousehold } from './form-data.js';

const form = defaultHouseholdForm();
const today = '2026-06-15';
const validate = (data: unknown, partial = false) => validateWithDefinition(form, data, { today, partial });

describe('validateWithDefinition (default questionnaire)', () => {
  it('is itself a valid definition, in English and French', () => {
    expect(checkDefinition(form)).toEqual([]);
    expect(form.languages).toEqual(['en', 'fr']);
  });

  it('accepts a complete answer', () => {
    expect(validate(anAnsweredHousehold())).toEqual([]);
  });

  it('names every problem by its path: schema, required, choices, constraints, skip logic', () => {
    const h = anAnsweredHousehold() as any;
    h.attributes.dwelling_wall = 'marble';
    delete h.attributes.meals_skipped;
    h.attributes.income_sources = ['none', 'salary'];
    h.attributes.rooms = 0;
    h.members[0].person.attributes.in_school = true; // asked only from 5 to 24
    delete h.members[1].person.attributes.wg_hearing;
    h.members[1].person.nickname = 'Z';
    expect(validate(h)).toEqual(expect.arrayContaining([
      { field: 'body.attributes.dwelling_wall', message: expect.stringContaining('must be one of') },
      { field: 'body.attributes.meals_skipped', message: 'is required' },
      { field: 'body.attributes.income_sources', message: '"No income" cannot be combined with another source.' },
      { field: 'body.attributes.rooms', message: 'must be at least 1' },
      { field: 'body.members[0].person.attributes.in_school', message: expect.stringContaining('does not apply') },
      { field: 'body.members[1].person.attributes.wg_hearing', message: 'is required' },
      { field: 'body.members[1].person.nickname', message: 'is not a field of this form' },
    ]));
  });

  it('follows the skip logic: no income asks no amount, a young child answers no disability questions', () => {
    const h = anAnsweredHousehold() as any;
    h.attributes.income_sources = ['none'];
    delete h.attributes.monthly_income;
    h.members.push({ relationship: 'SON', person: { given_name: 'Baby', family_name: 'X', sex: 'male', birth_date: '2024-01-01' } });
    expect(validate(h)).toEqual([]);
    h.attributes.monthly_income = 10;
    expect(validate(h)).toEqual([{ field: 'body.attributes.monthly_income', message: expect.stringContaining('does not apply') }]);
  });

  it('checks only the answers given in partial mode (an update), constraints on `.` included', () => {
    expect(validate({ attributes: { rooms: 3 } }, true)).toEqual([]);
    expect(validate({ attributes: { rooms: 99, toilet: 'bucket' } }, true)).toEqual([
      { field: 'body.attributes.rooms', message: 'must be at most 50' },
      { field: 'body.attributes.toilet', message: expect.stringContaining('must be one of') },
    ]);
    // the form's own constraint (a rule of the UI layer) holds in partial mode too
    expect(validate({ attributes: { income_sources: ['none', 'salary'] } }, true)).toEqual([
      { field: 'body.attributes.income_sources', message: '"No income" cannot be combined with another source.' },
    ]);
  });

  it('derives person.disabilities from the Washington Group cut-off', () => {
    const h = anAnsweredHousehold() as any;
    h.members[1].person.attributes.wg_seeing = 'cannot_do';
    const derived = deriveDisabilities(h);
    expect(derived.members[0].person.disabilities).toEqual(['MOB_SS']);
    expect(derived.members[1].person.disabilities).toEqual(['VIS_SS']);
  });

  it('renders in French with the skip logic applied', () => {
    const rendered = renderForm(form, anAnsweredHousehold() as Record<string, unknown>, 'fr', today);
    const dwelling = rendered.sections.find((s) => s.id === 'dwelling')!;
    expect(dwelling.title).toBe('Logement');
    expect(dwelling.items[0].fields[0].choices).toContainEqual({ value: 'mud', label: 'Terre' });
    const members = rendered.sections.find((s) => s.id === 'members')!;
    expect(members.items).toHaveLength(2);
    const inSchool = (i: number) => members.items[i].fields.find((f) => f.path === 'person.attributes.in_school')!;
    expect([inSchool(0).asked, inSchool(1).asked]).toEqual([false, true]);
    expect(rendered.errors).toEqual([]);
  });
});

describe('checkDefinition', () => {
  it('refuses unsupported schema keywords, bad expressions, missing translations, unknown paths and lists', () => {
    const broken = structuredClone(form) as any;
    broken.schema.properties.attributes.properties.rooms.$ref = '#/x';
    broken.ui.sections[1].fields[0].relevant = 'eval(1)';
    broken.ui.sections[1].fields[1].label = { en: 'Roof' };
    broken.ui.sections[1].fields[2].path = 'attributes.nowhere';
    broken.ui.sections[1].fields[3].constraint = '${__proto__} = 1';
    broken.ui.sections[1].fields[4].choices = 'missing_list';
    const errors = checkDefinition(broken);
    expect(errors).toEqual(expect.arrayContaining([
      { field: 'definition.schema.properties.attributes.properties.rooms.$ref', message: expect.stringContaining('not a supported keyword') },
      { field: 'definition.ui.sections[1].fields[0].relevant', message: expect.stringContaining('unknown function "eval"') },
      { field: 'definition.ui.sections[1].fields[1].label', message: 'needs a text in fr' },
      { field: 'definition.ui.sections[1].fields[2].path', message: expect.stringContaining('not in the data schema') },
      { field: 'definition.ui.sections[1].fields[3].constraint', message: expect.stringContaining('not a field path') },
      { field: 'definition.ui.sections[1].fields[4].choices', message: 'must name a list in choices' },
    ]));
  });
});
