// Report, dashboard and data-quality handlers by operationId: input is validated by the document; reports answer in
// JSON or CSV (?format=csv, or Accept: text/csv).
import type { Response } from 'express';
import type { ApiRequest, Handlers } from '../server/handlers.js';
import type { Ctx } from '../server/context.js';
import { selectAreas } from './areas.js';
import { coverageReport } from './coverage.js';
import { coverageMap } from './coverage-map.js';
import { getDashboard } from './dashboard.js';
import { ageSexReport, disabilityReport, householdSizeReport } from './demographics.js';
import { listPopulation, loadPopulation } from './population.js';
import { evaluateAlerts, listAlerts } from './quality/alerts.js';
import { failuresByField, qualityMetrics, type QualityGrouping } from './quality/metrics.js';
import { listThresholds, replaceThresholds } from './quality/thresholds.js';
import { registrationsReport } from './registrations.js';
import { toCsv, wantsCsv, type ReportTable } from './table.js';
import { verificationReport } from './verification.js';

function send(res: Response, req: ApiRequest, table: ReportTable): void {
  // aggregates of the caller's areas: never cached by a shared proxy
  res.set('Cache-Control', 'private, no-store');
  if (wantsCsv(req.query, req.header('accept'))) {
    res.type('text/csv; charset=utf-8').set('Content-Disposition', `attachment; filename="${table.report}.csv"`).send(toCsv(table));
  } else {
    res.json(table);
  }
}

const report = (build: (ctx: Ctx, query: Record<string, unknown>) => Promise<ReportTable>) =>
  async (ctx: Ctx, req: ApiRequest, res: Response) => send(res, req, await build(ctx, req.query));

export const reportsRoutes: Handlers = {
  getCoverageReport: report(coverageReport),
  getAgeSexReport: report(ageSexReport),
  getCoverageMap: async (ctx, req, res) => {
    const map = await coverageMap(ctx, req.query);
    res.set('Cache-Control', 'private, no-store');
    res.type(req.header('accept')?.includes('application/geo+json') ? 'application/geo+json' : 'application/json').send(JSON.stringify(map));
  },
  getHouseholdSizeReport: report(householdSizeReport),
  getDisabilityReport: report(disabilityReport),
  getRegistrationsReport: report(registrationsReport),
  getVerificationReport: report(verificationReport),
  listPopulation: async (ctx, req, res) => {
    res.json({ items: await listPopulation(ctx, req.query.year as number | undefined) });
  },
  putPopulation: async (ctx, req, res) => {
    res.json(await loadPopulation(ctx, req.body));
  },
  getDashboard: async (ctx, _req, res) => {
    res.set('Cache-Control', 'private, no-store').json(await getDashboard(ctx));
  },
  getDataQuality: async (ctx, req, res) => {
    const selection = await selectAreas(ctx.db, ctx.principal, req.query);
    const by = (req.query.by as QualityGrouping | undefined) ?? 'area';
    const { table, sources } = await qualityMetrics(ctx.db, { selection, by, months: (req.query.months as number | undefined) ?? 12 });
    const full: ReportTable = { report: 'data-quality', min_cell: ctx.config.reports.minCell, ...table };
    if (wantsCsv(req.query, req.header('accept'))) return send(res, req, full);
    res.set('Cache-Control', 'private, no-store').json({ ...full, sources, validation_failures_by_field: await failuresByField(ctx.db, selection) });
  },
  listDataQualityThresholds: async (ctx, _req, res) => {
    res.json({ items: await listThresholds(ctx.db) });
  },
  putDataQualityThresholds: async (ctx, req, res) => {
    res.json({ items: await replaceThresholds(ctx, req.body.thresholds) });
  },
  listDataQualityAlerts: async (ctx, req, res) => {
    res.json({ items: await listAlerts(ctx, (req.query.status as 'open' | 'resolved' | 'all' | undefined) ?? 'open', (req.query.limit as number | undefined) ?? 100) });
  },
  evaluateDataQualityAlerts: async (ctx, _req, res) => {
    res.json(await evaluateAlerts(ctx.db));
  },
};
