// `srhub import FILE.csv`: households from a CSV file, streamed batch by batch through the same schema and the same
// registration code as the bulk API. Each batch is one transaction, so a crash leaves every batch whole or absent.
import { performance } from 'node:perf_hooks';
import { sqlState } from '../db/db.js';
import { registerHouseholds } from '../registry/households/register.js';
import type { Ctx } from '../server/context.js';
import type { FieldError } from '../server/errors.js';
import { loadHubDocument } from '../server/hub-document.js';
import { Api } from '../server/openapi.js';
import { CsvError, readCsvFile, type CsvRecord } from './csv-parser.js';
import { CSV_COLUMNS, readHeader, readHouseholds, type CsvHousehold, type RowError } from './households-csv.js';
import { ImportProgress, Tally, type ImportSummary } from './report.js';

export type { ImportError, ImportSummary } from './report.js';

export interface ImportOptions {
  progress?: NodeJS.WritableStream;
  /** Households per transaction. */
  batchSize?: number;
}

let hubApi: Promise<Api> | undefined;

function loadApi(): Promise<Api> {
  hubApi ??= loadHubDocument().then((document) => Api.load(document)).catch((err) => {
    hubApi = undefined;
    throw err;
  });
  return hubApi;
}

export async function importCsv(ctx: Ctx, file: string, options: ImportOptions = {}): Promise<ImportSummary> {
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('batchSize must be a whole number above 0');
  const api = await loadApi();
  const tally = new Tally(performance.now());
  const progress = new ImportProgress(options.progress, tally);
  try {
    await readAndWrite(ctx, api, file, batchSize, tally, progress);
  } catch (err) {
    // e.g. a batch could not be written: show what is imported before the error goes up
    if (tally.acceptedRows + tally.rejectedRows > 0) progress.end(tally.summary(performance.now()));
    throw err;
  }
  const summary = tally.summary(performance.now());
  progress.end(summary);
  ctx.log.info(
    { households: summary.households, acceptedRows: summary.acceptedRows, rejectedRows: summary.rejectedRows, seconds: summary.seconds },
    'csv import finished',
  );
  return summary;
}

async function readAndWrite(ctx: Ctx, api: Api, file: string, batchSize: number, tally: Tally, progress: ImportProgress): Promise<void> {
  const records = readCsvFile(file);
  let first;
  try {
    first = await records.next();
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    return tally.reject(1, [{ line: err.line, column: '', message: err.message }]);
  }
  if (first.done) return tally.reject(0, [{ line: 1, column: '', message: 'the file is empty; it needs a header row' }]);
  const { header, errors } = readHeader(first.value);
  if (errors.length) {
    // nothing can be read without the header: every row is rejected, for the header's reasons
    return tally.reject(await countRows(records), errors);
  }
  const writer = new BatchWriter(ctx, tally, progress);
  try {
    let batch: CsvHousehold[] = [];
    for await (const household of readHouseholds(records, header)) {
      const errors = household.errors.length ? household.errors : schemaErrors(api, household);
      if (errors.length) tally.reject(household.lines.length, errors);
      else batch.push(household);
      if (batch.length >= batchSize) {
        await writer.write(batch);
        batch = [];
      }
    }
    if (batch.length) await writer.write(batch);
  } catch (err) {
    await writer.settled(); // no transaction may outlive the import (the caller closes the database next)
    throw err;
  }
  await writer.done();
}

/**
 * Writes one batch while the next is read and checked. Batches are written one after the other, so each sees the
 * identifiers the ones before it committed.
 */
class BatchWriter {
  private writing: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  constructor(
    private ctx: Ctx,
    private tally: Tally,
    private progress: ImportProgress,
  ) {}

  async write(batch: CsvHousehold[]): Promise<void> {
    await this.writing;
    if (this.failure) throw this.failure.error;
    // the rejection is kept, not left unhandled, and thrown at the next write or at done()
    this.writing = writeBatch(this.ctx, batch, this.tally).then(
      () => this.progress.batchDone(),
      (error: unknown) => void (this.failure = { error }),
    );
  }

  async done(): Promise<void> {
    await this.writing;
    if (this.failure) throw this.failure.error;
  }

  settled(): Promise<void> {
    return this.writing;
  }
}

async function countRows(records: AsyncIterable<CsvRecord>): Promise<number> {
  let rows = 0;
  try {
    for await (const record of records) if (record.error || record.fields.some((f) => f.trim() !== '')) rows++;
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    rows++;
  }
  return rows;
}

function schemaErrors(api: Api, household: CsvHousehold): RowError[] {
  return api.validateBody('createHousehold', household.household).map((e) => toRowError(household, e, []));
}

async function writeBatch(ctx: Ctx, batch: CsvHousehold[], tally: Tally): Promise<void> {
  let registration;
  try {
    registration = await ctx.db.transaction((tx) =>
      registerHouseholds(
        tx,
        ctx,
        batch.map((h) => h.household),
        { defaultChannel: 'bulk_import', at: (i) => `households[${i}]`, skipInvalid: true },
      ),
    );
  } catch (err) {
    // the transaction rolled back: nothing of this batch is written, everything before it is. The database's
    // error is not attached: the engines put the statement's parameters (names, identifiers) on it.
    const from = batch[0].lines[0];
    const code = sqlState(err);
    throw new Error(
      `writing the households from line ${from} on failed (${(err as Error).message}${code ? `, SQLSTATE ${code}` : ''}); the households before line ${from} are imported`,
    );
  }
  const errorsOf = new Map<number, FieldError[]>();
  for (const e of registration.errors) errorsOf.set(e.index!, [...(errorsOf.get(e.index!) ?? []), e]);
  batch.forEach((household, index) => {
    const errors = errorsOf.get(index);
    if (errors) tally.reject(household.lines.length, errors.map((e) => toRowError(household, e, batch)));
    else tally.accept(household.lines.length);
  });
}

/** A registry error ('households[3].members[2].person.birth_date' or 'body.area_code') as a line and a column. */
export function toRowError(household: CsvHousehold, error: FieldError, batch: CsvHousehold[]): RowError {
  const path = error.field.replace(/^(body|households\[\d+\])/, '');
  const member = /^\.members\[(\d+)\](.*)$/.exec(path);
  const line = member ? (household.lines[Number(member[1])] ?? household.lines[0]) : household.lines[0];
  const column = member ? memberColumn(member[2]) : householdColumn(path);
  return { line, column, message: withoutPersonalData(error.message, household, batch) };
}

function memberColumn(path: string): string {
  if (/^\.person\.identifiers\[\d+\]\.type$/.test(path)) return 'identifier_type';
  if (path.startsWith('.person.identifiers')) return 'identifier_value';
  const name = /^\.(?:person\.)?(\w+)/.exec(path)?.[1];
  return name && (CSV_COLUMNS as readonly string[]).includes(name) ? name : '';
}

function householdColumn(path: string): string {
  if (path.startsWith('.location')) return path === '.location.longitude' ? 'longitude' : 'latitude';
  if (path === '.members') return 'relationship'; // the head rule: exactly one SELF
  const name = /^\.(\w+)/.exec(path)?.[1];
  return name && (CSV_COLUMNS as readonly string[]).includes(name) ? name : '';
}

const PERSONAL = ['given_name', 'family_name', 'other_names', 'phone', 'email'] as const;

/**
 * The registry's messages may quote an identifier ('UIN 123 is already registered...') or point at another record
 * of the batch; the summary shows the type and the line instead. Any other personal value of the household that a
 * message repeats is replaced by its column name, as a safety net.
 */
function withoutPersonalData(message: string, household: CsvHousehold, batch: CsvHousehold[]): string {
  let text = message.replace(/households\[(\d+)\](?:\.members\[(\d+)\])?[\w.[\]]*/g, (_match, h: string, m?: string) => {
    const other = batch[Number(h)];
    return other ? `line ${other.lines[Number(m ?? 0)] ?? other.lines[0]}` : 'another row';
  });
  const values: [string, string][] = [];
  if (household.household.address) values.push([household.household.address, 'address']);
  for (const { person } of household.household.members) {
    for (const id of person?.identifiers ?? []) values.push([`${id.type} ${id.value}`, id.type], [id.value, 'identifier_value']);
    for (const column of PERSONAL) if (person?.[column]) values.push([person[column]!, column]);
  }
  for (const [value, name] of values) if (value.length >= 3) text = text.split(value).join(name);
  return text;
}
