// The backup file: a small plaintext header, then the registry as JSON lines, gzipped, sealed in AES-256-GCM frames
// (frames.ts). The header names no person and no count; everything about the data is inside the sealed part.
//
//   "SRHUBBAK" | format (1 byte) | header length (uint32 BE) | header (JSON, UTF-8) | frames...
//
// Inside, after decryption and gunzip, one JSON value per line:
//   {"table": name, "columns": [...], "types": [...]}   then one array per row, every value as PostgreSQL text or null
//   {"sequence": name, "last_value": "42", "is_called": true}
//   {"end": true, "tables": {name: rows, ...}}          the last line; a file without it is incomplete
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

export const MAGIC = Buffer.from('SRHUBBAK', 'ascii');
export const FORMAT_VERSION = 1;
const PREFIX_BYTES = MAGIC.length + 1 + 4;
const MAX_HEADER_BYTES = 1024 * 1024;

export interface BackupMigration {
  id: number;
  name: string;
  checksum: string;
}

export interface BackupHeader {
  format: number;
  created_at: string;
  /** The engine and server version the snapshot came from (for the operator; restore works across both). */
  engine: string;
  server_version: string;
  /** The schema_migration rows at the time of the snapshot: restore migrates the target to exactly these. */
  migrations: BackupMigration[];
  compression: 'gzip';
  cipher: 'aes-256-gcm';
  /** Plaintext bytes per frame (the last frame may be shorter). */
  frame_bytes: number;
  /** base64: 8 random bytes; frame i is sealed with nonce = nonce | uint32 BE i. */
  nonce: string;
  /** base64: HMAC of the nonce under the backup key, so a wrong master key is named as such, not as damage. */
  key_check: string;
}

export class BackupError extends Error {}

/** The header as written to the file, and its SHA-256, which every frame authenticates. */
export function encodeHeader(header: BackupHeader): { bytes: Buffer; hash: Buffer } {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt8(FORMAT_VERSION, MAGIC.length);
  prefix.writeUInt32BE(json.length, MAGIC.length + 1);
  const bytes = Buffer.concat([prefix, json]);
  return { bytes, hash: sha256(bytes) };
}

/** Reads and checks the header; `bodyOffset` is where the frames start. */
export async function readHeader(file: FileHandle): Promise<{ header: BackupHeader; hash: Buffer; bodyOffset: number }> {
  const prefix = Buffer.alloc(PREFIX_BYTES);
  const { bytesRead } = await file.read(prefix, 0, PREFIX_BYTES, 0);
  if (bytesRead < PREFIX_BYTES || !prefix.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new BackupError('This is not an srhub backup file.');
  }
  const format = prefix.readUInt8(MAGIC.length);
  if (format !== FORMAT_VERSION) {
    throw new BackupError(`This backup uses format ${format}; this version of srhub reads format ${FORMAT_VERSION}.`);
  }
  const length = prefix.readUInt32BE(MAGIC.length + 1);
  if (length > MAX_HEADER_BYTES) throw new BackupError('The backup file is damaged (its header is too long).');
  const json = Buffer.alloc(length);
  const read = await file.read(json, 0, length, PREFIX_BYTES);
  if (read.bytesRead < length) throw new BackupError('The backup file is truncated (in its header).');
  let header: BackupHeader;
  try {
    header = JSON.parse(json.toString('utf8')) as BackupHeader;
  } catch {
    throw new BackupError('The backup file is damaged (its header is not readable).');
  }
  if (!Array.isArray(header.migrations) || typeof header.nonce !== 'string' || typeof header.frame_bytes !== 'number') {
    throw new BackupError('The backup file is damaged (its header is incomplete).');
  }
  return { header, hash: sha256(Buffer.concat([prefix, json])), bodyOffset: PREFIX_BYTES + length };
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

// --- the records inside the sealed part

export interface TableRecord {
  table: string;
  columns: string[];
  types: string[];
}

export interface SequenceRecord {
  sequence: string;
  last_value: string | null;
  is_called: boolean;
}

export interface EndRecord {
  end: true;
  tables: Record<string, number>;
}
