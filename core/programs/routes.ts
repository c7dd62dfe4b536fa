// Program and eligibility handlers by operationId. The eligible list answers JSON or CSV (Accept: text/csv or
// ?format=csv); the CSV is written page by page through the same audited listEligible, never all in memory.
import type { Response } from 'express';
import { ifMatchRequired, invalid } from '../server/errors.js';
import { ifMatchVersion, type ApiRequest, type Handlers } from '../server/handlers.js';
import type { Ctx } from '../server/context.js';
import { listEligible } from './eligible.js';
import { householdEligibility } from './explain.js';
import { createProgram, getProgram, listPrograms, setProgramStatus, updateProgram } from './service.js';

function requiredVersion(req: ApiRequest): number {
  const version = ifMatchVersion(req);
  if (version === undefined) throw ifMatchRequired();
  if (version === 'invalid') throw invalid([{ field: 'header.if-match', message: 'must be the ETag of a version, e.g. "3"' }]);
  return version;
}

const sendProgram = (res: Response, status: number, program: { version: number }) => res.status(status).set('ETag', `"${program.version}"`).json(program);

const wantsCsv = (req: ApiRequest) => req.query.format === 'csv' || (req.query.format === undefined && /\btext\/csv\b/.test(req.header('accept') ?? ''));

const csvCell = (v: unknown) => (v === null || v === undefined ? '' : /[",\n\r]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));

async function sendEligibleCsv(ctx: Ctx, programId: string, areas: string[] | undefined, res: Response): Promise<void> {
  // the first page before the headers: a missing program is still a 404 problem, not a broken CSV
  let page = await listEligible(ctx, programId, { limit: 2000, areas });
  res.status(200).type('text/csv; charset=utf-8').set('Content-Disposition', `attachment; filename="eligible-${programId}.csv"`);
  res.write('rank,household_id,area_code,score,benefit\n');
  for (;;) {
    for (const h of page.households) res.write([h.rank, h.id, h.area_code, h.score, h.benefit].map(csvCell).join(',') + '\n');
    if (!page.next) break;
    page = await listEligible(ctx, programId, { limit: 2000, areas, cursor: page.next });
  }
  res.end();
}

export const programRoutes: Handlers = {
  listPrograms: async (ctx, req, res) => {
    res.json({ items: await listPrograms(ctx.db, req.query.status as string | undefined) });
  },
  createProgram: async (ctx, req, res) => {
    sendProgram(res, 201, await createProgram(ctx, req.body));
  },
  getProgram: async (ctx, req, res) => {
    sendProgram(res, 200, await getProgram(ctx.db, req.params.id));
  },
  updateProgram: async (ctx, req, res) => {
    sendProgram(res, 200, await updateProgram(ctx, req.params.id, requiredVersion(req), req.body));
  },
  activateProgram: async (ctx, req, res) => {
    sendProgram(res, 200, await setProgramStatus(ctx, req.params.id, 'active'));
  },
  closeProgram: async (ctx, req, res) => {
    sendProgram(res, 200, await setProgramStatus(ctx, req.params.id, 'closed'));
  },
  listEligibleHouseholds: async (ctx, req, res) => {
    const areas = req.query.area_code as string[] | undefined;
    if (wantsCsv(req)) return sendEligibleCsv(ctx, req.params.id, areas, res);
    const page = await listEligible(ctx, req.params.id, { limit: req.query.limit as number, cursor: req.query.cursor as string | undefined, areas });
    res.json({ items: page.households, next_cursor: page.next ?? null });
  },
  getHouseholdEligibility: async (ctx, req, res) => {
    res.json({ items: await householdEligibility(ctx, req.params.id) });
  },
};
