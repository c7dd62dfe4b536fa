// Checks a connector's default export before the hub uses it: a broken connector is reported by name and left out,
// it never stops the hub or the other connectors.
import { Ajv } from 'ajv';
import { isValidCron } from './cron.js';
import type { Connector } from './types.js';

const KINDS = ['verify', 'enrich', 'pull', 'push'];
const ID = /^[a-z][a-z0-9-]{1,62}$/;
const schemaCompiler = new Ajv({ strict: false });

/** Problems with the connector, each naming the field; empty when it is usable. */
export function manifestProblems(connector: unknown, folder: string): string[] {
  const problems: string[] = [];
  const c = connector as Partial<Connector> | undefined;
  const m = c?.manifest;
  if (!c || typeof c !== 'object' || !m || typeof m !== 'object') return ['the default export must be a Connector {manifest, jobs}'];
  if (typeof m.id !== 'string' || !ID.test(m.id)) problems.push('manifest.id: lower-case letters, digits and dashes');
  else if (m.id !== folder) problems.push(`manifest.id: must be the folder name (${folder})`);
  for (const key of ['name', 'version', 'description'] as const) if (typeof m[key] !== 'string' || !m[key]) problems.push(`manifest.${key}: required text`);
  if (!Array.isArray(m.kinds) || m.kinds.length === 0 || m.kinds.some((k) => !KINDS.includes(k))) problems.push(`manifest.kinds: one or more of ${KINDS.join(', ')}`);
  if (!m.configSchema || typeof m.configSchema !== 'object') problems.push('manifest.configSchema: a JSON Schema object');
  else {
    try {
      schemaCompiler.compile(m.configSchema);
    } catch (err) {
      problems.push(`manifest.configSchema: ${(err as Error).message}`);
    }
  }
  const properties = (m.configSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  if (!Array.isArray(m.secretKeys)) problems.push('manifest.secretKeys: a list (may be empty)');
  else for (const key of m.secretKeys) if (!(key in properties)) problems.push(`manifest.secretKeys: ${key} is not a property of configSchema`);
  if (!m.jobs || typeof m.jobs !== 'object' || Object.keys(m.jobs).length === 0) problems.push('manifest.jobs: at least one job');
  for (const [name, job] of Object.entries(m.jobs ?? {})) {
    if (typeof c.jobs?.[name] !== 'function') problems.push(`jobs.${name}: the connector exports no function for this job`);
    if (!job || typeof job.personalData !== 'boolean') problems.push(`manifest.jobs.${name}.personalData: true or false`);
    if (!job?.triggers || typeof job.triggers !== 'object') problems.push(`manifest.jobs.${name}.triggers: required`);
    else {
      if (job.triggers.schedule !== undefined && !isValidCron(job.triggers.schedule)) problems.push(`manifest.jobs.${name}.triggers.schedule: a 5-field cron expression`);
      if (job.triggers.events !== undefined && (!Array.isArray(job.triggers.events) || job.triggers.events.some((e) => typeof e !== 'string'))) problems.push(`manifest.jobs.${name}.triggers.events: a list of outbox topics`);
    }
    if (job?.timeoutMs !== undefined && (!Number.isInteger(job.timeoutMs) || job.timeoutMs < 1)) problems.push(`manifest.jobs.${name}.timeoutMs: a positive whole number`);
  }
  for (const name of Object.keys(c.jobs ?? {})) if (!m.jobs?.[name]) problems.push(`jobs.${name}: not declared in manifest.jobs`);
  for (const [check, job] of Object.entries(m.checks ?? {})) if (!m.jobs?.[job]) problems.push(`manifest.checks.${check}: names no job (${job})`);
  if (m.concurrency !== undefined && (!Number.isInteger(m.concurrency) || m.concurrency < 1)) problems.push('manifest.concurrency: a positive whole number');
  if (c.simulator !== undefined && (typeof c.simulator.start !== 'function' || typeof c.simulator.demoConfiguration !== 'function')) {
    problems.push('simulator: needs start() and demoConfiguration()');
  }
  return problems;
}
