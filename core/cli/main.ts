// The srhub command line: serve, migrate, seed, import, backup, restore.
import { access } from 'node:fs/promises';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ensureAdministrator, seedDemoAccounts } from '../auth/bootstrap.js';
import { createClient } from '../auth/clients.js';
import { putDciSettings } from '../dci/client-settings.js';
import { createUser } from '../auth/users.js';
import { KeyStore } from '../keys/key-store.js';
import { ConfigError, loadConfig } from '../config.js';
import { initDb, openDb } from '../db/index.js';
import { writeBackup } from '../backup/backup.js';
import { restoreBackup } from '../backup/restore.js';
import { auditEntries, type AuditEvent } from '../audit/entry.js';
import { createLogger } from '../log.js';
import { systemContext, type Ctx } from '../server/context.js';
import { loadMasterKey } from '../keys/master-key.js';
import { createSecrets } from '../keys/secrets.js';
import { startHub } from '../server/hub.js';
import { HubError } from '../server/errors.js';
import { SYSTEM_PRINCIPAL } from '../server/principal.js';
import { importCsv } from '../import/import.js';
import { AreaImportError, importAreaFile } from '../registry/areas/import.js';
import { loadDemoBoundaries } from '../registry/areas/demo-boundaries.js';
import { seedDemo, seedPersons } from '../seed/seed.js';
import { runBatchDedup } from '../dedup/batch.js';
import { importPopulationFile } from '../reports/population.js';
import { startDemoConnectors } from '../../connectors/framework/demo.js';
import { ensureDemoAgreements } from '../verification/demo-agreements.js';
import { ensureDemoProgram } from '../assessment/demo.js';

const USAGE = `Usage: srhub <command> [options]

Commands:
  serve [--demo]           start the hub (--demo: seed demo data on first start)
  migrate                  apply pending database migrations and exit
  seed --demo              add the demo country: admin areas and a few hundred households
  seed --persons N         add about N synthetic persons (in households) for benchmarks, written directly in chunks
  import FILE.csv          bulk-import households from a CSV file (see docs/import.md)
  areas import FILE.geojson
                           create or update admin areas and their boundaries from a GeoJSON FeatureCollection
                           (properties: code, name, parent_code); the whole file or nothing
  population import FILE.csv --year Y --source S [--replace]
                           load population denominators for reports (area_code,population[,households]; docs/reports.md)
  user create --username U --roles R[,R] [--areas A[,A]] [--display-name N]
                           create a user; prints a one-time password
  client create --client-id ID --name N --roles R[,R] [--areas A[,A]] [--jwk FILE]
                [--dci-callback-url URL] [--dci-jwks-uri URL] [--dci-require-signature]
                           register an API client; prints its secret (none with --jwk only: add --with-secret);
                           the --dci-* options set its SPDCI settings (see docs/dci.md)
  dedup                    find duplicate persons over the whole registry and queue the pairs for review (docs/dedup.md)
  keys rotate              add new keys (token and DCI signing, DCI encryption); the old ones keep working until they expire
  backup FILE              write an encrypted snapshot of the whole registry to FILE (see docs/backup.md)
  restore FILE             restore a backup into an empty database

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
      case 'areas':
        return await areasCommand(rest);
      case 'population':
        return await populationCommand(rest);
      case 'user':
        return await userCommand(rest);
      case 'client':
        return await clientCommand(rest);
      case 'dedup':
        return await dedupCommand(rest);
      case 'keys':
        return await keysCommand(rest);
      case 'backup':
        return await backupCommand(rest);
      case 'restore':
        return await restoreCommand(rest);
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
  const loaded = loadConfig();
  const demo = Boolean(values.demo) || loaded.demo;
  // the demo's simulators listen on this machine, so its outgoing calls may go to loopback unless configured otherwise
  const config = demo && process.env.SRHUB_EGRESS_ALLOW === undefined ? { ...loaded, egressAllow: ['loopback'] } : loaded;
  const hub = await startHub(config);
  if (demo) {
    const ctx = systemContext(config, hub.db, hub.secrets, hub.log, SYSTEM_PRINCIPAL, hub);
    const seeded = await seedDemo(ctx);
    if (seeded) hub.log.info(seeded, 'demo data seeded');
    await seedDemoAccounts(hub.db);
    const boundaries = await loadDemoBoundaries(hub.db);
    if (boundaries) hub.log.info(boundaries, 'demo area boundaries imported');
    // the agreements the demo connectors rely on (identity checks, notifications, enrolment)
    await ensureDemoAgreements(ctx);
    // a model and an active program: eligibility on the dashboard, something to simulate in the console
    const program = await ensureDemoProgram(ctx);
    if (program.program) hub.log.info(program, 'demo assessment model and program created');
    await startDemoConnectors(hub.connectors, hub.log);
  }
  const admin = await ensureAdministrator(hub.db);
  if (admin) {
    // stdout only, never the log: the password is shown this once
    console.log(`\nAn administrator account was created: username "${admin.username}", one-time password "${admin.password}".\nIt is shown only now; sign in and change it (POST /api/v1/me/password).`);
  }
  if (config.auth === 'off') hub.log.warn('SRHUB_AUTH=off: the API is open to anyone who can reach it. Use this only for development.');
  // several instances on one database need Redis: without it each process keeps its own rate limits, caches and queue
  if (config.databaseUrl && !config.redisUrl) hub.log.warn('DATABASE_URL without REDIS_URL: rate limits, caches and the connector queue are this process\'s own. Run one instance only, or set REDIS_URL (docs/scaling.md).');
  console.log(
    `\nsrhub is running.\n  Console (staff):        ${hub.url}/console/\n  Portal (beneficiaries): ${hub.url}/portal/\n  Field app (offline):    ${hub.url}/field/\n` +
      `  API:      ${hub.url}/api/v1/households\n  API docs: ${hub.url}/docs\n  Ready:    ${hub.url}/ready\n`,
  );
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
async function withContext<T>(work: (ctx: Ctx) => Promise<T>, { migrate = true } = {}): Promise<T> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const secrets = createSecrets(await loadMasterKey(config, log));
  // backup reads the schema as it is; restore migrates inside its own transaction, to the backup's level
  const db = await (migrate ? initDb(config) : openDb(config));
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
      const started = Date.now();
      let reported = 0;
      const seeded = await seedPersons(ctx, persons, seed, {
        // a line per 100,000 persons or so: a 10,000,000-person run takes a while
        onProgress: (total) => {
          if (total.persons - reported < 100_000) return;
          reported = total.persons;
          process.stderr.write(`${total.persons} persons in ${total.households} households, ${Math.round((Date.now() - started) / 1000)} s\n`);
        },
      });
      const seconds = (Date.now() - started) / 1000;
      console.log(`Seeded ${seeded.households} households (${seeded.persons} persons) in ${seconds.toFixed(1)} s, ${Math.round(seeded.persons / seconds)} persons/s.`);
    }
    return 0;
  });
}

async function dedupCommand(args: string[]): Promise<number> {
  options(args, {});
  return withContext(async (ctx) => {
    const report = await runBatchDedup(ctx, { onProgress: (step, counts) => process.stderr.write(`${step} ${JSON.stringify(counts)}\n`) });
    console.log(`Compared ${report.scored} candidate pairs of ${report.persons} persons: ${report.matches} match, ${report.possibleMatches} possible match, ${report.newPairs} new in the review queue.`);
    return 0;
  });
}

async function importCommand(args: string[]): Promise<number> {
  const { positionals } = options(args, {});
  if (positionals.length !== 1) throw new UsageError('import takes one CSV file.');
  return withContext(async (ctx) => {
    const summary = await importCsv(ctx, positionals[0], { progress: process.stderr });
    // 0: every row imported; 3: some rows rejected (see the summary); 1: nothing imported
    if (summary.rejectedRows === 0) return 0;
    return summary.acceptedRows > 0 ? 3 : 1;
  });
}

async function populationCommand(args: string[]): Promise<number> {
  const { positionals, values } = options(args, { year: { type: 'string' }, source: { type: 'string' }, replace: { type: 'boolean' } });
  if (positionals[0] !== 'import' || positionals.length !== 2 || !values.year || !values.source) {
    throw new UsageError('population takes: import FILE.csv --year Y --source S [--replace].');
  }
  const year = Number(values.year);
  if (!Number.isInteger(year) || year < 1900 || year > 2200) throw new UsageError('--year takes a year from 1900 to 2200.');
  const csv = await readFile(positionals[1], 'utf8');
  return withContext(async (ctx) => {
    for (const line of await importPopulationFile(ctx, csv, { year, source: values.source!, replace: values.replace ?? false })) console.log(line);
    return 0;
  });
}

async function areasCommand(args: string[]): Promise<number> {
  const { positionals } = options(args, {});
  if (positionals[0] !== 'import' || positionals.length !== 2) throw new UsageError('areas takes: import FILE.geojson.');
  const file = positionals[1];
  const text = await readFile(file, 'utf8');
  return withContext(async (ctx) => {
    try {
      const s = await importAreaFile(ctx.db, text, path.basename(file));
      await recordAdmin(ctx, { action: 'admin', entity: 'admin_area_boundary', details: { ...s, file: path.basename(file) } });
      console.log(`Imported ${file}: ${s.features} area${s.features === 1 ? '' : 's'} (${s.created} new, ${s.renamed} renamed), ${s.boundaries} ${s.boundaries === 1 ? 'boundary' : 'boundaries'} stored.`);
      return 0;
    } catch (err) {
      if (!(err instanceof AreaImportError)) throw err;
      console.error(`${err.message}\n${err.problems.map((p) => `  ${p.feature === undefined ? '' : `feature ${p.feature}${p.code ? ` (${p.code})` : ''}: `}${p.field} ${p.message}`).join('\n')}`);
      return 1;
    }
  });
}

async function backupCommand(args: string[]): Promise<number> {
  const { positionals } = options(args, {});
  if (positionals.length !== 1) throw new UsageError('backup takes one file name.');
  const file = positionals[0];
  const config = loadConfig();
  // opening a missing folder would create an empty database (and a new master key) only to back up nothing
  if (!config.databaseUrl && !(await exists(path.join(config.dataDir, 'pglite')))) {
    throw new UsageError(`There is no database in ${config.dataDir}: set SRHUB_DATA_DIR (or DATABASE_URL) to the registry to back up.`);
  }
  return withContext(async (ctx) => {
    const s = await writeBackup(ctx.db, ctx.secrets.masterKey, file);
    await recordAdmin(ctx, { action: 'admin', entity: 'backup', details: { tables: s.tables, rows: s.rows, bytes: s.bytes, schema: s.schema } });
    console.log(`Backup written to ${file}: ${s.tables} tables, ${s.rows} rows, ${megabytes(s.bytes)} in ${s.seconds.toFixed(1)} s (schema ${s.schema}).`);
    console.log('Keep the master key (SRHUB_MASTER_KEY) apart from the file: without it the backup cannot be read.');
    return 0;
  }, { migrate: false });
}

async function restoreCommand(args: string[]): Promise<number> {
  const { positionals } = options(args, {});
  if (positionals.length !== 1) throw new UsageError('restore takes one file name.');
  const file = positionals[0];
  const config = loadConfig();
  // without a key, the embedded engine would generate a new one, which cannot read the backup
  if (!config.masterKey && !(await exists(path.join(config.dataDir, 'master.key')))) {
    throw new UsageError(
      'restore needs the master key the backup was made with: set SRHUB_MASTER_KEY, or copy master.key into SRHUB_DATA_DIR.',
    );
  }
  return withContext(async (ctx) => {
    const s = await restoreBackup(ctx.db, ctx.secrets.masterKey, file);
    // the restored chain goes on with an entry saying where the data came from
    await recordAdmin(ctx, { action: 'admin', entity: 'restore', details: { tables: s.tables, rows: s.rows, backup_created_at: s.createdAt, schema: s.schema } });
    console.log(
      `Restored ${file} (made ${s.createdAt} on ${s.engine}, schema ${s.schema}): ${s.tables} tables, ${s.rows} rows in ${s.seconds.toFixed(1)} s.`,
    );
    return 0;
  }, { migrate: false });
}

/** An audit entry after the work is done; a schema older than the audit log (restore of an old backup) has none. */
async function recordAdmin(ctx: Ctx, event: AuditEvent): Promise<void> {
  try {
    const [{ present }] = await ctx.db.query<{ present: boolean }>(`select to_regclass('audit_log') is not null as present`);
    if (present) await ctx.db.transaction((tx) => ctx.audit.recordIn(tx, auditEntries(ctx, [event])));
  } catch (err) {
    console.error(`Warning: the ${event.entity} succeeded, but its audit entry could not be written: ${(err as Error).message}`);
  }
}
const exists = (file: string) => access(file).then(() => true, () => false);
const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 2 : 1)} MB`;

const list = (value: string | undefined) => (value ? value.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

async function userCommand(args: string[]): Promise<number> {
  const { values, positionals } = options(args, {
    username: { type: 'string' },
    roles: { type: 'string' },
    areas: { type: 'string' },
    'display-name': { type: 'string' },
  });
  if (positionals[0] !== 'create' || !values.username || !values.roles) throw new UsageError('user create needs --username and --roles.');
  return withContext(async (ctx) => {
    const { user, oneTimePassword } = await createUser(
      ctx.db,
      { username: values.username!, roles: list(values.roles)!, areas: list(values.areas) ?? null, display_name: values['display-name'] },
      'cli',
    );
    console.log(`Created user ${user.username} (${user.roles.join(', ')}). One-time password: ${oneTimePassword}\nIt is shown only now; the user must change it at first sign-in.`);
    return 0;
  });
}

async function clientCommand(args: string[]): Promise<number> {
  const { values, positionals } = options(args, {
    'client-id': { type: 'string' },
    name: { type: 'string' },
    roles: { type: 'string' },
    areas: { type: 'string' },
    jwk: { type: 'string' },
    'with-secret': { type: 'boolean' },
    'dci-callback-url': { type: 'string' },
    'dci-jwks-uri': { type: 'string' },
    'dci-require-signature': { type: 'boolean' },
  });
  if (positionals[0] !== 'create' || !values['client-id'] || !values.name || !values.roles) {
    throw new UsageError('client create needs --client-id, --name and --roles.');
  }
  const publicJwk = values.jwk ? JSON.parse(await readFile(values.jwk, 'utf8')) : undefined;
  const dci = { callback_url: values['dci-callback-url'], jwks_uri: values['dci-jwks-uri'], require_signature: values['dci-require-signature'] };
  return withContext(async (ctx) => {
    // the client and its DCI settings together, or neither
    const { client, clientSecret } = await ctx.db.transaction(async (tx) => {
      const created = await createClient(
        tx,
        { client_id: values['client-id']!, name: values.name!, roles: list(values.roles)!, areas: list(values.areas) ?? null, public_jwk: publicJwk, with_secret: values['with-secret'] || !publicJwk },
        'cli',
      );
      if (Object.values(dci).some((v) => v !== undefined)) await putDciSettings(tx, ctx.config, created.client.client_id, dci, 'cli').catch(explainFields);
      return created;
    });
    console.log(`Registered client ${client.client_id} (${client.auth_methods.join(', ')}).` + (clientSecret ? ` Client secret: ${clientSecret}\nIt is shown only now.` : ''));
    return 0;
  });
}

/** A 422 from a service, with the fields it names, as one message for the terminal. */
function explainFields(err: unknown): never {
  const errors = err instanceof HubError ? (err.details.errors as { field: string; message: string }[] | undefined) : undefined;
  if (!errors?.length) throw err;
  throw new Error(`${(err as Error).message} ${errors.map((e) => `${e.field.replace(/^body\./, '')} ${e.message}`).join('; ')}`);
}

async function keysCommand(args: string[]): Promise<number> {
  if (args[0] !== 'rotate') throw new UsageError('keys takes: rotate.');
  return withContext(async (ctx) => {
    const kids = await new KeyStore(ctx.db, ctx.secrets.masterKey).rotateAll(ctx.config.keyRetentionDays);
    // the first line as before: the token signing key
    console.log(`New signing key ${kids.ES256}. Earlier keys keep verifying for ${ctx.config.keyRetentionDays} days.`);
    console.log(`New DCI signing key (EdDSA) ${kids.EdDSA}; new DCI encryption key (ECDH-ES+A256KW) ${kids['ECDH-ES+A256KW']}: earlier ones keep working as long.`);
    return 0;
  });
}
