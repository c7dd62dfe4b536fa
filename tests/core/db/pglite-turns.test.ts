// PGlite settles each statement at once, on this thread: a background job's chain of statements must still let the
// event loop run (HTTP requests, timers), or the embedded hub stops answering while the job lasts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openPglite } from '../../../core/db/pglite.js';
import type { Db } from '../../../core/db/index.js';
import { copyPgliteTemplate } from '../../helpers/pglite-template.js';

const STATEMENTS = 5_000;

describe('the embedded engine (PGlite)', () => {
  let db: Db;
  let folder: string;
  beforeAll(async () => {
    // a copy of the run's migrated template opens in a fraction of initdb's seconds
    folder = await mkdtemp(path.join(tmpdir(), 'srhub-turns-'));
    await copyPgliteTemplate(folder);
    db = await openPglite(folder);
  });
  afterAll(async () => {
    await db.close();
    await rm(folder, { recursive: true, force: true });
  });

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
