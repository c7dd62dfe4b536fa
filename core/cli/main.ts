// The srhub command line: serve, migrate, seed, import.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { initDb } from '../db/index.js';
import { createLogger } from '../log.js';
import { systemContext, type Ctx } from '../server/context.js';
import { loadMasterKey } from '../keys/master-key.js';
import { createSecrets } from '../keys/secrets.js';
import { startHub } from '../server/hub.js';
import { SYSTEM_PRINCIPAL } from '../server/principal.js';
import { importCsv } from './import.js';
import { seedDemo, seedPersons } from '../seed/seed.js';

const USAGE = `Usage: srhub <command> [options]

Commands:
  serve [--demo]           start the hub (--demo: seed demo data on first start)
  migrate                  apply pending database migrations and exit
  seed --demo              add the demo country: admin areas and a few hundred households
  seed --persons N         add about N synthetic persons (in households) for benchmarks
  import FILE.csv          bulk-import households from a CSV file (see docs/import.md)

Configuration comes from environment variables; see README.md.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'migrate':
        return await migrateCommand();
      case 'seed':
        return await seedCommand(rest);
      case 'import':
        return await importCommand(rest);
      case undefined:
      case 'help':
      case '--help':
        console.log(USAGE);
        return command ? 0 : 2;
      default:
        console.error(`Unknown command "${command}".\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 78; // EX_CONFIG
    }
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    console.error(`srhub ${command} failed: ${(err as Error).message}`);
    return 1;
  }
}

class UsageError extends Error {}

function options<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], spec: T) {
  try {
    return parseArgs({ args, options: spec, allowPositionals: true, strict: true } as const);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function serve(args: string[]): Promise<number> {
  const { values } = options(args, { demo: { type: 'boolean' } });
  const config = loadConfig();
  const demo = Boolean(values.demo) || config.demo;
  const hub = await startHub(config);
  if (demo) {
    const ctx = systemContext(config, hub.db, hub.secrets, hub.log, SYSTEM_PRINCIPAL);
    const seeded = await seedDemo(ctx);
    if (seeded) hub.log.info(seeded, 'demo data seeded');
  }
  if (config.auth === 'off') hub.log.warn('SRHUB_AUTH=off: the API is open to anyone who can reach it. Use this only for development.');
  console.log(`\nsrhub is running.\n  API:      ${hub.url}/api/v1/households\n  API docs: ${hub.url}/docs\n  Ready:    ${hub.url}/ready\n`);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      hub.log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  await hub.stop();
  return 0;
}

/** Runs a command's work with the database and the hub's own context (the system principal). */
async function withContext<T>(work: (ctx: Ctx) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const secrets = createSecrets(await loadMasterKey(config, log));
  const db = await initDb(config);
  try {
    return await work(systemContext(config, db, secrets, log, SYSTEM_PRINCIPAL));
  } finally {
    await db.close();
  }
}

async function migrateCommand(): Promise<number> {
  await withContext(async () => console.log('The database schema is up to date.'));
  return 0;
}

async function seedCommand(args: string[]): Promise<number> {
  const { values } = options(args, { demo: { type: 'boolean' }, persons: { type: 'string' }, seed: { type: 'string' } });
  if (!values.demo && !values.persons) throw new UsageError('seed needs --demo or --persons N.');
  const persons = values.persons === undefined ? undefined : Number(values.persons);
  if (persons !== undefined && (!Number.isInteger(persons) || persons < 1)) throw new UsageError('--persons takes a whole number above 0.');
  const seed = Number(values.seed ?? 1);
  if (!Number.isInteger(seed)) throw new UsageError('--seed takes a whole number.');
  return withContext(async (ctx) => {
    if (values.demo) {
      const seeded = await seedDemo(ctx);
      console.log(seeded ? `Seeded ${seeded.households} households (${seeded.persons} persons).` : 'The registry already has data; demo seed skipped.');
    }
    if (persons) {
      const seeded = await seedPersons(ctx, persons, seed);
      console.log(`Seeded ${seeded.households} households (${seeded.persons} persons).`);
    }
    return 0;
  });
}

async function importCommand(args: string[]): Promise<number> {
  const { positionals } = options(args, {});
  if (positionals.length !== 1) throw new UsageError('import takes one CSV file.');
  return withContext(async (ctx) => {
    const summary = await importCsv(ctx, positionals[0], { progress: process.stderr });
    return summary.rejectedRows > 0 && summary.acceptedRows === 0 ? 1 : 0;
  });
}
