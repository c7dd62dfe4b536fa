import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { DATA_CATEGORIES, type DataCategory } from '../../../consent/categories.js';
import type { Db } from '../../../core/db/index.js';
import { loadRecords, personIdsOf } from '../../../core/dci/records.js';
import type { Ctx } from '../../../core/server/context.js';
import { apiEngines } from '../../helpers/services.js';
import { seedRegistry, type Seeded } from './query/seed.js';

// The records are checked with plain ajv (not the validator that routes requests) against JSON Schemas derived from
// the spec's JSON-LD classes (shared/spdci/schemas): every property must be one the class defines, with the range's
// type, and code lists (sex, relationship, assistance unit, functional limitation) must hold. The records are also
// checked inside a SearchResponse against the social API's own component.
const SPDCI = path.resolve(process.cwd(), '../shared/spdci');

type JsonLd = Record<string, any>;
const readJsonLd = (file: string): JsonLd => JSON.parse(readFileSync(path.join(SPDCI, 'schemas', file), 'utf8'));
const classOf = (file: string): JsonLd => {
  const doc = readJsonLd(file);
  return doc['@graph'] ? doc['@graph'][0] : doc;
};
const codes = (file: string): string[] => (classOf(file)['owl:oneOf'] as string[]).map((c) => c.slice(c.indexOf(':') + 1));

function recordSchemas(): Record<string, object> {
  const classes: Record<string, string[]> = {
    Group: ['core/v1/data/Group.jsonld', 'extensions/social/v1/data/Group.jsonld'],
    Member: ['core/v1/data/Member.jsonld', 'extensions/social/v1/data/Member.jsonld'],
    Person: ['core/v1/data/Person.jsonld', 'extensions/social/v1/data/SRPerson.jsonld'],
    Identifier: ['core/v1/data/Identifier.jsonld'],
    Name: ['core/v1/data/Name.jsonld'],
    Address: ['core/v1/data/Address.jsonld'],
    Place: ['core/v1/data/Place.jsonld'],
    RelatedPerson: ['core/v1/data/RelatedPerson.jsonld'],
    GeoCoordinates: ['core/v1/data/Geocoordinates.jsonld'],
    DisabilityInfo: ['core/v1/data/DisabilityInfo.jsonld'],
  };
  const classRefs: Record<string, string> = {
    'spdci:Identifier': 'Identifier',
    'code:Identifier': 'Identifier',
    'spdci:Person': 'Person',
    'spdci:SRPerson': 'Person',
    'spdci:Member': 'Member',
    'spdci:Address': 'Address',
    'spdci:Place': 'Place',
    'spdci:GeoCoordinates': 'GeoCoordinates',
    'spdci:RelatePerson': 'RelatedPerson', // sic in Member.jsonld
    'spdci:Name': 'Name',
    'spdci:DisabilityInfo': 'DisabilityInfo',
  };
  const isoDate = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})?)?$' };
  const ranges: Record<string, object> = {
    'xsd:string': { type: 'string' },
    'xsd:boolean': { type: 'boolean' },
    'xsd:decimal': { type: 'number' },
    'xsd:integer': { type: 'integer' },
    'common:DateTime': isoDate,
    'spdci:DateTime': isoDate,
    'code:SexCategoryEnum': { enum: codes('core/v1/code/SexCategoryEnum.jsonld') },
    'code:RelationshipTypeEnum': { enum: codes('core/v1/code/RelationshipTypeEnum.jsonld') },
    'code:AssistanceUnitEnum': { enum: codes('core/v1/code/AssistanceUnit.jsonld') },
    'code:FunctionalLimitationType': { enum: codes('core/v1/code/FunctionalLimitationType.jsonld') },
    // the API leaves identifier types to the implementation ("UIN, MOBILE, BRN, MRN, DRN, etc.")
    'code:IdentifierTypeEnum': { type: 'string', pattern: '^[A-Z][A-Z0-9_]+$' },
    // the code list holds one placeholder ("1" = en); the API's locale is ISO 639-3
    'code:LanguageCodeEnum': { type: 'string', pattern: '^[a-z]{3}$' },
  };
  const rangeSchema = (range: unknown): object => {
    const id = typeof range === 'string' ? range : ((range as JsonLd)?.['@id'] ?? (range as JsonLd)?.['@type']);
    if (classRefs[id]) return { $ref: `#/definitions/${classRefs[id]}` };
    return ranges[id] ?? {};
  };
  const definitions: Record<string, object> = {};
  for (const [name, files] of Object.entries(classes)) {
    const properties: Record<string, object> = { '@type': { type: 'string' }, '@id': { type: 'string' }, '@context': {} };
    for (const file of files) {
      for (const p of classOf(file)['rdfs:property'] ?? []) {
        const key = (p['@id'] as string).slice((p['@id'] as string).indexOf(':') + 1);
        const range = p['rdfs:range'];
        const list = typeof range === 'object' && range?.['@container'] === '@list';
        properties[key] = list ? { type: 'array', items: rangeSchema(range) } : rangeSchema(range);
      }
    }
    definitions[name] = { type: 'object', properties, additionalProperties: false };
  }
  return definitions;
}

describe.each(apiEngines())('DCI records on %s', (db) => {
  let s: Seeded;
  let ctx: Ctx;
  let validateGroup: ValidateFunction;
  let validateMember: ValidateFunction;
  let validateSearchResponse: ValidateFunction;
  const ALL: ReadonlySet<DataCategory> = new Set(DATA_CATEGORIES);

  beforeAll(async () => {
    s = await seedRegistry(db);
    ctx = s.ctx;
    const ajv = new Ajv.default({ strict: false, allErrors: true, formats: { int32: true } });
    addFormats.default(ajv);
    const definitions = recordSchemas();
    validateGroup = ajv.compile({ definitions, $ref: '#/definitions/Group' });
    validateMember = ajv.compile({ definitions, $ref: '#/definitions/Member' });
    const spec = parse(readFileSync(path.join(SPDCI, 'social_api_v1.0.0.yaml'), 'utf8'));
    ajv.addSchema(spec, 'spec');
    validateSearchResponse = ajv.compile({ $ref: 'spec#/components/schemas/SearchResponse' });
  });
  afterAll(() => s?.stop());

  const valid = (validate: ValidateFunction, record: unknown) => {
    const ok = validate(record);
    return ok ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  };
  const inSearchResponse = (entity: string, records: object[]) => ({
    transaction_id: 'T1',
    correlation_id: 'C1',
    search_response: [
      {
        reference_id: 'R1',
        timestamp: new Date().toISOString(),
        status: 'succ',
        data: { version: '1.0.0', reg_type: 'ns:org:RegistryType:Social', reg_record_type: entity, reg_records: records },
        pagination: { page_size: 10, page_number: 1, total_count: records.length },
      },
    ],
  });

  it('shapes a household as a Group with its members, every value opened and in the spec code lists', async () => {
    const { H1, H2 } = s.households;
    const records = (await loadRecords(ctx, 'Group', [H2, H1], () => ALL)) as any[];
    expect(records.map((r) => r['@id'])).toEqual([`urn:uuid:${H2}`, `urn:uuid:${H1}`]);
    for (const r of records) expect(valid(validateGroup, r)).toEqual([]);
    expect(valid(validateSearchResponse, inSearchResponse('Group', records))).toEqual([]);

    const h1 = records[1];
    expect(h1).toMatchObject({
      '@type': 'Group',
      group_identifier: [{ '@type': 'Identifier', identifier_type: 'HOUSEHOLD_ID', identifier_value: H1 }],
      group_type: '3',
      group_size: 3,
      poverty_score: 12.5,
      geographical_location: { '@type': 'Place', address_line: 'Plot 12, Market Road', geo: { '@type': 'GeoCoordinates', latitude: -1.28, longitude: 36.82 } },
      address: [{ '@type': 'Address', address_line_1: 'Plot 12, Market Road', sub_region_code: 'AM-R1-D1' }],
      registration_date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      last_updated: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    expect(h1.additional_attributes).toEqual(
      expect.arrayContaining([{ name: 'household_type', value: 'family' }, { name: 'income', value: 300 }, { name: 'roof', value: 'iron' }]),
    );
    expect(h1.member_list.map((m: any) => m.demographic_info.name.given_name)).toEqual(['Amina', 'Joseph', 'Zawadi']);
    expect(h1.group_head_info).toEqual(h1.member_list[0]);
    expect(h1.group_head_info).toMatchObject({
      '@type': 'Member',
      '@id': `urn:uuid:${s.people.Amina}`,
      member_identifier: [{ '@type': 'Identifier', identifier_type: 'UIN', identifier_value: s.ids.amina }],
      demographic_info: {
        '@type': 'SRPerson',
        identifier: [{ '@type': 'Identifier', identifier_type: 'UIN', identifier_value: s.ids.amina }],
        name: { '@type': 'Name', given_name: 'Amina', surname: 'Test' },
        sex: 'female',
        birth_date: '1985-04-12',
        phone_number: ['+254 712 000 111'],
        email: ['amina@example.org'],
        address: [{ '@type': 'Address', address_line_1: 'Plot 12, Market Road', sub_region_code: 'AM-R1-D1' }],
      },
      is_disabled: true,
      disability_info: [{ '@type': 'DisabilityInfo', disability_limitation_type: 'VIS_SS' }],
      language_code: 'swa',
      additional_attributes: [{ name: 'occupation', value: 'trader' }],
    });
    expect(h1.group_head_info.related_person).toBeUndefined();
    expect(h1.member_list[1]).toMatchObject({
      related_person: [{ '@type': 'RelatedPerson', relationship_type: 'HUSB', related_member: { '@type': 'SRPerson', '@id': `urn:uuid:${s.people.Amina}` } }],
      demographic_info: { sex: 'male', birth_date: '1980-01-30' },
      is_disabled: false,
    });
    // a household type other than family is an AssistanceUnit household, its own type kept as an attribute
    expect(records[0]).toMatchObject({ group_type: '2', group_size: 2, poverty_score: 40 });
    expect(records[0].additional_attributes).toContainEqual({ name: 'household_type', value: 'couple' });
  });

  it('has validators that catch what the spec forbids (the checks above can fail)', async () => {
    const [member] = (await loadRecords(ctx, 'Member', [s.people.Amina], () => ALL)) as any[];
    expect(valid(validateMember, member)).toEqual([]);
    expect(valid(validateMember, { ...member, demographic_info: { ...member.demographic_info, sex: 'F' } })).not.toEqual([]);
    expect(valid(validateMember, { ...member, nickname: 'Ami' })).not.toEqual([]);
    expect(valid(validateMember, { ...member, demographic_info: { ...member.demographic_info, name: { given: 'Amina' } } })).not.toEqual([]);
    expect(valid(validateMember, { ...member, is_disabled: 'yes' })).not.toEqual([]);
    expect(valid(validateMember, { ...member, disability_info: [{ disability_limitation_type: 'BLIND' }] })).not.toEqual([]);
    const [group] = (await loadRecords(ctx, 'Group', [s.households.H1], () => ALL)) as any[];
    expect(valid(validateGroup, { ...group, group_type: 'family' })).not.toEqual([]);
    expect(valid(validateGroup, { ...group, member_list: [{ ...group.member_list[0], related_person: [{ relationship_type: 'BOSS' }] }] })).not.toEqual([]);
    expect(valid(validateSearchResponse, { ...inSearchResponse('Group', [group]), correlation_id: undefined })).not.toEqual([]);
  });

  it('shapes people as Members in the order asked, leaving out ids that are not found', async () => {
    const missing = '01890000-0000-7000-8000-000000000000';
    const records = (await loadRecords(ctx, 'Member', [s.people.Grace, missing, s.people.Solo, s.people.Mary], () => ALL)) as any[];
    expect(records.map((r) => r.demographic_info.name.given_name)).toEqual(['Grace', 'Solo', 'Mary']);
    for (const r of records) expect(valid(validateMember, r)).toEqual([]);
    expect(valid(validateSearchResponse, inSearchResponse('Member', records))).toEqual([]);
    expect(records[0].member_identifier).toEqual(
      expect.arrayContaining([
        { '@type': 'Identifier', identifier_type: 'UIN', identifier_value: s.ids.grace },
        { '@type': 'Identifier', identifier_type: 'NIN', identifier_value: s.ids.graceNin },
      ]),
    );
    expect(records[1].demographic_info).toMatchObject({ sex: 'unknown', address: [{ sub_region_code: 'AM-R2-D2' }] });
    expect(records[1].demographic_info.birth_date).toBeUndefined();
    expect(records[2].related_person).toEqual([
      { '@type': 'RelatedPerson', relationship_type: 'WIFE', related_member: { '@type': 'SRPerson', '@id': `urn:uuid:${s.people.Peter}` } },
    ]);
    expect(await loadRecords(ctx, 'Member', [], () => ALL)).toEqual([]);
  });

  it('shows only the allowed categories', async () => {
    const nameOnly: ReadonlySet<DataCategory> = new Set(['name']);
    const [member] = (await loadRecords(ctx, 'Member', [s.people.Amina], () => nameOnly)) as any[];
    expect(Object.keys(member).sort()).toEqual(['@id', '@type', 'demographic_info', 'last_updated', 'registration_date']);
    expect(Object.keys(member.demographic_info).sort()).toEqual(['@type', 'last_updated', 'name', 'registration_date']);
    expect(valid(validateMember, member)).toEqual([]);

    const [group] = (await loadRecords(ctx, 'Group', [s.households.H1], () => nameOnly)) as any[];
    expect(Object.keys(group).sort()).toEqual(['@id', '@type', 'group_identifier', 'last_updated', 'registration_date']);

    const areaAndHousehold: ReadonlySet<DataCategory> = new Set(['area', 'household', 'demographics']);
    const [g] = (await loadRecords(ctx, 'Group', [s.households.H1], () => areaAndHousehold)) as any[];
    expect(g.address).toEqual([{ '@type': 'Address', sub_region_code: 'AM-R1-D1' }]);
    expect(g.geographical_location).toBeUndefined();
    expect(g.poverty_score).toBeUndefined();
    expect(g.additional_attributes).toEqual([{ name: 'household_type', value: 'family' }]);
    expect(g.member_list[0].demographic_info).toEqual({
      '@type': 'SRPerson',
      sex: 'female',
      birth_date: '1985-04-12',
      address: [{ '@type': 'Address', sub_region_code: 'AM-R1-D1' }],
      registration_date: expect.any(String),
      last_updated: expect.any(String),
    });
    expect(g.member_list[0].member_identifier).toBeUndefined();
    expect(g.member_list[0].is_disabled).toBeUndefined();
    expect(valid(validateGroup, g)).toEqual([]);
  });

  it('leaves out people without a decision, and groups whose head has none', async () => {
    const { Joseph, Amina } = s.people;
    const [h1] = (await loadRecords(ctx, 'Group', [s.households.H1], (id) => (id === Joseph ? undefined : ALL))) as any[];
    expect(h1.member_list.map((m: any) => m.demographic_info.name.given_name)).toEqual(['Amina', 'Zawadi']);
    expect(h1.group_size).toBe(3);
    expect(await loadRecords(ctx, 'Group', [s.households.H1], (id) => (id === Amina ? undefined : ALL))).toEqual([]);
    const members = (await loadRecords(ctx, 'Member', [Amina, Joseph], (id) => (id === Joseph ? undefined : ALL))) as any[];
    expect(members.map((m) => m['@id'])).toEqual([`urn:uuid:${Amina}`]);
  });

  it('names the people a record discloses', async () => {
    const { H1, H2 } = s.households;
    const { Amina, Joseph, Zawadi, Peter, Mary } = s.people;
    expect((await personIdsOf(s.db, 'Group', [H1, H2])).sort()).toEqual([Amina, Joseph, Zawadi, Peter, Mary].sort());
    expect(await personIdsOf(s.db, 'Member', [Peter, Mary, Peter])).toEqual([Peter, Mary]);
    expect(await personIdsOf(s.db, 'Group', [])).toEqual([]);
  });

  it('loads any number of records with the same few queries', async () => {
    const counted = (): { db: Db; count: () => number } => {
      let n = 0;
      const db: Db = { ...s.db, query: (sql, params) => ((n += 1), s.db.query(sql, params)) };
      return { db, count: () => n };
    };
    const queriesFor = async (entity: 'Group' | 'Member', ids: string[]) => {
      const c = counted();
      const records = await loadRecords({ ...ctx, db: c.db }, entity, ids, () => ALL);
      expect(records).toHaveLength(ids.length);
      return c.count();
    };
    const households = Object.values(s.households);
    const people = Object.values(s.people);
    expect(await queriesFor('Group', households)).toBe(await queriesFor('Group', households.slice(0, 1)));
    expect(await queriesFor('Group', households)).toBeLessThanOrEqual(4);
    expect(await queriesFor('Member', people)).toBe(await queriesFor('Member', people.slice(0, 1)));
    expect(await queriesFor('Member', people)).toBeLessThanOrEqual(3);
  });

  it('shows a headless household in the categories all its members allow', async () => {
    const { H2 } = s.households;
    const { Peter, Mary } = s.people;
    await s.db.query('update household set head_person_id = null where id = $1', [H2]);
    try {
      const categories = (id: string): ReadonlySet<DataCategory> => (id === Peter ? ALL : id === Mary ? new Set(['household', 'name']) : new Set());
      const [group] = (await loadRecords(ctx, 'Group', [H2], categories)) as any[];
      expect(group.group_size).toBe(2);
      expect(group.poverty_score).toBeUndefined();
      expect(group.group_head_info).toBeUndefined();
      expect(group.member_list).toHaveLength(2);
      expect(await loadRecords(ctx, 'Group', [H2], (id) => (id === Mary ? undefined : ALL))).toEqual([]);
    } finally {
      await s.db.query('update household set head_person_id = $2 where id = $1', [H2, Peter]);
    }
  });

  it("carries a person's death date as the spdci Person death_date, in the demographics category", async () => {
    const { Mary } = s.people;
    await s.db.query(`update person set death_date = '2024-03-01' where id = $1`, [Mary]);
    try {
      const [member] = (await loadRecords(ctx, 'Member', [Mary], () => ALL)) as any[];
      expect(member.demographic_info.death_date).toBe('2024-03-01');
      expect(valid(validateMember, member)).toEqual([]);
      const [named] = (await loadRecords(ctx, 'Member', [Mary], () => new Set<DataCategory>(['name']))) as any[];
      expect(named.demographic_info.death_date).toBeUndefined();
      const [demographics] = (await loadRecords(ctx, 'Member', [Mary], () => new Set<DataCategory>(['demographics']))) as any[];
      expect(demographics.demographic_info.death_date).toBe('2024-03-01');
    } finally {
      await s.db.query('update person set death_date = null where id = $1', [Mary]);
    }
  });
});
