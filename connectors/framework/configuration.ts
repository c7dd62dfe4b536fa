// Per-connector configuration in the database: the non-secret keys as given, the secret keys sealed with the master
// key (never returned: the API says only which are set), cron overrides and the runner's settings. Everything is
// validated against the manifest's configSchema before it is stored; a bad value is a 422 naming the field.
import { Ajv, type ErrorObject } from 'ajv';
import type { Db } from '../../core/db/index.js';
import type { Secrets } from '../../core/keys/secrets.js';
import { HubError, type FieldError } from '../../core/server/errors.js';
import { isValidCron } from './cron.js';
import { effectiveSettings, SETTINGS_SCHEMA, type RunnerSettings } from './settings.js';
import type { Connector } from './types.js';

export interface ConfigRow {
  connector_id: string;
  enabled: boolean;
  configuration: Record<string, unknown>;
  secrets: Record<string, string>;
  schedules: Record<string, string>;
  settings: Partial<RunnerSettings>;
  updated_by: string;
  updated_at: Date | string;
}

export interface ConfigurationInput {
  /** Non-secret and secret keys; a secret key left out keeps its stored value, null removes it. */
  configuration?: Record<string, unknown>;
  enabled?: boolean;
  /** Cron per job ('' turns the job's schedule off); left out: the manifest's default. */
  schedules?: Record<string, string>;
  settings?: Partial<RunnerSettings>;
}

const secretContext = (connectorId: string, key: string) => `connector_secret:${connectorId}:${key}`;

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new WeakMap<object, ReturnType<typeof ajv.compile>>();
const validateSettings = ajv.compile(SETTINGS_SCHEMA);

function validatorOf(schema: object) {
  let v = validators.get(schema);
  if (!v) validators.set(schema, (v = ajv.compile(schema)));
  return v;
}

/** ajv's errors as the hub's field errors: `body.configuration.baseUrl: must match format "uri"`. */
function fieldErrors(prefix: string, errors: ErrorObject[] | null | undefined): FieldError[] {
  return (errors ?? []).map((e) => {
    const missing = e.keyword === 'required' ? `.${(e.params as { missingProperty: string }).missingProperty}` : '';
    const extra = e.keyword === 'additionalProperties' ? `.${(e.params as { additionalProperty: string }).additionalProperty}` : '';
    const path = e.instancePath.replace(/^\//, '').split('/').filter(Boolean).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('');
    return { field: `${prefix}${path}${missing}${extra}`, message: e.keyword === 'additionalProperties' ? 'is not a known key' : e.message ?? 'is not valid' };
  });
}

export const configStore = {
  async row(db: Db, connectorId: string): Promise<ConfigRow | undefined> {
    const [row] = await db.query<ConfigRow>('select * from connector_config where connector_id = $1', [connectorId]);
    return row;
  },
  async enabledIds(db: Db): Promise<Set<string>> {
    const rows = await db.query<{ connector_id: string }>('select connector_id from connector_config where enabled');
    return new Set(rows.map((r) => r.connector_id));
  },
};

/** The configuration a job sees: non-secret keys and opened secrets (manifest defaults come from the schema's own use). */
export async function openConfiguration(db: Db, secrets: Secrets, connectorId: string): Promise<Record<string, unknown>> {
  const row = await configStore.row(db, connectorId);
  if (!row) return {};
  const opened = Object.fromEntries(Object.entries(row.secrets).map(([k, sealed]) => [k, secrets.open(sealed, secretContext(connectorId, k))]));
  return { ...row.configuration, ...opened };
}

/**
 * Validates and stores a connector's configuration (in the caller's transaction). Bad input -> 422 naming each field,
 * nothing stored. Enabling a connector whose stored configuration does not satisfy its schema is refused the same way.
 */
export async function putConfiguration(
  tx: Db,
  secrets: Secrets,
  connector: Connector,
  input: ConfigurationInput,
  actor: string,
): Promise<ConfigRow> {
  const { manifest } = connector;
  const id = manifest.id;
  const current = await tx.query<ConfigRow>('select * from connector_config where connector_id = $1 for update', [id]).then((r) => r[0]);
  const secretKeys = new Set(manifest.secretKeys);
  const errors: FieldError[] = [];

  const given = input.configuration ?? {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new HubError(422, 'connector.configuration_invalid', 'The configuration must be an object.', { errors: [{ field: 'body.configuration', message: 'must be an object' }] });
  }
  // secrets: a key left out keeps its value, null removes it, a string replaces it
  const sealed: Record<string, string> = { ...(current?.secrets ?? {}) };
  const plainSecrets: Record<string, unknown> = {};
  for (const key of Object.keys(sealed)) plainSecrets[key] = secrets.open(sealed[key], secretContext(id, key));
  const configuration: Record<string, unknown> = input.configuration ? {} : { ...(current?.configuration ?? {}) };
  for (const [key, value] of Object.entries(given)) {
    if (secretKeys.has(key)) {
      if (value === null) {
        delete sealed[key];
        delete plainSecrets[key];
      } else if (typeof value !== 'string') {
        errors.push({ field: `body.configuration.${key}`, message: 'must be a string (it is a secret)' });
      } else {
        sealed[key] = secrets.seal(value, secretContext(id, key));
        plainSecrets[key] = value;
      }
    } else if (value !== null) {
      configuration[key] = value;
    }
  }
  const validate = validatorOf(manifest.configSchema);
  if (!validate({ ...configuration, ...plainSecrets })) errors.push(...fieldErrors('body.configuration', validate.errors));

  const schedules = { ...(current?.schedules ?? {}), ...(input.schedules ?? {}) };
  for (const [job, cron] of Object.entries(input.schedules ?? {})) {
    if (!Object.hasOwn(manifest.jobs, job)) errors.push({ field: `body.schedules.${job}`, message: 'is not a job of this connector' });
    else if (typeof cron !== 'string' || (cron !== '' && !isValidCron(cron))) errors.push({ field: `body.schedules.${job}`, message: 'must be a cron expression (5 fields, UTC) or "" to turn the schedule off' });
  }
  const settings = { ...(current?.settings ?? {}), ...(input.settings ?? {}) };
  if (input.settings !== undefined && !validateSettings(input.settings)) errors.push(...fieldErrors('body.settings', validateSettings.errors));
  if (errors.length) {
    throw new HubError(422, 'connector.configuration_invalid', `The configuration of connector ${id} is not valid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}.`, { errors });
  }
  const enabled = input.enabled ?? current?.enabled ?? false;
  const [row] = await tx.query<ConfigRow>(
    `insert into connector_config (connector_id, enabled, configuration, secrets, schedules, settings, updated_by)
     values ($1, $2, $3::jsonb, $4::jsonb, $5::jsonb, $6::jsonb, $7)
     on conflict (connector_id) do update set enabled = excluded.enabled, configuration = excluded.configuration,
       secrets = excluded.secrets, schedules = excluded.schedules, settings = excluded.settings,
       updated_by = excluded.updated_by, updated_at = now()
     returning *`,
    [id, enabled, JSON.stringify(configuration), JSON.stringify(sealed), JSON.stringify(schedules), JSON.stringify(settings), actor],
  );
  return row;
}

/** Enables or disables; enabling checks the stored configuration against the schema (a connector never runs half-configured). */
export async function setEnabled(tx: Db, secrets: Secrets, connector: Connector, enabled: boolean, actor: string): Promise<ConfigRow> {
  if (!enabled) {
    const [row] = await tx.query<ConfigRow>(
      `insert into connector_config (connector_id, enabled, updated_by) values ($1, false, $2)
       on conflict (connector_id) do update set enabled = false, updated_by = excluded.updated_by, updated_at = now() returning *`,
      [connector.manifest.id, actor],
    );
    return row;
  }
  return putConfiguration(tx, secrets, connector, { enabled: true }, actor);
}

export function settingsOf(connector: Connector, row: ConfigRow | undefined): RunnerSettings {
  return effectiveSettings(connector.manifest, row?.settings);
}

/** What the API shows: no secret value, only which secret keys are set. */
export function configurationView(connector: Connector, row: ConfigRow | undefined) {
  return {
    enabled: row?.enabled ?? false,
    configuration: row?.configuration ?? {},
    secrets_set: Object.keys(row?.secrets ?? {}).sort(),
    schedules: row?.schedules ?? {},
    settings: settingsOf(connector, row),
    updated_at: row ? new Date(row.updated_at).toISOString() : null,
  };
}
