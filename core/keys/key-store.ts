// The hub's key pairs, kept in the database with their private parts sealed under the master key. One kind per
// algorithm: ES256 signs access and consent tokens, EdDSA (Ed25519) signs DCI messages, ECDH-ES+A256KW (P-256) is
// the key DCI clients encrypt messages to. Each kind has one active key; retired keys stay published (and keep
// verifying or decrypting) until they expire, so what was signed or encrypted to them before a rotation still works.
import { exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey } from 'jose';
import type { Db } from '../db/index.js';
import { uuidv7 } from '../ids.js';
import { decryptText, deriveKey, encrypt } from './crypto.js';

export const SIGNING_ALG = 'ES256';
export const DCI_SIGNING_ALG = 'EdDSA';
export const ENCRYPTION_ALG = 'ECDH-ES+A256KW';

/** Every kind of key the hub holds, by its `alg` column; `use` is what the JWKS says it is for. */
const KINDS = {
  ES256: { use: 'sig', generate: () => generateKeyPair('ES256', { extractable: true }) },
  EdDSA: { use: 'sig', generate: () => generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true }) },
  'ECDH-ES+A256KW': { use: 'enc', generate: () => generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true }) },
} as const;
export type KeyAlg = keyof typeof KINDS;
export type SigningAlg = 'ES256' | 'EdDSA';
const SIGNING_ALGS: readonly string[] = ['ES256', 'EdDSA'];

const KEY_LOCK = 7316403;
// another instance may rotate: the active key is re-read at most this often
const REFRESH_MS = 60_000;

interface KeyRow {
  kid: string;
  alg: KeyAlg;
  public_jwk: JWK;
  private_jwk: string;
  retired_at: Date | null;
  expires_at: Date | null;
}

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
}

export interface EncryptionKey {
  kid: string;
  alg: string;
  /** The public key as published (kid, alg, use: enc), for encrypting to the hub. */
  publicJwk: JWK;
  privateKey: CryptoKey;
}

export class KeyStore {
  private active = new Map<KeyAlg, { row: KeyRow; privateKey: CryptoKey; loadedAt: number }>();
  private publicKeys = new Map<string, CryptoKey>();
  private readonly sealKey: Buffer;

  constructor(private db: Db, masterKey: Buffer) {
    this.sealKey = deriveKey(masterKey, 'key-store');
  }

  /** The key that signs now: ES256 (tokens) unless EdDSA (DCI messages) is asked for; created on first use. */
  async signingKey(alg: SigningAlg = SIGNING_ALG): Promise<SigningKey> {
    const { row, privateKey } = await this.current(alg);
    return { kid: row.kid, alg: row.alg, privateKey };
  }

  /** The key DCI clients encrypt messages to the hub with; created on first use. */
  async encryptionKey(): Promise<EncryptionKey> {
    const { row, privateKey } = await this.current(ENCRYPTION_ALG);
    return { kid: row.kid, alg: row.alg, publicJwk: published(row), privateKey };
  }

  /** The private key to decrypt a message encrypted to `kid` (the active key or a retired one not yet expired). */
  async decryptionKey(kid: string): Promise<CryptoKey | undefined> {
    const [row] = await this.db.query<KeyRow>(
      'select * from signing_key where kid = $1 and alg = $2 and (expires_at is null or expires_at > now())',
      [kid, ENCRYPTION_ALG],
    );
    return row ? this.open(row) : undefined;
  }

  /** The public key for a kid, if it is one of our signing keys and not expired. */
  async verificationKey(kid: string): Promise<CryptoKey | undefined> {
    const cached = this.publicKeys.get(kid);
    if (cached) return cached;
    const [row] = await this.db.query<KeyRow>(
      'select * from signing_key where kid = $1 and alg = any($2) and (expires_at is null or expires_at > now())',
      [kid, SIGNING_ALGS],
    );
    if (!row) return undefined;
    const key = (await importJWK(row.public_jwk, row.alg)) as CryptoKey;
    this.publicKeys.set(kid, key);
    return key;
  }

  /** The published keys of every kind: the active ones and the retired ones that have not expired. */
  async jwks(): Promise<{ keys: JWK[] }> {
    for (const alg of Object.keys(KINDS) as KeyAlg[]) await this.current(alg);
    const rows = await this.db.query<KeyRow>(
      'select kid, alg, public_jwk from signing_key where expires_at is null or expires_at > now() order by created_at desc',
    );
    return { keys: rows.filter((r) => r.alg in KINDS).map(published) };
  }

  /** Adds a new key of every kind; the previous ones keep working for `retainDays`. Returns the new ES256 kid. */
  async rotate(retainDays: number): Promise<string> {
    return (await this.rotateAll(retainDays))[SIGNING_ALG];
  }

  /** Adds a new key of every kind; returns the new kid of each. */
  async rotateAll(retainDays: number): Promise<Record<KeyAlg, string>> {
    const kids = {} as Record<KeyAlg, string>;
    for (const alg of Object.keys(KINDS) as KeyAlg[]) kids[alg] = (await this.create(alg, true, retainDays)).kid;
    this.active.clear();
    return kids;
  }

  private async current(alg: KeyAlg): Promise<{ row: KeyRow; privateKey: CryptoKey }> {
    const cached = this.active.get(alg);
    if (cached && Date.now() - cached.loadedAt < REFRESH_MS) return cached;
    let [row] = await this.db.query<KeyRow>(
      'select * from signing_key where alg = $1 and retired_at is null order by created_at desc limit 1',
      [alg],
    );
    if (!row) row = await this.create(alg, false);
    const entry = { row, privateKey: await this.open(row), loadedAt: Date.now() };
    this.active.set(alg, entry);
    return entry;
  }

  private async open(row: KeyRow): Promise<CryptoKey> {
    return (await importJWK(JSON.parse(decryptText(this.sealKey, row.private_jwk, row.kid)), row.alg)) as CryptoKey;
  }

  private async create(alg: KeyAlg, retirePrevious: boolean, retainDays = 0): Promise<KeyRow> {
    const { publicKey, privateKey } = await KINDS[alg].generate();
    const kid = uuidv7();
    const sealed = encrypt(this.sealKey, JSON.stringify(await exportJWK(privateKey)), kid);
    return this.db.transaction(async (tx) => {
      // instances starting together must not each create a key
      await tx.query('select pg_advisory_xact_lock($1)', [KEY_LOCK]);
      if (!retirePrevious) {
        const [existing] = await tx.query<KeyRow>('select * from signing_key where alg = $1 and retired_at is null limit 1', [alg]);
        if (existing) return existing;
      } else {
        await tx.query(
          `update signing_key set retired_at = now(), expires_at = now() + make_interval(days => $2)
           where alg = $1 and retired_at is null`,
          [alg, retainDays],
        );
      }
      const [row] = await tx.query<KeyRow>(
        'insert into signing_key (kid, alg, public_jwk, private_jwk) values ($1, $2, $3, $4) returning *',
        [kid, alg, JSON.stringify(await exportJWK(publicKey)), sealed],
      );
      return row;
    });
  }
}

/** A row's public key as the JWKS shows it. */
function published(row: Pick<KeyRow, 'kid' | 'alg' | 'public_jwk'>): JWK {
  return { ...row.public_jwk, kid: row.kid, alg: row.alg, use: KINDS[row.alg].use };
}
