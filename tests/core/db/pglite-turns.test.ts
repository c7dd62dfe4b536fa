// PGlite settles each statement at once, on this thread: a background job's chain of statements must still let the
// event loop run (HTTP requests, timers), or the embedded hub stops answering while the job lasts.
import { openPglite } from '../../../core/db/pglite.js';
import type { Db } from '../../../core/db/index.js';

const STATEMENTS = 5_000;

describe('the embedded engine (PGlite)', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openPglite(undefined);
  });
  afterAll(() => db.close());

  const chainOf = (run: (sql: string) => Promise<unknown>) => {
    let done = 0;
    const chain = (async () => {
      for (let i = 0; i < STATEMENTS; i++) {
        await run('select 1');
        done++;
      }
    })();
    return { chain, done: () => done };
  };

  it('lets a timer run in the middle of a long chain of statements', async () => {
    const { chain, done } = chainOf((sql) => db.query(sql));
    const doneWhenTheTimerRan = await new Promise<number>((resolve) => setTimeout(() => resolve(done()), 0));
    await chain;
    expect(doneWhenTheTimerRan).toBeLessThan(STATEMENTS);
  });

  it('does so inside a transaction too', async () => {
    await db.transaction(async (tx) => {
      const { chain, done } = chainOf((sql) => tx.query(sql));
      const doneWhenTheTimerRan = await new Promise<number>((resolve) => setTimeout(() => resolve(done()), 0));
      await chain;
      expect(doneWhenTheTimerRan).toBeLessThan(STATEMENTS);
    });
  });
});
