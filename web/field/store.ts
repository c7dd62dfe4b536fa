// What the field app keeps on the device, typed: the session (kept for offline use with its expiry), the device id,
// the pull cursor, the downloaded forms and households, the queue of submissions and the server's answers.
import type { FormDefinition, Text } from '../../core/forms/definition.js';
import type { ItemResult, PushItem } from '../../core/sync/types.js';
import { newUuid } from '../shared/api.js';
import type { Session } from '../shared/session.js';
import { idb, putAll, transaction } from './db.js';

export interface StoredForm {
  form_id: string;
  version: number;
  title: Text;
  definition: FormDefinition;
}

export interface AdminArea {
  code: string;
  name: string;
  level: number;
  parent_code: string | null;
}

/** A household as the hub sent it (GET /sync/bootstrap and /sync/pull). */
export interface StoredHousehold {
  id: string;
  version: number;
  household_type: string | null;
  address: string | null;
  area_code: string;
  location: { latitude: number; longitude: number } | null;
  attributes: Record<string, unknown>;
  deregistered_at: string | null;
  members: { person_id: string; relationship: string; start_date: string; person: Record<string, unknown> & { id: string; version: number } }[];
}

/** A submission waiting for the server: the push item exactly as it will be sent (again) until answered. */
export interface QueuedItem {
  client_id: string;
  item: PushItem;
  /** For the lists: who and where, without opening the item. */
  summary: string;
  queued_at: string;
  /** The attempt that did not get an answer (connection lost), if any. */
  last_attempt?: string;
}

/** The server's answer for a UUID, kept after the item left the queue. */
export interface RecordedResult {
  client_id: string;
  item: PushItem;
  summary: string;
  result: ItemResult;
  answered_at: string;
  /** From later pulls: what became of the registration case. */
  case_status?: string | null;
  household_id?: string | null;
  /** A rejected submission corrected and queued again under this UUID. */
  replaced_by?: string;
}

export interface SyncMeta {
  cursor?: string;
  bootstrapped_at?: string;
  pulled_at?: string;
  areas?: AdminArea[];
  code_lists?: Record<string, unknown>;
  /** Whose data this device holds (a different worker must not push it as theirs). */
  username?: string;
}

const get = <T>(key: string) => idb.get<T>('meta', key);

export const store = {
  session: () => get<Session>('session'),
  saveSession: (session: Session) => idb.put('meta', session, 'session'),
  /** Forgets the token only: the queue and the downloaded data stay for the next sign-in. */
  clearSession: () => idb.delete('meta', 'session'),

  /** One id per installation, made once. */
  async deviceId(): Promise<string> {
    const known = await get<string>('device_id');
    if (known) return known;
    const id = `field-${newUuid()}`;
    await idb.put('meta', id, 'device_id');
    return id;
  },

  sync: async () => (await get<SyncMeta>('sync')) ?? {},
  saveSync: async (patch: Partial<SyncMeta>) => idb.put('meta', { ...(await store.sync()), ...patch }, 'sync'),

  forms: () => idb.all<StoredForm>('forms'),
  households: () => idb.all<StoredHousehold>('households'),
  household: (id: string) => idb.get<StoredHousehold>('households', id),
  queue: async () => (await idb.all<QueuedItem>('queue')).sort((a, b) => a.queued_at.localeCompare(b.queued_at)),
  queued: (clientId: string) => idb.get<QueuedItem>('queue', clientId),
  results: async () => (await idb.all<RecordedResult>('results')).sort((a, b) => b.answered_at.localeCompare(a.answered_at)),
  result: (clientId: string) => idb.get<RecordedResult>('results', clientId),

  enqueue: (item: QueuedItem, replacing?: RecordedResult) =>
    transaction(['queue', 'results'], 'readwrite', (tx) => {
      tx.objectStore('queue').put(item);
      if (replacing) tx.objectStore('results').put({ ...replacing, replaced_by: item.client_id });
    }),

  /** The server answered these UUIDs: record the answers and take the items off the queue, all at once. */
  recordAnswers: (answers: RecordedResult[]) =>
    transaction(['queue', 'results'], 'readwrite', (tx) => {
      putAll(tx, 'results', answers);
      for (const a of answers) tx.objectStore('queue').delete(a.client_id);
    }),

  markAttempt: (clientIds: string[], at: string) =>
    transaction(['queue'], 'readwrite', (tx) => {
      const queue = tx.objectStore('queue');
      for (const id of clientIds) {
        const request = queue.get(id);
        request.onsuccess = () => request.result && queue.put({ ...request.result, last_attempt: at });
      }
    }),

  /** A bootstrap replaces forms and households (a page at a time: `first` clears what was there). */
  saveBootstrap: (forms: StoredForm[], households: StoredHousehold[], first: boolean) =>
    transaction(['forms', 'households'], 'readwrite', (tx) => {
      if (first) {
        tx.objectStore('forms').clear();
        tx.objectStore('households').clear();
      }
      putAll(tx, 'forms', forms);
      putAll(tx, 'households', households);
    }),

  /** Pulled households: the current state, a deregistered one dropped. */
  savePulled: (households: StoredHousehold[]) =>
    transaction(['households'], 'readwrite', (tx) => {
      const s = tx.objectStore('households');
      for (const h of households) {
        if (h.deregistered_at) s.delete(h.id);
        else s.put(h);
      }
    }),

  /** The fate of submissions (pull's `submissions`): case status and household, onto the recorded answers. */
  saveFates: (fates: { client_id: string; case_status: string | null; household_id: string | null }[]) =>
    transaction(['results'], 'readwrite', (tx) => {
      const s = tx.objectStore('results');
      for (const fate of fates) {
        const request = s.get(fate.client_id);
        request.onsuccess = () => request.result && s.put({ ...request.result, case_status: fate.case_status, household_id: fate.household_id ?? request.result.household_id });
      }
    }),
};
