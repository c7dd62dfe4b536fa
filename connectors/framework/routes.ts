// The connectors' admin API (openapi/hub/connectors.yaml, scope connectors.manage): list, read, configure,
// enable/disable, health, runs (start, list, read, re-run the dead-lettered items). Changes are audited; secret
// values are never returned (only which secret keys are set).
import { auditEntries } from '../../core/audit/entry.js';
import type { Db } from '../../core/db/index.js';
import type { Ctx } from '../../core/server/context.js';
import { HubError, notFound } from '../../core/server/errors.js';
import type { Handlers } from '../../core/server/handlers.js';
import { breakerView } from './breaker.js';
import { configStore, configurationView, putConfiguration, setEnabled, type ConfigRow } from './configuration.js';
import type { ConnectorService } from './index.js';
import { deadLetterStore, runStore, toRunRecord } from './store.js';
import type { Connector, RunRecord } from './types.js';

export function connectorRoutes(service: () => ConnectorService): Handlers {
  return {
    listConnectors: async (ctx, _req, res) => {
      const s = service();
      const items = [];
      for (const connector of s.loaded.values()) items.push(summary(connector, await configStore.row(ctx.db, connector.manifest.id)));
      res.json({ items, rejected: s.rejected.map((r) => ({ folder: r.folder, problems: r.problems })) });
    },
    getConnector: async (ctx, req, res) => {
      const connector = service().get(req.params.connectorId);
      res.json(await detail(ctx.db, connector));
    },
    putConnectorConfiguration: async (ctx, req, res) => {
      const s = service();
      const connector = s.get(req.params.connectorId);
      const fields = [...Object.keys(req.body.configuration ?? {}).map((k) => `configuration.${k}`), ...['enabled', 'schedules', 'settings'].filter((k) => k in req.body)];
      await changeAudited(ctx, connector, fields, (tx) => putConfiguration(tx, ctx.secrets, connector, req.body, ctx.principal.id));
      await s.syncChecks();
      res.json(await detail(ctx.db, connector));
    },
    enableConnector: async (ctx, req, res) => {
      await toggle(ctx, service(), req.params.connectorId, true);
      res.json(await detail(ctx.db, service().get(req.params.connectorId)));
    },
    disableConnector: async (ctx, req, res) => {
      await toggle(ctx, service(), req.params.connectorId, false);
      res.json(await detail(ctx.db, service().get(req.params.connectorId)));
    },
    getConnectorHealth: async (ctx, req, res) => {
      const connector = service().get(req.params.connectorId);
      res.json(await health(ctx.db, connector));
    },
    startConnectorRun: async (ctx, req, res) => {
      const s = service();
      const connector = s.get(req.params.connectorId);
      const job: string = req.body.job;
      // own keys only: a job named __proto__ or toString is not a job
      const manifest = Object.hasOwn(connector.manifest.jobs, job) ? connector.manifest.jobs[job] : undefined;
      if (!manifest) throw new HubError(422, 'connector.job_unknown', `Connector ${connector.manifest.id} has no job ${job}.`, { errors: [{ field: 'body.job', message: `is not a job of ${connector.manifest.id}` }] });
      if (!manifest.triggers.onDemand) throw new HubError(422, 'connector.job_not_on_demand', `Job ${job} cannot be started on demand.`, { errors: [{ field: 'body.job', message: 'is not an on-demand job' }] });
      const config = await configStore.row(ctx.db, connector.manifest.id);
      if (!config?.enabled) throw new HubError(409, 'connector.disabled', `Connector ${connector.manifest.id} is disabled; enable it first.`);
      const run = await s.enqueue(connector.manifest.id, job, req.body.data, { trigger: 'on_demand' });
      await ctx.audit.recordReads(auditEntries(ctx, [{ action: 'admin', entity: 'connector_run', entityId: run.id, details: { connector: connector.manifest.id, job } }]));
      res.status(202).json(runView(run));
    },
    listConnectorRuns: async (ctx, req, res) => {
      const connector = service().get(req.params.connectorId);
      const limit = Number(req.query.limit ?? 50);
      const rows = await runStore.list(ctx.db, connector.manifest.id, {
        limit: limit + 1,
        before: req.query.cursor as string | undefined,
        status: req.query.status as RunRecord['status'] | undefined,
      });
      const page = rows.slice(0, limit);
      res.json({ items: page.map((r) => runView(toRunRecord(r))), next_cursor: rows.length > limit ? page[page.length - 1].id : null });
    },
    getConnectorRun: async (ctx, req, res) => {
      const connector = service().get(req.params.connectorId);
      const row = await runStore.byId(ctx.db, connector.manifest.id, req.params.runId);
      if (!row) throw notFound('run');
      const deadLetters = await deadLetterStore.list(ctx.db, row.id);
      res.json({
        ...runView(toRunRecord(row, { withLog: true })),
        dead_letter_items: deadLetters.map((d) => ({ id: d.id, error: d.error, created_at: new Date(d.created_at).toISOString(), rerun_id: d.retried_in })),
      });
    },
    rerunConnectorRun: async (ctx, req, res) => {
      const s = service();
      const run = await s.rerun(req.params.connectorId, req.params.runId, ctx.principal.id);
      await ctx.audit.recordReads(auditEntries(ctx, [{ action: 'admin', entity: 'connector_run', entityId: run.id, details: { connector: req.params.connectorId, rerun_of: req.params.runId } }]));
      res.status(202).json(runView(run));
    },
  };
}

async function toggle(ctx: Ctx, s: ConnectorService, connectorId: string, enabled: boolean): Promise<void> {
  const connector = s.get(connectorId);
  await changeAudited(ctx, connector, ['enabled'], (tx) => setEnabled(tx, ctx.secrets, connector, enabled, ctx.principal.id));
  await s.syncChecks();
}

async function changeAudited(ctx: Ctx, connector: Connector, fields: string[], change: (tx: Db) => Promise<ConfigRow>): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    await change(tx);
    await ctx.audit.recordIn(tx, auditEntries(ctx, [{ action: 'admin', entity: 'connector', entityId: connector.manifest.id, fields }]));
  });
}

function summary(connector: Connector, row: ConfigRow | undefined) {
  const m = connector.manifest;
  return { id: m.id, name: m.name, version: m.version, kinds: m.kinds, description: m.description, enabled: row?.enabled ?? false, has_simulator: Boolean(connector.simulator) };
}

async function detail(db: Db, connector: Connector) {
  const m = connector.manifest;
  const row = await configStore.row(db, m.id);
  return {
    ...summary(connector, row),
    config_schema: m.configSchema,
    secret_keys: m.secretKeys,
    jobs: Object.fromEntries(Object.entries(m.jobs).map(([name, j]) => [name, {
      description: j.description,
      schedule: row?.schedules?.[name] ?? j.triggers.schedule ?? null,
      events: j.triggers.events ?? [],
      on_demand: Boolean(j.triggers.onDemand),
      personal_data: j.personalData,
      ...(j.timeoutMs ? { timeout_ms: j.timeoutMs } : {}),
    }])),
    checks: m.checks ?? {},
    ...configurationView(connector, row),
  };
}

// the error rate looks at the runs that ended in this window
const HEALTH_WINDOW_HOURS = 24;

async function health(db: Db, connector: Connector) {
  const id = connector.manifest.id;
  const [stats] = await db.query<{ last_success: Date | string | null; last_failure: Date | string | null; finished: number; failed: number; queued: number; running: number }>(
    `select (select max(finished_at) from connector_run where connector_id = $1 and status = 'succeeded') as last_success,
            (select max(finished_at) from connector_run where connector_id = $1 and status in ('failed', 'partial')) as last_failure,
            count(*) filter (where finished_at > now() - make_interval(hours => $2))::int as finished,
            count(*) filter (where finished_at > now() - make_interval(hours => $2) and status in ('failed', 'partial'))::int as failed,
            count(*) filter (where status = 'queued')::int as queued,
            count(*) filter (where status = 'running')::int as running
     from connector_run where connector_id = $1`,
    [id, HEALTH_WINDOW_HOURS],
  );
  const breaker = await breakerView(db, id);
  const row = await configStore.row(db, id);
  return {
    id,
    enabled: row?.enabled ?? false,
    last_success_at: stats.last_success ? new Date(stats.last_success).toISOString() : null,
    last_failure_at: stats.last_failure ? new Date(stats.last_failure).toISOString() : null,
    window_hours: HEALTH_WINDOW_HOURS,
    runs_finished: stats.finished,
    runs_failed: stats.failed,
    error_rate: stats.finished ? Math.round((stats.failed / stats.finished) * 1000) / 1000 : 0,
    runs_queued: stats.queued,
    runs_running: stats.running,
    breaker: { state: breaker.state, consecutive_failures: breaker.failures, opened_at: breaker.openedAt ?? null },
  };
}

/** A run as the API shows it (snake_case; never the input or the result, which may carry personal data). */
function runView(run: RunRecord) {
  return {
    id: run.id,
    connector_id: run.connectorId,
    job: run.job,
    status: run.status,
    trigger: run.trigger,
    rerun_of: run.rerunOf ?? null,
    queued_at: run.queuedAt,
    started_at: run.startedAt ?? null,
    finished_at: run.finishedAt ?? null,
    attempts: run.attempts,
    counts: run.counts,
    error: run.error ?? null,
    dead_letters: run.deadLetters ?? 0,
    ...(run.log ? { log: run.log } : {}),
  };
}
