import { rmSync } from 'node:fs';
import pg from 'pg';

export default async function globalTeardown(): Promise<void> {
  const template = process.env.SRHUB_TEST_PGLITE_TEMPLATE_ROOT;
  if (template) rmSync(template, { recursive: true, force: true });
  await dropPostgresTemplate();
  for (const container of globalThis.__srhubContainers ?? []) await container.stop();
}

/** The run's migrated PostgreSQL template (global-setup.ts). */
async function dropPostgresTemplate(): Promise<void> {
  const template = globalThis.__srhubPostgresTemplate;
  if (!template) return;
  const admin = new pg.Client({ connectionString: template.serverUrl });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${template.name} with (force)`);
  } finally {
    await admin.end();
  }
}
