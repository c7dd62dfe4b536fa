// Demo mode: the data agreements the national ID, GIS, notification and program MIS connectors rely on, published once
// (skipped when an agreement of the code exists), so `npm start` verifies, notifies and enrols without manual setup.
// A real deployment writes its own agreements: the lawful basis and categories are the controller's decision.
import { createAgreement, listAgreements, publishAgreement } from '../../consent/agreements.js';
import type { AgreementInput } from '../../consent/types.js';
import type { Ctx } from '../server/context.js';

const controller = { name: 'Amaru Social Registry (demo)' };

export const DEMO_AGREEMENTS: AgreementInput[] = [
  {
    code: 'demo-identity-verification', purpose_code: 'identity_verification', lawful_basis: 'public_task',
    purpose_text: { en: 'Checking registered identities against the national ID system.' },
    categories: ['identifiers', 'name', 'demographics'], recipients: ['connector:national-id'], controller, retention_days: 3650, max_validity_days: 3650,
  },
  {
    code: 'demo-geocoding', purpose_code: 'registration', lawful_basis: 'public_task',
    purpose_text: { en: 'Placing registered households on the map and in their admin area from their address.' },
    categories: ['address'], recipients: ['connector:gis'], controller, retention_days: 3650, max_validity_days: 3650,
  },
  {
    code: 'demo-notification', purpose_code: 'notification', lawful_basis: 'public_task',
    purpose_text: { en: 'Telling people about their registration, consents and one-time codes by SMS or e-mail.' },
    categories: ['contact'], recipients: ['connector:notification'], controller, retention_days: 365, max_validity_days: 3650,
  },
  {
    code: 'demo-program-enrolment', purpose_code: 'program_enrolment', lawful_basis: 'public_task',
    purpose_text: { en: 'Enrolling eligible households in the cash transfer program.' },
    categories: ['name', 'demographics', 'area', 'household'], recipients: ['cash-transfer'], controller, retention_days: 3650, max_validity_days: 3650,
  },
];

/** Publishes the demo agreements that are missing; returns how many were published. */
export async function ensureDemoAgreements(ctx: Ctx): Promise<number> {
  let published = 0;
  for (const input of DEMO_AGREEMENTS) {
    if ((await listAgreements(ctx.db, { code: input.code })).length) continue;
    const draft = await createAgreement(ctx, input);
    await publishAgreement(ctx, draft.id);
    published += 1;
  }
  return published;
}
