// The hub's signing keys (tokens, consent tokens, DCI signatures): ES256 key pairs kept in the database with
// their private parts sealed under the master key. One key signs; retired keys stay published until they expire
// so what they signed still verifies.
import { exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey } from 'jose';
import type { Db } from '../db/index.js';
import { uuidv7 } from '../ids.js';
import { decryptText, deriveKey, encrypt } from './crypto.js';

export const SIGNING_ALG = 'ES256';
const KEY_LOCK = 7316403;
// another instance may rotate: the active key is re-read at most this often
const REFRESH_MS = 60_000;

interface KeyRow {
  kid: string;
  alg: string;
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

export class KeyStore {
  private active?: { key: SigningKey; loadedAt: number };
  private publicKeys = new Map<string, CryptoKey>();
  private readonly sealKey: Buffer;

  constructor(private db: Db, masterKey: Buffer) {
    this.sealKey = deriveKey(masterKey, 'key-store');
  }

  /** The key that signs now; the first call on an empty store creates one. */
  async signingKey(): Promise<SigningKey> {
    if (this.active && Date.now() - this.active.loadedAt < REFRESH_MS) return this.active.key;
    let [row] = await this.db.query<KeyRow>('select * from signing_key where retired_at is null order by created_at desc limit 1');
    if (!row) row = await this.create(false);
    const privateKey = (await importJWK(JSON.parse(decryptText(this.sealKey, row.private_jwk, row.kid)), row.alg)) as CryptoKey;
    this.active = { key: { kid: row.kid, alg: row.alg, privateKey }, loadedAt: Date.now() };
    return this.active.key;
  }

  /** The public key for a kid, if it is ours and not expired. */
  async verificationKey(kid: string): Promise<CryptoKey | undefined> {
    const cached = this.publicKeys.get(kid);
    if (cached) return cached;
    const [row] = await this.db.query<KeyRow>('select * from signing_key where kid = $1 and (expires_at is null or expires_at > now())', [kid]);
    if (!row) return undefined;
    const key = (await importJWK(row.public_jwk, row.alg)) as CryptoKey;
    this.publicKeys.set(kid, key);
    return key;
  }

  /** The published keys: the active one and the retired ones that have not expired. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.signingKey();
    const rows = await this.db.query<KeyRow>(
      'select kid, alg, public_jwk from signing_key where expires_at is null or expires_at > now() order by created_at desc',
    );
    return { keys: rows.map((r) => ({ ...r.public_jwk, kid: r.kid, alg: r.alg, use: 'sig' })) };
  }

  /** Adds a new signing key; the previous ones keep verifying for `retainDays`. Returns the new kid. */
  async rotate(retainDays: number): Promise<string> {
    const row = await this.create(true, retainDays);
    this.active = undefined;
    return row.kid;
  }

  private async create(retirePrevious: boolean, retainDays = 0): Promise<KeyRow> {
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
    const kid = uuidv7();
    const sealed = encrypt(this.sealKey, JSON.stringify(await exportJWK(privateKey)), kid);
    return this.db.transaction(async (tx) => {
      // instances starting together must not each create a key
      await tx.query('select pg_advisory_xact_lock($1)', [KEY_LOCK]);
      if (!retirePrevious) {
        const [existing] = await tx.query<KeyRow>('select * from signing_key where retired_at is null limit 1');
        if (existing) return existing;
      } else {
        await tx.query(
          `update signing_key set retired_at = now(), expires_at = now() + make_interval(days => $1)
           where retired_at is null`,
          [retainDays],
        );
      }
      const [row] = await tx.query<KeyRow>(
        'insert into signing_key (kid, alg, public_jwk, private_jwk) values ($1, $2, $3, $4) returning *',
        [kid, SIGNING_ALG, JSON.stringify(await exportJWK(publicKey)), sealed],
      );
      return row;
    });
  }
}
