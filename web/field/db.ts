// The field app's IndexedDB: everything it needs offline (session, forms, areas, households) and the queue of
// submissions with the server's answers. An item leaves `queue` in the same transaction that records its answer in
// `results`, so a lost connection or a closed tab never loses a submission nor records it twice.
export type StoreName = 'meta' | 'forms' | 'households' | 'queue' | 'results';

const DB_NAME = 'srhub-field';
const VERSION = 1;
let opening: Promise<IDBDatabase> | undefined;

function open(): Promise<IDBDatabase> {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore('meta');
      db.createObjectStore('forms', { keyPath: 'form_id' });
      db.createObjectStore('households', { keyPath: 'id' });
      db.createObjectStore('queue', { keyPath: 'client_id' });
      db.createObjectStore('results', { keyPath: 'client_id' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => {
      opening = undefined;
      reject(request.error);
    };
  });
  return opening;
}

const done = <T>(request: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

/** Work over several stores in one transaction: all of it is written, or none. */
export async function transaction<T>(stores: StoreName[], mode: IDBTransactionMode, work: (tx: IDBTransaction) => T | Promise<T>): Promise<T> {
  const db = await open();
  const tx = db.transaction(stores, mode);
  const finished = new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
  const result = await work(tx);
  await finished;
  return result;
}

export const idb = {
  get: <T>(store: StoreName, key: IDBValidKey) => transaction([store], 'readonly', (tx) => done<T | undefined>(tx.objectStore(store).get(key))),
  all: <T>(store: StoreName) => transaction([store], 'readonly', (tx) => done<T[]>(tx.objectStore(store).getAll())),
  count: (store: StoreName) => transaction([store], 'readonly', (tx) => done(tx.objectStore(store).count())),
  put: (store: StoreName, value: unknown, key?: IDBValidKey) => transaction([store], 'readwrite', (tx) => void tx.objectStore(store).put(value, key)),
  delete: (store: StoreName, key: IDBValidKey) => transaction([store], 'readwrite', (tx) => void tx.objectStore(store).delete(key)),
};

/** Puts in a transaction without waiting for each request (the transaction's completion says they all landed). */
export function putAll(tx: IDBTransaction, store: StoreName, values: unknown[]): void {
  const s = tx.objectStore(store);
  for (const v of values) s.put(v);
}
