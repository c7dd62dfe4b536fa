// Deduplication handlers by operationId (openapi/hub/dedup.yaml): input already validated by the document.
import { auditEntries } from '../audit/entry.js';
import type { Db } from '../db/index.js';
import { ifMatchRequired, invalid, notFound, staleVersion, unprocessable } from '../server/errors.js';
import { ifMatchVersion, type Handlers } from '../server/handlers.js';
import { executeRun, startRun } from './batch.js';
import { mergePair, markDistinct } from './distinct.js';
import type { MergeResult } from './index.js';
import { getPair, listPairs, type PairQuery } from './pairs.js';
import { checkSettings, loadSettings, saveSettings, type DedupSettings } from './settings.js';
import { loadWeights } from './weights.js';

export const dedupRoutes: Handlers = {
  listDuplicatePairs: async (ctx, req, res) => {
    res.json(await listPairs(ctx, req.query as unknown as PairQuery));
  },
  getDuplicatePair: async (ctx, req, res) => {
    res.json(await getPair(ctx, req.params.id));
  },
  mergeDuplicatePair: async (ctx, req, res) => {
    const { pair, merge } = await mergePair(ctx, req.params.id, req.body.survivor_id, req.body.reason);
    res.json({
      pair,
      survivor_id: merge.survivorId,
      merged_id: merge.mergedId,
      changed: merge.changed,
      ...(merge.moved ? { moved: movedBody(merge.moved) } : {}),
    });
  },
  markDuplicatePairDistinct: async (ctx, req, res) => {
    res.json(await markDistinct(ctx, req.params.id, req.body?.reason));
  },

  getDedupSettings: async (ctx, _req, res) => {
    const stored = await loadSettings(ctx.db);
    res.set('ETag', `"${stored.version}"`).json(stored);
  },
  updateDedupSettings: async (ctx, req, res) => {
    const version = ifMatchVersion(req);
    if (version === undefined) throw ifMatchRequired();
    if (version === 'invalid') throw invalid([{ field: 'header.if-match', message: 'must be the ETag of a version, e.g. "3"' }]);
    const settings = req.body as DedupSettings;
    const errors = checkSettings(settings);
    if (errors.length) throw unprocessable('dedup.settings_invalid', errors, 'The settings cannot be used as given.');
    const stored = await ctx.db.transaction(async (tx) => {
      // the row lock (or, before the first save, the advisory lock) makes version check and write one step
      await tx.query('select pg_advisory_xact_lock(7316418)');
      const current = await loadSettings(tx);
      if (current.version !== version) throw staleVersion('dedup_settings', current.version);
      const saved = await saveSettings(tx, settings, ctx.principal.id);
      await ctx.audit.recordIn(tx, auditEntries(ctx, [{ action: 'admin', entity: 'dedup_settings', entityId: 'settings', fields: ['thresholds', 'levels', 'blocking'], details: { version: saved.version } }]));
      return saved;
    });
    res.set('ETag', `"${stored.version}"`).json(stored);
  },

  getDedupWeights: async (ctx, _req, res) => {
    res.json(await loadWeights(ctx.db));
  },

  startDedupRun: async (ctx, _req, res) => {
    const runId = await startRun(ctx.db, ctx.principal.id);
    await ctx.audit.recordReads(auditEntries(ctx, [{ action: 'admin', entity: 'dedup_run', entityId: runId }]));
    // the run outlives the request; it records its own failure (and a dead process shows as a silent heartbeat)
    void executeRun(ctx.db, runId).catch((err: Error) => ctx.log.error({ err: { message: err.message }, runId }, 'dedup run failed'));
    res.status(202).json(await runById(ctx.db, runId));
  },
  getDedupRun: async (ctx, req, res) => {
    res.json(await runById(ctx.db, req.params.id));
  },
};

async function runById(db: Db, id: string): Promise<Record<string, unknown>> {
  const [row] = await db.query<{ id: string; status: string; started_by: string; started_at: Date; finished_at: Date | null; stats: object; error: string | null }>(
    'select id, status, started_by, started_at, finished_at, stats, error from dedup_run where id = $1',
    [id],
  );
  if (!row) throw notFound('dedup_run');
  return { ...row, started_at: row.started_at.toISOString(), finished_at: row.finished_at?.toISOString() ?? null };
}

/** What followed the person, as the API spells it (ids only). */
function movedBody(moved: NonNullable<MergeResult['moved']>): Record<string, unknown> {
  return {
    consents_moved: moved.consentsMoved,
    consents_ended: moved.consentsEnded,
    survivor_consents_withdrawn: moved.survivorConsentsWithdrawn,
    verifications_moved: moved.verificationsMoved,
    participation_to_review: moved.participationToReview,
  };
}
