// PGlite is one process's database: a second process opening the same folder (a CLI import while the hub
// runs) would corrupt it. A lock file holding the owner's pid keeps a second opener out; a lock left by a
// process that died is taken over.
import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';

export interface DataDirLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const file = path.join(dir, 'srhub.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return { release: () => rm(file, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (owner && owner !== process.pid && alive(owner)) {
        throw new Error(`Another srhub process (pid ${owner}) is using the data folder ${dir}. Stop it first, or use PostgreSQL (DATABASE_URL) to run several processes.`);
      }
      await rm(file, { force: true }); // left by a process that is gone
    }
  }
  throw new Error(`Could not lock the data folder ${dir}.`);
}
