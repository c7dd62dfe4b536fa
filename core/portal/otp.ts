// One-time codes for the portal: a challenge per request, the code sent by SMS through the notification connector,
// kept only as a keyed hash bound to its challenge, valid 5 minutes for 5 attempts. Asking for a code answers the
// same whether or not the phone is registered (the sending happens after the answer), so the endpoint cannot be used
// to learn who is in the registry. Requests are limited per phone and per address.
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { sendOneTimeCode, sendOneTimeCodeToNumber } from '../../connectors/notification/send.js';
import { uuidv7 } from '../ids.js';
import { normalisePhone } from '../registry/persons/sealing.js';
import type { Ctx } from '../server/context.js';
import { HubError } from '../server/errors.js';

export const OTP_TTL_S = 300;
export const OTP_MAX_ATTEMPTS = 5;
export const OTP_LENGTH = 6;
const PHONE_WINDOW_S = 900;
const ADDRESS_WINDOW_S = 3600;

export type OtpPurpose = 'sign_in' | 'register';

export interface OtpRequest {
  phone: string;
  purpose: OtpPurpose;
  /** The language of the SMS for someone not registered yet ('en', 'fr'); a registered person gets theirs. */
  language?: string;
}

export interface OtpChallenge {
  challenge_id: string;
  expires_in: number;
  code_length: number;
}

/** What a verified code proves: a registered person (sign_in), or control of a phone (register). */
export type Verified = { purpose: 'sign_in'; personId: string } | { purpose: 'register'; applicantId: string };

const phoneIndex = (ctx: Ctx, phone: string) => ctx.secrets.index('phone', normalisePhone(phone));
const codeHash = (ctx: Ctx, challengeId: string, code: string) => ctx.secrets.index('portal-otp', `${challengeId}:${code}`);

/** A stable pseudonym of a verified phone (the applicant's principal id), not reversible without the master key. */
export const applicantIdOf = (index: string) => createHash('sha256').update(`applicant:${index}`).digest('hex').slice(0, 32);

async function limit(ctx: Ctx, key: string, max: number, windowS: number): Promise<void> {
  const window = Math.floor(Date.now() / 1000 / windowS);
  const count = await ctx.cache.increment(`portal-otp:${key}:${window}`, windowS * 2);
  if (count > max) {
    const retryAfter = Math.max((window + 1) * windowS - Math.floor(Date.now() / 1000), 1);
    throw new HubError(429, 'otp.rate_limited', `Too many codes asked for; try again in ${Math.ceil(retryAfter / 60)} minutes.`, {}, { 'Retry-After': String(retryAfter) });
  }
}

/** The person a phone signs in as: alive, not merged; a household head first (a phone is often shared), then the oldest record. */
async function personByPhone(ctx: Ctx, index: string): Promise<string | undefined> {
  const [row] = await ctx.db.query<{ id: string }>(
    `select p.id from person p
       left join membership m on m.person_id = p.id and m.end_date is null
      where p.phone_index = $1 and p.merged_into is null and p.death_date is null
      order by (m.relationship = 'SELF') desc nulls last, p.created_at, p.id limit 1`,
    [index],
  );
  return row?.id;
}

/**
 * Records a challenge and answers at once; the code is queued for sending after the answer, so a registered phone
 * takes no longer than an unknown one. An unknown phone (sign_in) gets a challenge too, whose code nobody receives.
 */
export async function requestCode(ctx: Ctx, input: OtpRequest): Promise<OtpChallenge> {
  const index = phoneIndex(ctx, input.phone);
  await limit(ctx, `ip:${ctx.ip ?? 'unknown'}`, ctx.config.portal.otpPerAddress, ADDRESS_WINDOW_S);
  await limit(ctx, `phone:${index}`, ctx.config.portal.otpPerPhone, PHONE_WINDOW_S);
  const personId = input.purpose === 'sign_in' ? await personByPhone(ctx, index) : undefined;
  // this phone's spent challenges go once they are of no use to anyone
  await ctx.db.query("delete from portal_otp_challenge where phone_index = $1 and expires_at < now() - interval '1 day'", [index]);
  const id = uuidv7();
  const code = String(randomInt(0, 10 ** OTP_LENGTH)).padStart(OTP_LENGTH, '0');
  await ctx.db.query(
    `insert into portal_otp_challenge (id, purpose, phone_index, person_id, code_hash, expires_at)
     values ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))`,
    [id, input.purpose, index, personId ?? null, codeHash(ctx, id, code), OTP_TTL_S],
  );
  const minutes = OTP_TTL_S / 60;
  const send = async () => {
    if (input.purpose === 'sign_in' && !personId) return;
    const outcome = personId
      ? await sendOneTimeCode(ctx, { personId, code, ttlMinutes: minutes, key: id })
      : await sendOneTimeCodeToNumber(ctx, { phone: input.phone, code, language: input.language, ttlMinutes: minutes, key: id });
    if (!outcome.queued) ctx.log.warn({ reason: outcome.reason, challenge: id }, 'portal one-time code not sent');
  };
  setImmediate(() => void send().catch((err) => ctx.log.error({ err: (err as Error).name, challenge: id }, 'portal one-time code failed')));
  return { challenge_id: id, expires_in: OTP_TTL_S, code_length: OTP_LENGTH };
}

const refusal = (code: string, message: string, extra: Record<string, unknown> = {}) =>
  new HubError(400, code, message, { errors: [{ field: 'body.code', message }], ...extra });

/** Checks a code: one attempt counted per call; right once, then the challenge is used up. */
export async function verifyCode(ctx: Ctx, challengeId: string, code: string): Promise<Verified> {
  const outcome = await ctx.db.transaction(async (tx): Promise<Verified | { wrong: number }> => {
    const [row] = await tx.query<{ purpose: OtpPurpose; phone_index: string; person_id: string | null; code_hash: string; attempts: number; expired: boolean; used: boolean }>(
      `select purpose, phone_index, person_id, code_hash, attempts, expires_at <= now() as expired, used_at is not null as used
         from portal_otp_challenge where id = $1 for update`,
      [challengeId],
    );
    if (!row || row.used) throw refusal('otp.invalid', 'This code is not valid (used already, or never sent); ask for a new one.');
    if (row.expired) throw refusal('otp.expired', 'The code has expired; ask for a new one.');
    if (row.attempts >= OTP_MAX_ATTEMPTS) throw refusal('otp.attempts_exhausted', 'Too many wrong codes; ask for a new one.');
    const expected = Buffer.from(row.code_hash);
    const given = Buffer.from(codeHash(ctx, challengeId, code));
    const right = expected.length === given.length && timingSafeEqual(expected, given);
    if (!right) {
      // counted in this transaction, which must commit: the refusal is thrown after it
      await tx.query('update portal_otp_challenge set attempts = attempts + 1 where id = $1', [challengeId]);
      return { wrong: OTP_MAX_ATTEMPTS - row.attempts - 1 };
    }
    await tx.query('update portal_otp_challenge set used_at = now() where id = $1', [challengeId]);
    if (row.purpose === 'sign_in') {
      // a sign-in challenge for an unknown phone never had its code sent: only a blind guess gets here
      if (!row.person_id) throw refusal('otp.invalid', 'This code is not valid (used already, or never sent); ask for a new one.');
      return { purpose: 'sign_in' as const, personId: row.person_id };
    }
    return { purpose: 'register' as const, applicantId: applicantIdOf(row.phone_index) };
  });
  if (!('wrong' in outcome)) return outcome;
  const left = outcome.wrong;
  throw refusal(left > 0 ? 'otp.wrong' : 'otp.attempts_exhausted', left > 0 ? 'The code is wrong.' : 'Too many wrong codes; ask for a new one.', { attempts_left: left });
}
