// Whether a person-scoped token (sub `person:<id>`, issued by the portal's sign-in) still speaks for someone: the
// person exists, was not merged into another record and is alive. Read by core/auth/authenticate.ts, cached briefly.
import type { Db } from '../db/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function personSessionStatus(db: Db, personId: string): Promise<{ person_id: string; token_epoch: number }[]> {
  if (!UUID.test(personId)) return [];
  return db.query<{ person_id: string; token_epoch: number }>(
    'select id as person_id, 0 as token_epoch from person where id = $1 and merged_into is null and death_date is null',
    [personId],
  );
}
