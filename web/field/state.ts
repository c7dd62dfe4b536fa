// The app's shared state (session, network, sync in progress, last outcome) as a tiny observable, and the one sync
// that may run at a time (per tab, and across tabs with the Web Locks API where the browser has it).
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../shared/session.js';
import { store } from './store.js';
import { sessionValid, syncNow, type SyncOutcome } from './sync.js';

export interface AppState {
  /** The session kept on the device, even expired (who collects offline); undefined before the first sign-in. */
  session?: Session;
  loaded: boolean;
  online: boolean;
  syncing: boolean;
  /** Items answered so far in the running sync. */
  progress: number;
  last?: SyncOutcome & { at: string };
  /** The service worker holds the app shell: the app opens without network. */
  offlineReady: boolean;
  /** Bumped whenever stored data changes: pages read IndexedDB again. */
  revision: number;
  /** Syncs finished since the app opened. */
  syncs: number;
  /** A one-time message for the home page (a submission saved), gone at the next sync. */
  flash?: string;
}

let state: AppState = { loaded: false, online: navigator.onLine, syncing: false, progress: 0, offlineReady: false, revision: 0, syncs: 0 };
const listeners = new Set<() => void>();

export function getState(): AppState {
  return state;
}

export function update(patch: Partial<AppState>): void {
  state = { ...state, ...patch };
  for (const listener of listeners) listener();
}

export const changed = () => update({ revision: state.revision + 1 });

export function useAppState(): AppState {
  const [, setTick] = useState(0);
  const rendered = state;
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    // effects run after paint: a change made in between (the session read at start) would otherwise be missed
    if (state !== rendered) listener();
    return () => void listeners.delete(listener);
  }, []);
  return state;
}

let running: Promise<SyncOutcome> | undefined;

/** Runs a sync unless one is running (then waits for that one). */
export function startSync(): Promise<SyncOutcome> {
  running ??= (async () => {
    update({ syncing: true, progress: 0, flash: undefined });
    try {
      const work = () => syncNow(state.session, (n) => update({ progress: n }));
      const locks = (navigator as Navigator & { locks?: LockManager }).locks;
      const outcome = locks ? await locks.request('srhub-field-sync', work) : await work();
      update({ last: { ...outcome, at: new Date().toISOString() }, syncs: state.syncs + 1 });
      return outcome;
    } finally {
      running = undefined;
      update({ syncing: false });
      changed();
    }
  })();
  return running;
}

/** Reads the kept session, follows the network, syncs when it comes back. */
export async function initState(): Promise<void> {
  update({ session: await store.session(), loaded: true });
  addEventListener('online', () => {
    update({ online: true });
    void startSync();
  });
  addEventListener('offline', () => update({ online: false }));
  if (navigator.onLine && sessionValid(state.session)) void startSync();
}
