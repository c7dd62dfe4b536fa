// Shared by the workflow tests: a hub with areas, and a stand-in for the national ID connector's check.
import { randomInt } from 'node:crypto';
import type { RegistrationCheck, CheckResult } from '../../../core/workflow/index.js';
import { startTestHub, type TestHub, type TestHubOptions } from '../../helpers/test-hub.js';

/** A hub with authentication on (so area scoping and scopes apply) and the test areas AM-R1(-D1, -D2), AM-R2(...). */
export async function workflowHub(options: TestHubOptions = {}): Promise<TestHub> {
  const t = await startTestHub({ ...options, env: { SRHUB_AUTH: 'on', ...options.env } });
  const admin = (await t.as(['administrator'])).headers;
  for (const region of ['AM-R1', 'AM-R2']) {
    await t.post('/api/v1/admin-areas', { code: region, name: `Region ${region}` }, { headers: admin });
    for (const district of ['D1', 'D2']) {
      await t.post('/api/v1/admin-areas', { code: `${region}-${district}`, name: `District ${district}`, parent_code: region }, { headers: admin });
    }
  }
  return t;
}

/**
 * Stands in for the national ID connector's check (P1/P2 bring the real one): answers what `answer` says for a
 * household whose head has a UIN, skipped otherwise, and records what it was asked.
 */
export function idVerificationStandIn(answer: (uin: string) => Omit<CheckResult, 'check'> | Promise<never>): RegistrationCheck & { asked: string[] } {
  const asked: string[] = [];
  return {
    name: 'id-verification',
    order: 60,
    asked,
    async run(_ctx, subject) {
      asked.push(subject.caseId);
      const head = subject.household.members.find((m) => m.relationship === 'SELF')?.person;
      const uin = head?.identifiers?.find((i) => i.type === 'UIN')?.value;
      if (!uin) return { check: 'id-verification', outcome: 'skipped', reason: 'no_identifier' };
      return { check: 'id-verification', ...(await answer(uin)) };
    },
  };
}

/** The outbox topics emitted for one case, in order. */
export async function caseTopics(t: TestHub, caseId: string): Promise<string[]> {
  const rows = await t.hub.db.query<{ topic: string }>(
    `select topic from outbox_event where aggregate_type = 'registration_case' and aggregate_id = $1 order by id`,
    [caseId],
  );
  return rows.map((r) => r.topic);
}

/** The audit entries about one case: the case actions recorded. */
export async function caseAudit(t: TestHub, caseId: string): Promise<{ actor: string; action: string; details: Record<string, unknown> | null }[]> {
  await t.hub.audit.flush?.();
  return t.hub.db.query(`select actor, action, details from audit_log where entity = 'registration_case' and entity_id = $1 order by id`, [caseId]);
}

// Random names from syllables, so the people of one test are not duplicates of each other's to the dedup check.
// (crypto's randomInt: the linear congruential generator used before repeats its low bits every 4 draws, which left
// ~125 names per position and now and then a possible duplicate that sent a case to review.)
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vo', 'zi', 'ba', 'de', 'fu', 'go', 'hi', 'ja', 'ku', 'pe', 'so', 'wu', 'yo', 'xa'];
const pick = (n: number): string => Array.from({ length: n }, () => SYLLABLES[randomInt(SYLLABLES.length)]).join('');
const name = () => {
  const s = pick(4);
  return s[0].toUpperCase() + s.slice(1);
};
const date = (from: number, span: number) => new Date(Date.UTC(from, 0, 1) + randomInt(span * 365) * 86_400_000).toISOString().slice(0, 10);

/** A person unlike anyone else in the test's registry (given and family names, birth date drawn at random). */
export function someone(overrides: Record<string, unknown> = {}) {
  return { given_name: name(), family_name: name(), sex: 'female', birth_date: date(1950, 50), ...overrides };
}

/** A household of two distinct people (the head with a UIN); overrides as aHousehold's. */
export function aDistinctHousehold(area: string, uinValue: string, overrides: Record<string, unknown> = {}) {
  return {
    area_code: area,
    address: `Plot ${Math.floor(Math.random() * 1000)}, ${name()} Road`,
    household_type: 'family',
    location: { latitude: -1.28, longitude: 36.82 },
    members: [
      { relationship: 'SELF', person: someone({ identifiers: [{ type: 'UIN', value: uinValue }] }) },
      { relationship: 'SON', person: someone({ sex: 'male', birth_date: date(2005, 15) }) },
    ],
    ...overrides,
  };
}
