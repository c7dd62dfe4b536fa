// A PostgreSQL cluster and a Redis server of the test's own, on free ports in a temporary folder, that the test may
// stop, kill and start again (the machine's shared PostgreSQL and Redis serve other tests: never stop those).
// PostgreSQL comes from /usr/lib/postgresql/<version>/bin (or PG_BIN); as root, its commands run as the `postgres`
// OS user, since the server refuses to run as root. Where either cannot start, the error says why: a test of
// database faults must fail, not skip, where it cannot inject them.
import { spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../core/net/free-port.js';

function run(command: string, args: string[], options: { asUser?: string; cwd?: string } = {}): Promise<string> {
  const [file, argv] = options.asUser ? ['runuser', ['-u', options.asUser, '--', command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => reject(new Error(`${command} could not run: ${err.message}`)));
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${output.trim()}`))));
  });
}

async function postgresBin(): Promise<string> {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = await readdir(root).catch(() => [] as string[]);
  const newest = versions.filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no PostgreSQL server binaries in ${root}/<version>/bin (install postgresql, or set PG_BIN): the database fault tests need initdb and pg_ctl`);
  return path.join(root, newest, 'bin');
}

export interface PrivatePostgres {
  port: number;
  /** The cluster's `postgres` database: for creating databases and looking at the data from outside the hub. */
  adminUrl: string;
  /** A new empty database on the cluster; its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server: `fast` closes sessions cleanly, `immediate` is a crash (recovery from WAL on the next start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  running(): boolean;
  /** Stops the server if running and removes its folder. */
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = await postgresBin();
  const asUser = process.getuid?.() === 0 ? 'postgres' : undefined;
  const folder = await mkdtemp(path.join(tmpdir(), 'srhub-private-pg-'));
  const dataDir = path.join(folder, 'data');
  if (asUser) {
    const { uid, gid } = await userIds(asUser);
    await chown(folder, uid, gid);
  }
  const port = await freePort();
  const ctl = (args: string[]) => run(path.join(bin, 'pg_ctl'), args, { asUser, cwd: folder });
  let up = false;
  try {
    await run(path.join(bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'], { asUser, cwd: folder });
  } catch (err) {
    await rm(folder, { recursive: true, force: true });
    throw new Error(`could not create a private PostgreSQL cluster (initdb as ${asUser ?? 'this user'}): ${(err as Error).message}`);
  }
  // fsync off: an immediate stop is a crash of the server process, not of the machine; the OS keeps what was written
  const options = `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
  const start = async () => {
    await ctl(['start', '-D', dataDir, '-w', '-t', '60', '-l', path.join(folder, 'server.log'), '-o', options]);
    up = true;
  };
  try {
    await start();
  } catch (err) {
    await rm(folder, { recursive: true, force: true });
    throw new Error(`could not start a private PostgreSQL cluster on port ${port}: ${(err as Error).message}`);
  }
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    if (!up) return;
    await ctl(['stop', '-D', dataDir, '-m', mode, '-w', '-t', '60']);
    up = false;
  };
  return {
    port,
    adminUrl,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new RangeError(`not a plain database name: ${name}`);
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`create database ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop,
    start,
    running: () => up,
    async destroy() {
      await stop('immediate').catch(() => undefined);
      await rm(folder, { recursive: true, force: true });
    },
  };
}

async function userIds(user: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])]).catch(() => {
    throw new Error(`running as root, but there is no \`${user}\` OS user to run PostgreSQL as`);
  });
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

export interface PrivateRedis {
  port: number;
  url: string;
  /** Kills the server (SIGKILL: nothing is saved; it keeps no data on disk anyway). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  running(): boolean;
  destroy(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const binary = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const folder = await mkdtemp(path.join(tmpdir(), 'srhub-private-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const server = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', folder], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout!.on('data', (d) => (output += d));
    server.stderr!.on('data', (d) => (output += d));
    const failed = new Promise<never>((_, reject) => {
      server.once('error', (err) => reject(new Error(`${binary} could not run (install redis-server, or set REDIS_SERVER_BIN): ${err.message}`)));
      server.once('exit', (code) => reject(new Error(`${binary} exited ${code} at start: ${output.trim()}`)));
    });
    const ready = (async () => {
      const end = Date.now() + 30_000;
      while (!/Ready to accept connections/i.test(output)) {
        if (Date.now() > end) throw new Error(`${binary} did not start on port ${port}: ${output.trim()}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    try {
      await Promise.race([ready, failed]);
    } catch (err) {
      server.kill('SIGKILL');
      throw err;
    }
    failed.catch(() => undefined); // its later exit is the test's own stop()
    child = server;
  };
  await start();
  const stop = async () => {
    const server = child;
    if (!server || server.exitCode !== null) return;
    child = undefined;
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGKILL');
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    running: () => child !== undefined,
    async destroy() {
      await stop();
      await rm(folder, { recursive: true, force: true });
    },
  };
}
