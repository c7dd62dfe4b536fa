// A streaming RFC 4180 CSV parser: quoted fields, "" inside quotes, CRLF or LF (or a lone CR), a BOM at the start,
// newlines inside quotes. Records come one at a time with the line they start on, so memory stays flat.
import { createReadStream } from 'node:fs';

export interface CsvRecord {
  /** The physical line the record starts on (1-based), as an editor shows it. */
  line: number;
  fields: string[];
  /** Set when the record breaks the quoting rules; the fields are then a best guess. */
  error?: string;
}

/** A problem that stops the reading: nothing after `line` can be trusted. */
export class CsvError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

export interface CsvOptions {
  /** A record longer than this is almost always a quote left open; reading stops there. */
  maxRecordChars?: number;
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/** Parses text chunks (any split, even inside a CRLF) into records. Blank lines come out as one empty field. */
export async function* parseCsv(chunks: AsyncIterable<string>, options: CsvOptions = {}): AsyncGenerator<CsvRecord> {
  const maxRecordChars = options.maxRecordChars ?? 1024 * 1024;
  let fields: string[] = [];
  let field = '';
  let recordChars = 0;
  let quoted = false; // inside a quoted field
  let afterQuote = false; // a quote inside a quoted field: closing, or the first of ""
  let started = false; // the record has at least one character
  let error: string | undefined;
  let line = 1; // the line being read
  let recordLine = 1;
  let skipLf = false; // the previous chunk ended with a CR
  let first = true;
  let fieldOpen = false; // the current field has begun (so a quote now is text, not an opening quote)
  let crBefore = false; // inside quotes, the last character was a CR (CRLF is one line break)

  const endRecord = (): CsvRecord => {
    fields.push(field);
    const record: CsvRecord = error ? { line: recordLine, fields, error } : { line: recordLine, fields };
    fields = [];
    field = '';
    recordChars = 0;
    started = false;
    fieldOpen = false;
    error = undefined;
    return record;
  };

  for await (let chunk of chunks) {
    if (first && chunk.length > 0) {
      first = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    const n = chunk.length;
    let i = 0;
    if (skipLf && n > 0) {
      skipLf = false;
      if (chunk.charCodeAt(0) === LF) i = 1;
    }
    while (i < n) {
      if (!started) {
        started = true;
        recordLine = line;
      }
      if (quoted) {
        // take the run up to the next quote at once, counting the newlines it holds
        const q = chunk.indexOf('"', i);
        const end = q === -1 ? n : q;
        for (let k = i; k < end; k++) {
          const c = chunk.charCodeAt(k);
          if (c === CR || (c === LF && !crBefore)) line++;
          crBefore = c === CR;
        }
        field += chunk.slice(i, end);
        recordChars += end - i;
        if (q === -1) {
          i = n;
        } else {
          quoted = false;
          afterQuote = true;
          crBefore = false;
          i = q + 1;
        }
      } else {
        const c = chunk.charCodeAt(i);
        if (afterQuote) {
          afterQuote = false;
          if (c === QUOTE) {
            // "" inside quotes: one quote, and the field goes on
            field += '"';
            quoted = true;
            i++;
            continue;
          }
          if (c !== COMMA && c !== LF && c !== CR) error ??= `column ${fields.length + 1}: a quoted field must end at its closing quote`;
        }
        if (c === COMMA) {
          fields.push(field);
          field = '';
          fieldOpen = false;
          i++;
        } else if (c === LF || c === CR) {
          line++;
          i++;
          if (c === CR) {
            if (i < n) {
              if (chunk.charCodeAt(i) === LF) i++;
            } else skipLf = true;
          }
          yield endRecord();
        } else if (c === QUOTE && !fieldOpen) {
          quoted = true;
          fieldOpen = true;
          i++;
        } else {
          // an unquoted run up to the next delimiter; a quote inside it is kept as text
          let j = i + 1;
          while (j < n) {
            const d = chunk.charCodeAt(j);
            if (d === COMMA || d === LF || d === CR) break;
            j++;
          }
          field += chunk.slice(i, j);
          recordChars += j - i;
          fieldOpen = true;
          i = j;
        }
      }
      if (recordChars > maxRecordChars) {
        throw new CsvError(recordLine, `the record starting on this line is longer than ${maxRecordChars} characters; is a quote left open?`);
      }
    }
  }
  if (quoted) {
    error ??= `column ${fields.length + 1}: the quoted field is never closed`;
    yield endRecord();
  } else if (started) {
    yield endRecord();
  }
}

/** Reads a CSV file as a stream of records (UTF-8). */
export function readCsvFile(file: string, options?: CsvOptions): AsyncGenerator<CsvRecord> {
  return parseCsv(createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 }), options);
}
