// Reading FHIR civil registration records and the pull's cursor, without a server.
import { advance, covered } from '../../../connectors/civil-registry/pull.js';
import { birthRecord, deathRecord, DEFAULT_IDENTIFIER_SYSTEMS, UnusableRecord } from '../../../connectors/civil-registry/records.js';

const NID = 'http://opencrvs.org/specs/id/national-id';
const meta = { versionId: '2', lastUpdated: '2024-05-06T10:00:00.000Z' };

describe('death records', () => {
  it('read the official name, sex, birth date, known identifiers and the date of death', () => {
    const record = deathRecord(
      {
        resourceType: 'Patient',
        id: 'p1',
        meta,
        identifier: [{ system: NID, value: '1234567890' }, { system: 'http://elsewhere/id', value: 'x' }],
        name: [{ use: 'nickname', given: ['Nee'] }, { use: 'official', family: 'Okello', given: ['Neema', 'Achieng'] }],
        gender: 'female',
        birthDate: '1975-08-19',
        deceasedDateTime: '2024-05-01T14:30:00+03:00',
      },
      DEFAULT_IDENTIFIER_SYSTEMS,
    );
    expect(record).toEqual({
      resourceType: 'Patient',
      id: 'p1',
      versionId: '2',
      lastUpdated: meta.lastUpdated,
      event: 'death',
      deathDate: '2024-05-01',
      deceased: { given_name: 'Neema Achieng', family_name: 'Okello', sex: 'female', birth_date: '1975-08-19', identifiers: [{ type: 'UIN', value: '1234567890' }] },
    });
  });

  it('refuse resources that are not usable deaths', () => {
    expect(() => deathRecord({ resourceType: 'Patient', id: 'p', meta }, DEFAULT_IDENTIFIER_SYSTEMS)).toThrow(UnusableRecord);
    expect(() => deathRecord({ resourceType: 'Patient', id: 'p', deceasedDateTime: '2024-01-01' }, DEFAULT_IDENTIFIER_SYSTEMS)).toThrow(/meta.lastUpdated/);
    expect(() => deathRecord({ resourceType: 'Observation', id: 'o', meta }, DEFAULT_IDENTIFIER_SYSTEMS)).toThrow(/expected a Patient/);
  });
});

describe('birth records', () => {
  const doc = (type = 'birth-registration', childBirthDate: string | null = '2024-09-09') => ({
    resourceType: 'Bundle',
    id: 'b1',
    meta,
    type: 'document',
    entry: [
      {
        fullUrl: 'urn:uuid:c',
        resource: {
          resourceType: 'Composition',
          type: { coding: [{ system: 'http://opencrvs.org/doc-types', code: type }] },
          subject: { reference: 'urn:uuid:child' },
          section: [
            { code: { coding: [{ system: 'http://opencrvs.org/doc-sections', code: 'child-details' }] }, entry: [{ reference: 'urn:uuid:child' }] },
            { code: { coding: [{ system: 'http://opencrvs.org/doc-sections', code: 'mother-details' }] }, entry: [{ reference: 'urn:uuid:mother' }] },
          ],
        },
      },
      { fullUrl: 'urn:uuid:child', resource: { resourceType: 'Patient', name: [{ family: 'Okello', given: ['Imani'] }], gender: 'female', ...(childBirthDate ? { birthDate: childBirthDate } : {}) } },
      { fullUrl: 'urn:uuid:mother', resource: { resourceType: 'Patient', identifier: [{ system: NID, value: '555' }], name: [{ family: 'Okello', given: ['Neema'] }] } },
    ],
  });

  it('read the child and the parents from the document\'s sections', () => {
    expect(birthRecord(doc(), DEFAULT_IDENTIFIER_SYSTEMS)).toMatchObject({
      event: 'birth',
      id: 'b1',
      child: { given_name: 'Imani', family_name: 'Okello', sex: 'female', birth_date: '2024-09-09', identifiers: [] },
      mother: { given_name: 'Neema', identifiers: [{ type: 'UIN', value: '555' }] },
    });
  });

  it('leave out other documents and refuse a birth without a child\'s birth date', () => {
    expect(birthRecord(doc('death-registration'), DEFAULT_IDENTIFIER_SYSTEMS)).toBeUndefined();
    expect(() => birthRecord(doc('birth-registration', null), DEFAULT_IDENTIFIER_SYSTEMS)).toThrow(/birth date/);
  });
});

describe('the pull cursor', () => {
  const r = (id: string, lastUpdated: string) => ({ id, lastUpdated });
  it('moves forward, remembering the ids applied at its instant', () => {
    let cursor = advance({ since: null, seen: [] }, r('a', '2024-01-01T00:00:00Z'));
    expect(cursor).toEqual({ since: '2024-01-01T00:00:00Z', seen: ['a'] });
    cursor = advance(cursor, r('b', '2024-01-01T00:00:00.000Z')); // the same instant, spelled otherwise
    expect(cursor).toEqual({ since: '2024-01-01T00:00:00Z', seen: ['a', 'b'] });
    expect(advance(cursor, r('z', '2023-12-31T00:00:00Z'))).toBe(cursor); // a re-run's older record: no step back
    expect(advance(cursor, r('c', '2024-01-02T00:00:00Z'))).toEqual({ since: '2024-01-02T00:00:00Z', seen: ['c'] });
  });

  it('covers older records and those applied at its instant, not others at its instant', () => {
    const cursor = { since: '2024-01-01T00:00:00Z', seen: ['a'] };
    expect(covered(cursor, r('a', '2024-01-01T00:00:00Z'))).toBe(true);
    expect(covered(cursor, r('x', '2023-06-01T00:00:00Z'))).toBe(true);
    expect(covered(cursor, r('b', '2024-01-01T00:00:00Z'))).toBe(false);
    expect(covered(cursor, r('a', '2024-01-01T00:00:01Z'))).toBe(false); // a new version of a
    expect(covered({ since: null, seen: [] }, r('a', '2024-01-01T00:00:00Z'))).toBe(false);
  });
});
