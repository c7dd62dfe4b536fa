// What may go to the ID system. A registered person: hub.disclose (their consents, or an agreement whose lawful basis
// needs none). A case member not registered yet has no consents on record: only an agreement with such a lawful
// basis (public task, legal obligation) can cover them, decided and audited here the way decideDisclosure does.
import { auditEntries } from '../../core/audit/entry.js';
import { isDataCategory } from '../../consent/categories.js';
import { consentStore } from '../../consent/store.js';
import { NO_CONSENT_NEEDED } from '../../consent/types.js';
import type { HubOperations } from '../framework/types.js';
import type { Subject } from './subjects.js';

/** The categories the subject's data may go out in for this purpose (empty: nothing may). */
export async function allowedCategories(hub: HubOperations, subject: Subject, purpose: string, wanted: string[]): Promise<Set<string>> {
  if (subject.personId) {
    const [allowed] = await hub.disclose({ personIds: [subject.personId], purpose, categories: wanted });
    return new Set(allowed?.categories ?? []);
  }
  const recipient = `connector:${hub.connectorId}`;
  const lawful = (await consentStore.agreementsFor(hub.ctx.db, purpose, recipient)).filter((a) => NO_CONSENT_NEEDED.has(a.lawful_basis));
  const categories = new Set(lawful.flatMap((a) => a.categories).filter(isDataCategory).filter((c) => wanted.includes(c)));
  await hub.ctx.audit.recordReads(auditEntries(hub.ctx, [{
    action: 'verify',
    entity: 'consent_decision',
    entityId: lawful[0]?.id ?? null,
    subjectPersonId: null,
    fields: [...categories].sort(),
    outcome: lawful.length ? 'success' : 'denied',
    details: { purpose, recipient, reason: lawful.length ? `lawful_basis.${lawful[0].lawful_basis}` : 'consent.none', case_id: subject.caseId, member_index: subject.memberIndex },
  }]));
  hub.count(lawful.length ? 'disclosure.allowed' : 'disclosure.refused');
  return categories;
}
