// Registering online: someone not yet registered verifies their phone with a one-time code, fills in the published
// default questionnaire (validated in the browser with the same core/forms code the server runs), and submits it as
// a registration case, channel `online`, source `beneficiary_portal`: the same workflow and checks as every other
// channel. An officer reviews every online registration (selfRegistrationCheck): nobody saw these people in person.
import { DEFAULT_FORM_ID } from '../forms/default-household.js';
import type { FormDefinition, Text } from '../forms/definition.js';
import type { HouseholdInput } from '../registry/types.js';
import type { Ctx } from '../server/context.js';
import { HubError } from '../server/errors.js';
import type { CheckResult, RegistrationCheck } from '../workflow/checks.js';
import { submitRegistration } from '../workflow/submit.js';
import { PORTAL_SOURCE } from './self.js';

/** Open (not rejected) registrations one verified phone may have at a time: enough for a mistake, not for spam. */
export const MAX_OPEN_APPLICATIONS = 3;

export interface RegistrationForm {
  form: { id: string; version: number; title: Text; definition: FormDefinition };
  areas: { code: string; name: string; level: number; parent_code: string | null }[];
}

/** The newest published version of the default questionnaire, and the admin areas to choose from. */
export async function registrationForm(ctx: Ctx): Promise<RegistrationForm> {
  const [form] = await ctx.db.query<{ form_id: string; version: number; title: Text; definition: FormDefinition }>(
    `select form_id, version, title, definition from form_definition where form_id = $1 and status = 'published' order by version desc limit 1`,
    [DEFAULT_FORM_ID],
  );
  if (!form) throw new HubError(503, 'portal.no_form', 'Online registration is not available: no published registration form.');
  const areas = await ctx.db.query<RegistrationForm['areas'][number]>('select code, name, level, parent_code from admin_area order by path');
  return { form: { id: form.form_id, version: form.version, title: form.title, definition: form.definition }, areas };
}

export async function submitOnlineRegistration(ctx: Ctx, input: { household: HouseholdInput; form: { id: string; version: number }; client_ref?: string }): Promise<{ caseId: string; replayed: boolean }> {
  return ctx.db.transaction(async (tx) => {
    if (!input.client_ref || !(await tx.query('select 1 from registration_case where kind = $1 and client_ref = $2', ['registration', input.client_ref])).length) {
      const [{ open }] = await tx.query<{ open: number }>(
        "select count(*)::int as open from registration_case where submitted_by = $1 and kind = 'registration' and status <> 'rejected'",
        [ctx.principal.id],
      );
      if (open >= MAX_OPEN_APPLICATIONS) {
        throw new HubError(409, 'portal.too_many_applications', `This phone has ${open} registrations waiting or done already; contact your registration office.`);
      }
    }
    const result = await submitRegistration(ctx, tx, {
      channel: 'online',
      household: input.household,
      form: input.form,
      clientRef: input.client_ref,
      source: PORTAL_SOURCE,
    });
    return { caseId: result.caseId, replayed: Boolean(result.replayed) };
  });
}

export const SELF_REGISTRATION_CHECK = 'self-registration';

/** Registrations people send themselves through a portal go to an officer's review once the other checks passed. */
export const selfRegistrationCheck: RegistrationCheck = {
  name: SELF_REGISTRATION_CHECK,
  // after the form, duplicates and the connectors' checks (ID verification, geocoding): the reviewer sees their results
  order: 1000,
  async run(_ctx, subject): Promise<CheckResult> {
    // keyed on the source, not the channel: staff also submit with channel `online` (a web form they fill for someone)
    if (subject.source !== PORTAL_SOURCE) return { check: SELF_REGISTRATION_CHECK, outcome: 'skipped', reason: 'not_self_registered' };
    return { check: SELF_REGISTRATION_CHECK, outcome: 'needs_review', reason: 'self_registered' };
  },
};
