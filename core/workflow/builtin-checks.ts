// The workflow's own checks: the form the data was collected with, and people registered already (dedup).
// Connectors add theirs (ID verification, geocoding) through hub.workflow.checks.add.
import type { MemberInput } from '../registry/types.js';
import type { CheckResult, RegistrationCheck } from './checks.js';
import { findCandidates, validateSubmission } from './peers.js';

export const FORM_CHECK = 'form-validation';
export const DUPLICATE_CHECK = 'duplicates';

/** The submission against exactly the form version it names (P4's validator); no form named: skipped. */
export const formValidationCheck: RegistrationCheck = {
  name: FORM_CHECK,
  order: 10,
  async run(ctx, subject): Promise<CheckResult> {
    if (!subject.form) return { check: FORM_CHECK, outcome: 'skipped', reason: 'no_form' };
    const errors = await validateSubmission(ctx.db, subject.form, subject.household, { at: 'household' });
    if (errors.length === 0) return { check: FORM_CHECK, outcome: 'passed' };
    // field paths and the validator's messages (constraints, not values)
    return { check: FORM_CHECK, outcome: 'failed', reason: 'form_invalid', details: { errors: errors.map((e) => ({ field: e.field, message: e.message })) } };
  },
};

/**
 * New members against the registry (P6's findCandidates). A person with no identifier is matched on names, birth
 * date, sex, area and phone like anyone else: a missing identifier is missing evidence, not agreement, so people
 * without documents are not duplicates of each other. A match or possible match goes to review (never an automatic
 * rejection: the same person may have moved, or be a namesake).
 */
export const duplicatesCheck: RegistrationCheck = {
  name: DUPLICATE_CHECK,
  order: 50,
  async run(ctx, subject): Promise<CheckResult> {
    const members = subject.household.members.map((m, index) => ({ m, index })).filter((x): x is { m: MemberInput & { person: NonNullable<MemberInput['person']> }; index: number } => Boolean(x.m.person));
    if (members.length === 0) return { check: DUPLICATE_CHECK, outcome: 'skipped', reason: 'no_new_people' };
    const named = subject.household.members.flatMap((m) => (m.person_id ? [m.person_id] : []));
    const matches = await findCandidates(
      ctx.db,
      ctx.secrets,
      members.map(({ m, index }) => ({
        ref: String(index),
        given_name: m.person.given_name,
        family_name: m.person.family_name,
        other_names: m.person.other_names,
        birth_date: m.person.birth_date,
        sex: m.person.sex,
        area_code: subject.household.area_code,
        phone: m.person.phone,
        identifiers: m.person.identifiers ?? [],
      })),
      { excludePersonIds: named, limit: 5 },
    );
    if (matches.length === 0) return { check: DUPLICATE_CHECK, outcome: 'passed' };
    const sure = matches.some((c) => c.decision === 'match');
    return {
      check: DUPLICATE_CHECK,
      outcome: 'needs_review',
      reason: sure ? 'duplicate' : 'possible_duplicate',
      details: {
        candidates: matches.map((c) => ({ member_index: Number(c.ref), person_id: c.personId, score: c.score, decision: c.decision, reasons: c.reasons })),
      },
    };
  },
};

export const BUILTIN_CHECKS: RegistrationCheck[] = [formValidationCheck, duplicatesCheck];
