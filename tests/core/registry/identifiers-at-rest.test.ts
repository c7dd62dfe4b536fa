import { randomBytes } from 'node:crypto';
import { blindIndex, decryptText, deriveKey, encrypt } from '../../../core/keys/crypto.js';
import { createSecrets } from '../../../core/keys/secrets.js';
import { normaliseIdentifier, normalisePhone } from '../../../core/registry/persons/sealing.js';
import { aHousehold, aPerson, createAreas, uin } from '../../helpers/registry-data.js';
import { dbEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

let phones = 0;
/** A phone number written with spaces, unique in this process; the digits alone must not show in a dump either. */
function aPhone(): { written: string; digits: string } {
  phones += 1;
  const digits = `2547${String((process.pid * 1000 + phones) % 100_000_000).padStart(8, '0')}`;
  return { written: `+${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6, 9)} ${digits.slice(9)}`, digits };
}

describe('sealing and blind indexes (core/keys)', () => {
  const key = randomBytes(32);
  const secrets = createSecrets(key);

  it('opens what it sealed, under the same context, and seals the same value differently each time', () => {
    const a = secrets.seal('1234567890', 'person_identifier:UIN');
    const b = secrets.seal('1234567890', 'person_identifier:UIN');
    expect(a).not.toBe(b);
    expect(a).not.toContain('1234567890');
    expect(secrets.open(a, 'person_identifier:UIN')).toBe('1234567890');
    expect(secrets.open(b, 'person_identifier:UIN')).toBe('1234567890');
  });

  it('refuses a wrong context, a tampered ciphertext and another master key', () => {
    const sealed = secrets.seal('1234567890', 'person_identifier:UIN');
    expect(() => secrets.open(sealed, 'person_identifier:BRN')).toThrow();
    const raw = Buffer.from(sealed, 'base64');
    for (const at of [1, 13, 29, raw.length - 1]) {
      const tampered = Buffer.from(raw);
      tampered[at] ^= 0x01; // iv, tag, ciphertext
      expect(() => secrets.open(tampered.toString('base64'), 'person_identifier:UIN')).toThrow();
    }
    expect(() => secrets.open(raw.subarray(0, raw.length - 1).toString('base64'), 'person_identifier:UIN')).toThrow();
    expect(() => createSecrets(randomBytes(32)).open(sealed, 'person_identifier:UIN')).toThrow();
  });

  it('keeps each purpose on its own key', () => {
    const sealed = encrypt(deriveKey(key, 'identifier-encryption'), 'x', 'c');
    expect(decryptText(deriveKey(key, 'identifier-encryption'), sealed, 'c')).toBe('x');
    expect(() => decryptText(deriveKey(key, 'key-store'), sealed, 'c')).toThrow();
    expect(() => decryptText(deriveKey(key, 'backup'), sealed, 'c')).toThrow();
  });

  it('gives equal indexes for equal (kind, value) only, and none another key can reproduce', () => {
    const index = secrets.index('identifier:UIN', '1234567890');
    expect(secrets.index('identifier:UIN', '1234567890')).toBe(index);
    expect(index).not.toContain('1234567890');
    expect(secrets.index('identifier:BRN', '1234567890')).not.toBe(index);
    expect(secrets.index('identifier:UIN', '1234567891')).not.toBe(index);
    expect(createSecrets(randomBytes(32)).index('identifier:UIN', '1234567890')).not.toBe(index);
    // the parts are length-prefixed, so moving characters between kind and value changes the index
    const k = deriveKey(key, 'blind-index');
    expect(blindIndex(k, 'ab', 'c')).not.toBe(blindIndex(k, 'a', 'bc'));
  });
});

describe('normalisation for the blind index', () => {
  it('ignores case and surrounding or repeated spaces of identifiers, and keeps separators', () => {
    expect(normaliseIdentifier(' ab 12  cd ')).toBe('AB 12 CD');
    expect(normaliseIdentifier('am-r1-d1/2015/7')).toBe('AM-R1-D1/2015/7');
    expect(normaliseIdentifier('12-345')).not.toBe(normaliseIdentifier('123-45'));
    expect(normaliseIdentifier('12 345')).not.toBe(normaliseIdentifier('12345'));
    expect(normaliseIdentifier('1.2')).not.toBe(normaliseIdentifier('1_2'));
  });

  it('keeps the digits and a leading + of phone numbers', () => {
    expect(normalisePhone('+254 (712) 345-678')).toBe('+254712345678');
    expect(normalisePhone('0712 345 678')).toBe('0712345678');
    expect(normalisePhone('+254712345678')).not.toBe(normalisePhone('254712345678'));
  });
});

describe.each(dbEngines())('identifiers and phone numbers at rest on %s', (db) => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ db, env: { SRHUB_ID_TYPES: 'NIN' } });
    await createAreas(t);
  });
  afterAll(() => t.stop());

  /** Every row of every table as text: what a dump shows. */
  async function dump(): Promise<string> {
    const tables = await t.hub.db.query<{ name: string }>(
      `select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`,
    );
    expect(tables.map((r) => r.name)).toEqual(expect.arrayContaining(['person', 'person_identifier', 'record_history', 'idempotency_key']));
    const parts: string[] = [];
    for (const { name } of tables) {
      const rows = await t.hub.db.query<{ row: string }>(`select r::text as row from "${name.replace(/"/g, '""')}" r`);
      parts.push(...rows.map((r) => r.row));
    }
    return parts.join('\n');
  }

  const findBy = async (type: string, value: string) =>
    (await t.get(`/api/v1/persons?identifier_type=${type}&identifier_value=${encodeURIComponent(value)}`)).body.items.map(
      (p: { id: string }) => p.id,
    );

  it('leaves no identifier or phone number in clear in any table, through every way in', async () => {
    const secret: string[] = [];
    const keep = (...values: string[]) => (secret.push(...values), values[0]);

    // a household, one person on their own (with an Idempotency-Key: its stored answer holds the person), a bulk batch
    const headUin = keep(uin());
    const headPhone = aPhone();
    keep(headPhone.written, headPhone.digits);
    const brn = keep(`AM-R1-D1/2015/${uin()}`);
    const household = await t.post(
      '/api/v1/households',
      aHousehold('AM-R1-D1', {
        members: [
          { relationship: 'SELF', person: aPerson({ phone: headPhone.written, identifiers: [{ type: 'UIN', value: headUin }] }) },
          { relationship: 'DAU', person: aPerson({ given_name: 'Zawadi', birth_date: '2015-06-01', identifiers: [{ type: 'BRN', value: brn }] }) },
          { relationship: 'SON', person: aPerson({ given_name: 'Juma', birth_date: '2017-02-01' }) },
        ],
      }),
    );
    expect(household.status).toBe(201);
    const srid = household.body.members[2].person.identifiers[0];
    expect(srid).toMatchObject({ type: 'SRID', issued_by_hub: true });
    keep(srid.value);

    const nin = keep(`NIN${uin()}`);
    const ownPhone = aPhone();
    keep(ownPhone.written, ownPhone.digits);
    const body = aPerson({ phone: ownPhone.written, identifiers: [{ type: 'NIN', value: nin }] });
    const person = await t.post('/api/v1/persons', body, { idempotencyKey: `k-${uin()}` });
    expect(person.status).toBe(201);
    expect(person.body).toMatchObject({ phone: ownPhone.written, identifiers: [{ type: 'NIN', value: nin, issued_by_hub: false }] });

    const bulkUins = [keep(uin()), keep(uin())];
    const bulk = await t.post('/api/v1/households:bulk', {
      households: bulkUins.map((value) =>
        aHousehold('AM-R1-D2', { members: [{ relationship: 'SELF', person: aPerson({ identifiers: [{ type: 'UIN', value }] }) }] }),
      ),
    });
    expect(bulk.body).toMatchObject({ created: 2, rejected: 0 });

    // a change of phone and identifiers: the old and new values go into the history
    const newUin = keep(uin());
    const newPhone = aPhone();
    keep(newPhone.written, newPhone.digits);
    const changed = await t.patch(
      `/api/v1/persons/${person.body.id}`,
      { phone: newPhone.written, identifiers: [{ type: 'UIN', value: newUin }] },
      { ifMatch: 1 },
    );
    expect(changed.status).toBe(200);

    // searches and reads leave traces too (audit log)
    expect(await findBy('UIN', headUin)).toEqual([household.body.members[0].person_id]);
    expect((await t.get(`/api/v1/persons/${person.body.id}/history`)).status).toBe(200);
    await t.hub.audit.flush();

    const text = await dump();
    expect(text).toContain(person.body.id); // the dump is real
    for (const value of secret) expect(text).not.toContain(value);
    for (const value of secret) expect(text).not.toContain(normaliseIdentifier(value));

    // what the API shows is still the values as given
    expect((await t.get(`/api/v1/persons/${household.body.members[0].person_id}`)).body).toMatchObject({
      phone: headPhone.written,
      identifiers: [{ type: 'UIN', value: headUin, issued_by_hub: false }],
    });
  });

  it('finds people by identifier through the blind index, whatever the case or spacing', async () => {
    const value = `ab${uin()}c`;
    const created = (await t.post('/api/v1/persons', aPerson({ identifiers: [{ type: 'NIN', value }] }))).body;
    expect(await findBy('NIN', value)).toEqual([created.id]);
    expect(await findBy('NIN', value.toUpperCase())).toEqual([created.id]);
    expect(await findBy('NIN', `${value} `)).toEqual([created.id]);
    expect(await findBy('NIN', `${value}d`)).toEqual([]);
    expect(await findBy('UIN', value)).toEqual([]);
    const [srid] = (await t.post('/api/v1/persons', aPerson())).body.identifiers;
    expect((await findBy('SRID', srid.value)).length).toBe(1);
  });

  it('refuses a registered identifier with 409, also spelled differently, and one given twice in a batch', async () => {
    const value = `ab${uin()}`;
    expect((await t.post('/api/v1/persons', aPerson({ identifiers: [{ type: 'NIN', value }] }))).status).toBe(201);
    const again = await t.post('/api/v1/persons', aPerson({ identifiers: [{ type: 'NIN', value: value.toUpperCase() }] }));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'identifier.duplicate', errors: [{ field: 'body.identifiers[0].value' }] });

    const shared = uin();
    const withShared = (given: string) => ({ relationship: 'SELF', person: aPerson({ given_name: given, identifiers: [{ type: 'UIN', value: shared }] }) });
    const batch = await t.post('/api/v1/households:bulk', {
      households: [aHousehold('AM-R2-D1', { members: [withShared('First')] }), aHousehold('AM-R2-D1', { members: [withShared('Second')] })],
    });
    expect(batch.status).toBe(409);
    expect(batch.body.errors).toEqual([
      { index: 1, field: 'body.households[1].members[0].person.identifiers[0].value', message: expect.stringContaining('also given at') },
    ]);
    const inOneHousehold = await t.post(
      '/api/v1/households',
      aHousehold('AM-R2-D1', { members: [withShared('Head'), { ...withShared('Twin'), relationship: 'SON' }] }),
    );
    expect(inOneHousehold.status).toBe(409);
    expect(await findBy('UIN', shared)).toEqual([]);
  });

  it('keeps the same value under two types apart', async () => {
    const value = uin();
    const asUin = await t.post('/api/v1/persons', aPerson({ identifiers: [{ type: 'UIN', value }] }));
    const asBrn = await t.post('/api/v1/persons', aPerson({ identifiers: [{ type: 'BRN', value }] }));
    const both = await t.post('/api/v1/persons', aPerson({ identifiers: [{ type: 'NIN', value }, { type: 'MRN', value }] }));
    expect([asUin.status, asBrn.status, both.status]).toEqual([201, 201, 201]);
    expect(await findBy('UIN', value)).toEqual([asUin.body.id]);
    expect(await findBy('BRN', value)).toEqual([asBrn.body.id]);
    expect(await findBy('MRN', value)).toEqual([both.body.id]);
  });

  it('stores values that only the hub master key opens, bound to their type', async () => {
    const value = uin();
    const created = (await t.post('/api/v1/persons', aPerson({ phone: aPhone().written, identifiers: [{ type: 'UIN', value }] }))).body;
    const [row] = await t.hub.db.query<{ value_sealed: string; value_index: string }>(
      'select value_sealed, value_index from person_identifier where person_id = $1',
      [created.id],
    );
    expect(t.hub.secrets.open(row.value_sealed, 'person_identifier:UIN')).toBe(value);
    expect(() => t.hub.secrets.open(row.value_sealed, 'person_identifier:BRN')).toThrow();
    const other = createSecrets(randomBytes(32));
    expect(() => other.open(row.value_sealed, 'person_identifier:UIN')).toThrow();
    expect(other.index('identifier:UIN', value)).not.toBe(row.value_index);
    expect(t.hub.secrets.index('identifier:UIN', value)).toBe(row.value_index);

    // a phone number is bound to its person's row: copied onto another row, it does not open
    const [{ phone_sealed }] = await t.hub.db.query<{ phone_sealed: string }>('select phone_sealed from person where id = $1', [created.id]);
    expect(t.hub.secrets.open(phone_sealed, `person.phone:${created.id}`)).toBe(created.phone);
    expect(() => t.hub.secrets.open(phone_sealed, `person.phone:${uin()}`)).toThrow();
  });

  it('replaces identifiers on PATCH: the new ones are found, the old ones freed, a new spelling is not a conflict', async () => {
    const [first, second, nin] = [uin(), uin(), `ab${uin()}`];
    const created = (await t.post('/api/v1/persons', aPerson({ identifiers: [{ type: 'UIN', value: first }] }))).body;
    const replaced = await t.patch(
      `/api/v1/persons/${created.id}`,
      { identifiers: [{ type: 'UIN', value: second }, { type: 'NIN', value: nin }] },
      { ifMatch: 1 },
    );
    expect(replaced.status).toBe(200);
    expect(replaced.body.identifiers).toEqual([
      { type: 'NIN', value: nin, issued_by_hub: false },
      { type: 'UIN', value: second, issued_by_hub: false },
    ]);
    expect(await findBy('UIN', second)).toEqual([created.id]);
    expect(await findBy('NIN', nin)).toEqual([created.id]);
    expect(await findBy('UIN', first)).toEqual([]);
    expect((await t.post('/api/v1/persons', aPerson({ identifiers: [{ type: 'UIN', value: first }] }))).status).toBe(201);

    const respelled = await t.patch(
      `/api/v1/persons/${created.id}`,
      { identifiers: [{ type: 'UIN', value: second }, { type: 'NIN', value: nin.toUpperCase() }] },
      { ifMatch: 2 },
    );
    expect(respelled.status).toBe(200);
    expect(respelled.body.identifiers).toContainEqual({ type: 'NIN', value: nin.toUpperCase(), issued_by_hub: false });
    expect(await findBy('NIN', nin)).toEqual([created.id]);
    expect((await t.get(`/api/v1/persons/${created.id}`)).body).toEqual(respelled.body);

    const taken = await t.patch(`/api/v1/persons/${created.id}`, { identifiers: [{ type: 'UIN', value: first }] }, { ifMatch: 3 });
    expect(taken.status).toBe(409);
    expect(taken.body.errors).toEqual([{ field: 'body.identifiers[0].value', message: `UIN ${first} is already registered to another person` }]);
  });

  it('shows identifier and phone changes in the history, which the database holds sealed', async () => {
    const [first, second] = [uin(), uin()];
    const [phone1, phone2] = [aPhone(), aPhone()];
    const created = (await t.post('/api/v1/persons', aPerson({ phone: phone1.written, identifiers: [{ type: 'UIN', value: first }] }))).body;
    await t.patch(`/api/v1/persons/${created.id}`, { phone: phone2.written, identifiers: [{ type: 'UIN', value: second }] }, { ifMatch: 1 });
    await t.patch(`/api/v1/persons/${created.id}`, { phone: null }, { ifMatch: 2 });

    const history = (await t.get(`/api/v1/persons/${created.id}/history`)).body.items;
    expect(history.map((h: { changes: object }) => h.changes)).toEqual([
      { phone: { from: phone2.written, to: null } },
      {
        phone: { from: phone1.written, to: phone2.written },
        identifiers: { from: [{ type: 'UIN', value: first }], to: [{ type: 'UIN', value: second }] },
      },
      expect.objectContaining({ phone: { from: null, to: phone1.written }, identifiers: { from: null, to: [{ type: 'UIN', value: first }] } }),
    ]);

    const stored = await t.hub.db.query<{ changes: string }>(
      `select changes::text as changes from record_history where entity = 'person' and entity_id = $1`,
      [created.id],
    );
    const text = stored.map((r) => r.changes).join('\n');
    expect(text).toContain('"UIN"'); // what changed is visible...
    for (const value of [first, second, phone1.written, phone1.digits, phone2.written, phone2.digits]) expect(text).not.toContain(value); // ...not the values
    const [{ phone_index }] = await t.hub.db.query<{ phone_index: string | null }>('select phone_index from person where id = $1', [created.id]);
    expect(phone_index).toBeNull();
  });

  it('answers a retried create with the first answer, opened from its sealed copy', async () => {
    const key = `k-${uin()}`;
    const body = aPerson({ phone: aPhone().written, identifiers: [{ type: 'UIN', value: uin() }] });
    const first = await t.post('/api/v1/persons', body, { idempotencyKey: key });
    const retry = await t.post('/api/v1/persons', body, { idempotencyKey: key });
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
  });
});
