// Households from CSV: one row per person; consecutive rows sharing household_ref make one household. Cells are
// converted to the API's HouseholdInput here; the schema and the registry rules check the result afterwards.
// Messages name lines and columns, never the values (they are personal data).
import type { HouseholdInput, MemberInput, PersonInput } from '../registry/types.js';
import { CsvError, type CsvRecord } from './csv-parser.js';

export interface RowError {
  line: number;
  /** The CSV column at fault; '' when the row (or the header) as a whole is. */
  column: string;
  message: string;
}

export interface CsvHousehold {
  ref: string;
  /** The line of each row of the household: members[i] comes from lines[i]. */
  lines: number[];
  household: HouseholdInput;
  /** Problems found while reading the rows; any one rejects the whole household. */
  errors: RowError[];
}

const HOUSEHOLD_COLUMNS = ['area_code', 'address', 'household_type', 'latitude', 'longitude'] as const;
const PERSON_COLUMNS = [
  'relationship',
  'given_name',
  'family_name',
  'other_names',
  'sex',
  'birth_date',
  'birth_date_estimated',
  'phone',
  'email',
  'preferred_language',
  'identifier_type',
  'identifier_value',
  'disabilities',
] as const;
export const CSV_COLUMNS = ['household_ref', ...HOUSEHOLD_COLUMNS, ...PERSON_COLUMNS] as const;
export const REQUIRED_COLUMNS = ['household_ref', 'area_code', 'relationship'] as const;

export type CsvColumn = (typeof CSV_COLUMNS)[number];
type HouseholdColumn = (typeof HOUSEHOLD_COLUMNS)[number];

/** Where each column sits in a row. */
export type CsvHeader = Map<CsvColumn, number>;

// the schema allows 100 members; rows beyond are counted but not kept, so one runaway ref cannot fill memory
const MAX_MEMBERS = 100;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const BOOLEANS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false };

/** Reads the header row: names in any order, case and surrounding spaces ignored. */
export function readHeader(record: CsvRecord): { header: CsvHeader; errors: RowError[] } {
  const header: CsvHeader = new Map();
  const errors: RowError[] = [];
  const error = (message: string) => errors.push({ line: record.line, column: '', message });
  if (record.error) error(record.error);
  const unknown: string[] = [];
  record.fields.forEach((raw, index) => {
    const name = raw.trim().toLowerCase();
    if (!name) error(`header column ${index + 1} has no name`);
    else if (!(CSV_COLUMNS as readonly string[]).includes(name)) unknown.push(name);
    else if (header.has(name as CsvColumn)) error(`the header names the column ${name} twice`);
    else header.set(name as CsvColumn, index);
  });
  if (unknown.length) error(`unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${CSV_COLUMNS.join(', ')})`);
  const missing = REQUIRED_COLUMNS.filter((c) => !header.has(c));
  if (missing.length) error(`missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  if (!header.has('given_name') && !header.has('family_name')) error('the header needs given_name or family_name (or both)');
  return { header, errors };
}

/**
 * Groups data rows into households, one at a time. A ref that comes back after another ref rejects its later
 * rows; a row without a ref is rejected on its own. Blank rows are skipped.
 */
export async function* readHouseholds(records: AsyncIterable<CsvRecord>, header: CsvHeader): AsyncGenerator<CsvHousehold> {
  const width = Math.max(...header.values()) + 1;
  const firstLineOf = new Map<string, number>(); // every ref seen, to catch a household split in two
  let current: Group | undefined;
  try {
    for await (const record of records) {
      if (!record.error && record.fields.every((f) => f.trim() === '')) continue;
      const cells = new Cells(record, header);
      const ref = cells.get('household_ref');
      if (ref === undefined) {
        const alone = new Group('', record.line, cells, false);
        alone.errors.push({ line: record.line, column: 'household_ref', message: 'is required: it says which household the row belongs to' });
        alone.addRow(record, cells, width);
        yield alone.done();
        continue;
      }
      if (current?.ref !== ref) {
        if (current) yield current.done();
        current = new Group(ref, record.line, cells);
        const earlier = firstLineOf.get(ref);
        if (earlier === undefined) firstLineOf.set(ref, record.line);
        else {
          current.errors.push({
            line: record.line,
            column: 'household_ref',
            message: `was used before (from line ${earlier}); the rows of a household must be consecutive`,
          });
        }
      }
      current.addRow(record, cells, width);
    }
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    // the file cannot be read on: the household in progress may be cut short, so it goes too
    if (current) {
      current.errors.push({ line: err.line, column: '', message: 'the household is not imported: the file cannot be read past this line' });
      yield current.done();
    }
    const broken = new Group('', err.line, new Cells({ line: err.line, fields: [] }, header), false);
    broken.lines.push(err.line);
    broken.errors.push({ line: err.line, column: '', message: `${err.message}; the rest of the file is not read` });
    yield broken.done();
    return;
  }
  if (current) yield current.done();
}

class Cells {
  constructor(
    private record: CsvRecord,
    private header: CsvHeader,
  ) {}

  /** The trimmed cell, or undefined when the column is absent or the cell blank. */
  get(column: CsvColumn): string | undefined {
    const index = this.header.get(column);
    const value = index === undefined ? undefined : this.record.fields[index]?.trim();
    return value ? value : undefined;
  }
}

class Group {
  readonly lines: number[] = [];
  readonly errors: RowError[] = [];
  private readonly members: MemberInput[] = [];
  private readonly household: Omit<HouseholdInput, 'members'>;
  private readonly first: Partial<Record<HouseholdColumn, string>> = {};

  constructor(
    readonly ref: string,
    private firstLine: number,
    cells: Cells,
    checkHousehold = true,
  ) {
    const error = (column: string, message: string) => checkHousehold && this.errors.push({ line: firstLine, column, message });
    for (const column of HOUSEHOLD_COLUMNS) {
      const value = cells.get(column);
      if (value !== undefined) this.first[column] = value;
    }
    this.household = { area_code: this.first.area_code ?? '' };
    if (this.first.area_code === undefined) error('area_code', 'is required on the first row of a household');
    if (this.first.address !== undefined) this.household.address = this.first.address;
    if (this.first.household_type !== undefined) this.household.household_type = this.first.household_type;
    const latitude = toNumber(this.first.latitude, 'latitude', error);
    const longitude = toNumber(this.first.longitude, 'longitude', error);
    if ((this.first.latitude === undefined) !== (this.first.longitude === undefined)) {
      error(this.first.latitude === undefined ? 'latitude' : 'longitude', 'is needed with the other coordinate (give both or neither)');
    } else if (latitude !== undefined && longitude !== undefined) {
      this.household.location = { latitude, longitude };
    }
  }

  addRow(record: CsvRecord, cells: Cells, width: number): void {
    const line = record.line;
    this.lines.push(line);
    if (this.lines.length === MAX_MEMBERS + 1) {
      this.errors.push({ line, column: 'household_ref', message: `a household has at most ${MAX_MEMBERS} members; rows from here on are too many` });
    }
    if (this.lines.length > MAX_MEMBERS) return;
    const error = (column: string, message: string) => this.errors.push({ line, column, message });
    if (record.error) error('', record.error);
    else if (record.fields.length !== width) error('', `has ${record.fields.length} fields; the header has ${width}`);
    if (line !== this.firstLine) {
      for (const column of HOUSEHOLD_COLUMNS) {
        const value = cells.get(column);
        if (value !== undefined && !sameValue(column, value, this.first[column])) {
          error(column, `differs from the household's first row (line ${this.firstLine}); leave it blank or repeat the same value`);
        }
      }
    }
    this.members.push(toMember(cells, error));
  }

  done(): CsvHousehold {
    return { ref: this.ref, lines: this.lines, household: { ...this.household, members: this.members }, errors: this.errors };
  }
}

function toMember(cells: Cells, error: (column: string, message: string) => void): MemberInput {
  const person: PersonInput = {};
  for (const column of ['given_name', 'family_name', 'other_names', 'phone', 'email', 'preferred_language'] as const) {
    const value = cells.get(column);
    if (value !== undefined) person[column] = value;
  }
  const sex = cells.get('sex');
  if (sex !== undefined) person.sex = sex as PersonInput['sex']; // the schema checks the value
  const birthDate = cells.get('birth_date');
  if (birthDate !== undefined) {
    if (isDate(birthDate)) person.birth_date = birthDate;
    else error('birth_date', 'is not a date written YYYY-MM-DD');
  }
  const estimated = cells.get('birth_date_estimated');
  if (estimated !== undefined) {
    const value = BOOLEANS[estimated.toLowerCase()];
    if (value === undefined) error('birth_date_estimated', 'must be true, false, 1, 0 or blank');
    else person.birth_date_estimated = value;
  }
  const idType = cells.get('identifier_type');
  const idValue = cells.get('identifier_value');
  if (idType !== undefined && idValue !== undefined) person.identifiers = [{ type: idType, value: idValue }];
  else if (idType !== undefined) error('identifier_value', 'is needed with identifier_type');
  else if (idValue !== undefined) error('identifier_type', 'is needed with identifier_value');
  const disabilities = cells.get('disabilities');
  if (disabilities !== undefined) person.disabilities = disabilities.split('|').map((d) => d.trim()).filter(Boolean);
  const relationship = cells.get('relationship');
  if (relationship === undefined) error('relationship', `is required (the head of the household is SELF)`);
  return { relationship: relationship ?? '', person };
}

function toNumber(text: string | undefined, column: string, error: (column: string, message: string) => void): number | undefined {
  if (text === undefined) return undefined;
  if (NUMBER.test(text)) return Number(text);
  error(column, 'is not a number (write decimals with a dot, e.g. -1.2921)');
  return undefined;
}

function sameValue(column: HouseholdColumn, value: string, first: string | undefined): boolean {
  if (first === undefined) return false;
  if ((column === 'latitude' || column === 'longitude') && NUMBER.test(value) && NUMBER.test(first)) return Number(value) === Number(first);
  return value === first;
}

function isDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
