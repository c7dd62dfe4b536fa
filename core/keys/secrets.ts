// What the registry needs to protect personal data at rest: sealing and opening field values, and blind indexes
// for exact-match search on sealed values. Keys derive from the master key, one per purpose.
import { blindIndex, decryptText, deriveKey, encrypt } from './crypto.js';

export interface Secrets {
  /** Seals a value; `context` (e.g. 'person_identifier:UIN') binds it to where it is stored. */
  seal(value: string, context: string): string;
  open(sealed: string, context: string): string;
  /** A keyed hash of (kind, value) for lookups: equal inputs give equal indexes, nothing else can be learned. */
  index(kind: string, value: string): string;
  /** A key derived for another purpose (backups). */
  readonly masterKey: Buffer;
}

export function createSecrets(masterKey: Buffer): Secrets {
  const fieldKey = deriveKey(masterKey, 'identifier-encryption');
  const indexKey = deriveKey(masterKey, 'blind-index');
  return {
    seal: (value, context) => encrypt(fieldKey, value, context),
    open: (sealed, context) => decryptText(fieldKey, sealed, context),
    index: (kind, value) => blindIndex(indexKey, kind, value),
    masterKey,
  };
}
