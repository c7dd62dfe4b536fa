// The consent events on the outbox (in the change's transaction): consent.given, consent.refused, consent.renewed,
// consent.withdrawn, consent.expired. The notification connector tells the person through their channel. Ids only.
import type { Db } from '../core/db/index.js';
import { emitEvents } from '../core/outbox/events.js';

export type ConsentTopic = 'consent.given' | 'consent.refused' | 'consent.renewed' | 'consent.withdrawn' | 'consent.expired';

export async function emitConsentEvents(
  tx: Db,
  topic: ConsentTopic,
  consents: readonly { id: string; person_id: string; agreement_id: string; valid_until: Date }[],
): Promise<void> {
  if (consents.length === 0) return;
  await emitEvents(tx, consents.map((c) => ({
    topic,
    aggregateType: 'consent',
    aggregateId: c.id,
    payload: { person_id: c.person_id, agreement_id: c.agreement_id, valid_until: c.valid_until.toISOString() },
  })));
}
