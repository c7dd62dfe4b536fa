// Talking to the hub: download (bootstrap, then pulls from the cursor) and push the queue. A push's answer is
// recorded item by item before the item leaves the queue; without an answer (connection lost, server error) the
// items stay and are sent again unchanged, and the hub answers `duplicate` for what it had already taken.
import type { ItemResult } from '../../core/sync/types.js';
import { ApiError, createApi } from '../shared/api.js';
import type { Session } from '../shared/session.js';
import { store, type RecordedResult, type StoredForm, type StoredHousehold } from './store.js';

/** Items per push: well under the hub's 1,000, so a slow link still gets answers back in parts. */
const PUSH_BATCH = 100;
const BOOTSTRAP_PAGE = 200;

export type SyncOutcome =
  | { kind: 'done'; pushed: number; counts: Record<ItemResult['status'], number>; pulled: number }
  | { kind: 'offline' }
  | { kind: 'signin_needed' }
  | { kind: 'interrupted'; pushed: number; message: string };

export const sessionValid = (session: Session | undefined): boolean => !!session && session.expiresAt > Date.now() + 5_000;

interface Bootstrap {
  cursor: string;
  forms: StoredForm[];
  code_lists: Record<string, unknown>;
  admin_areas: { code: string; name: string; level: number; parent_code: string | null }[];
  households: StoredHousehold[];
  households_next_cursor: string | null;
}

interface PullAnswer {
  cursor: string;
  has_more: boolean;
  households: StoredHousehold[];
  submissions: { client_id: string; case_status: string | null; household_id: string | null }[];
}

const apiFor = (session: Session) => createApi(() => session.token);

/** Everything the app needs offline, from nothing (first sign-in, or a pull cursor the hub no longer keeps). */
export async function bootstrap(session: Session): Promise<number> {
  const api = apiFor(session);
  let page = await api.get<Bootstrap>(`/api/v1/sync/bootstrap?limit=${BOOTSTRAP_PAGE}`);
  const { cursor, forms, admin_areas, code_lists } = page;
  let count = page.households.length;
  await store.saveBootstrap(forms, page.households, true);
  while (page.households_next_cursor) {
    page = await api.get<Bootstrap>(`/api/v1/sync/bootstrap?limit=${BOOTSTRAP_PAGE}&households_cursor=${encodeURIComponent(page.households_next_cursor)}`);
    await store.saveBootstrap([], page.households, false);
    count += page.households.length;
  }
  // the cursor is saved last: an interrupted bootstrap starts again rather than pulling from a half-loaded state
  await store.saveSync({ cursor, areas: admin_areas, code_lists, bootstrapped_at: new Date().toISOString(), pulled_at: new Date().toISOString(), username: session.username });
  return count;
}

/** The changes since the cursor, page after page; a cursor too old (410) means a new bootstrap. */
export async function pull(session: Session): Promise<number> {
  const api = apiFor(session);
  let { cursor } = await store.sync();
  if (!cursor) return bootstrap(session);
  let count = 0;
  for (;;) {
    let answer: PullAnswer;
    try {
      answer = await api.get<PullAnswer>(`/api/v1/sync/pull?cursor=${encodeURIComponent(cursor)}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 410) return bootstrap(session);
      throw error;
    }
    await store.savePulled(answer.households);
    await store.saveFates(answer.submissions);
    cursor = answer.cursor;
    await store.saveSync({ cursor, pulled_at: new Date().toISOString() });
    count += answer.households.length;
    if (!answer.has_more) return count;
  }
}

/** Sends the queue in batches; each batch's answers are recorded (and its items dequeued) in one transaction. */
export async function push(session: Session, onProgress: (pushed: number) => void = () => {}): Promise<{ pushed: number; counts: Record<ItemResult['status'], number> }> {
  const api = apiFor(session);
  const deviceId = await store.deviceId();
  const counts = { accepted: 0, duplicate: 0, conflict: 0, rejected: 0 };
  let pushed = 0;
  const queue = await store.queue();
  for (let i = 0; i < queue.length; i += PUSH_BATCH) {
    const batch = queue.slice(i, i + PUSH_BATCH);
    const attemptAt = new Date().toISOString();
    await store.markAttempt(batch.map((q) => q.client_id), attemptAt);
    const { results } = await api.post<{ results: ItemResult[] }>('/api/v1/sync/push', { device_id: deviceId, items: batch.map((q) => q.item) });
    const byId = new Map(results.map((r) => [r.client_id, r]));
    const answered: RecordedResult[] = [];
    for (const q of batch) {
      const result = byId.get(q.client_id);
      if (!result) continue; // no answer for it: it stays queued
      answered.push({ client_id: q.client_id, item: q.item, summary: q.summary, result, answered_at: new Date().toISOString(), household_id: result.household_id ?? null, case_status: result.case_status ?? null });
      counts[result.status] += 1;
    }
    await store.recordAnswers(answered);
    pushed += answered.length;
    onProgress(pushed);
  }
  return { pushed, counts };
}

/** Push, then pull. Nothing is lost whatever fails: the queue only shrinks by answers recorded. */
export async function syncNow(session: Session | undefined, onProgress?: (pushed: number) => void): Promise<SyncOutcome> {
  if (!navigator.onLine) return { kind: 'offline' };
  if (!session || !sessionValid(session)) return { kind: 'signin_needed' };
  let pushed = 0;
  try {
    const result = await push(session, (n) => {
      pushed = n;
      onProgress?.(n);
    });
    const pulled = await pull(session);
    return { kind: 'done', pushed: result.pushed, counts: result.counts, pulled };
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return { kind: 'signin_needed' };
    return { kind: 'interrupted', pushed, message: error instanceof Error ? error.message : String(error) };
  }
}
