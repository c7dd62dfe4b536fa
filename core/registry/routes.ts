// Registry handlers by operationId: input is already validated; they call the services and shape the answers.
import type { Response } from 'express';
import { ifMatchRequired, invalid } from '../server/errors.js';
import { ifMatchVersion, type ApiRequest, type Handlers } from '../server/handlers.js';
import { idempotent } from '../server/idempotency.js';
import { auditEntries } from '../audit/entry.js';
import { createArea, listAreas } from './areas/service.js';
import { registerHouseholds } from './households/register.js';
import {
  addMember,
  createHousehold,
  deregisterHousehold,
  endMembership,
  householdHistory,
  getHousehold,
  listHouseholds,
  registrationError,
  updateHousehold,
} from './households/service.js';
import { createPerson, getPerson, listPersons, personHistory, updatePerson, type PersonQuery } from './persons/service.js';

function sendVersioned(res: Response, status: number, record: { version: number }, replayed = false): void {
  if (replayed) res.set('Idempotent-Replayed', 'true');
  res.status(status).set('ETag', `"${record.version}"`).json(record);
}

function requiredVersion(req: ApiRequest): number {
  const version = ifMatchVersion(req);
  if (version === undefined) throw ifMatchRequired();
  if (version === 'invalid') throw invalid([{ field: 'header.if-match', message: 'must be the ETag of a version, e.g. "3"' }]);
  return version;
}

export const registryRoutes: Handlers = {
  listAdminAreas: async (ctx, req, res) => {
    res.json({ items: await listAreas(ctx.db, req.query.parent_code as string | undefined) });
  },
  createAdminArea: async (ctx, req, res) => {
    const area = await ctx.db.transaction(async (tx) => {
      const created = await createArea(tx, req.body);
      await ctx.audit.recordIn(tx, auditEntries(ctx, [{ action: 'admin', entity: 'admin_area', entityId: created.code, fields: Object.keys(req.body) }]));
      return created;
    });
    res.status(201).json(area);
  },

  createPerson: async (ctx, req, res) => {
    const result = await idempotent(ctx, req.operationId, req.header('idempotency-key'), req.body, async (tx) => ({
      status: 201,
      body: await createPerson(tx, ctx, req.body),
    }));
    sendVersioned(res, result.status, result.body, result.replayed);
  },
  listPersons: async (ctx, req, res) => {
    res.json(await listPersons(ctx, req.query as unknown as PersonQuery));
  },
  getPerson: async (ctx, req, res) => {
    sendVersioned(res, 200, await getPerson(ctx, req.params.id));
  },
  updatePerson: async (ctx, req, res) => {
    sendVersioned(res, 200, await updatePerson(ctx, req.params.id, requiredVersion(req), req.body));
  },
  getPersonHistory: async (ctx, req, res) => {
    res.json({ items: await personHistory(ctx, req.params.id) });
  },

  createHousehold: async (ctx, req, res) => {
    const result = await idempotent(ctx, req.operationId, req.header('idempotency-key'), req.body, async (tx) => ({
      status: 201,
      body: await createHousehold(tx, ctx, req.body),
    }));
    sendVersioned(res, result.status, result.body, result.replayed);
  },
  listHouseholds: async (ctx, req, res) => {
    res.json(await listHouseholds(ctx, req.query as { area_code?: string; limit: number; cursor?: string }));
  },
  bulkCreateHouseholds: async (ctx, req, res) => {
    const skipInvalid = req.body.on_error === 'skip_invalid';
    const result = await idempotent(ctx, req.operationId, req.header('idempotency-key'), req.body, async (tx) => {
      const registration = await registerHouseholds(tx, ctx, req.body.households, {
        defaultChannel: 'bulk_import',
        at: (i) => `body.households[${i}]`,
        skipInvalid,
      });
      const { created, errors } = registration;
      if (errors.length && !skipInvalid) throw registrationError(registration);
      const rejected = new Set(errors.map((e) => e.index)).size;
      return { status: 200, body: { created: created.length, rejected, households: created, errors } };
    });
    if (result.replayed) res.set('Idempotent-Replayed', 'true');
    res.status(result.status).json(result.body);
  },
  getHousehold: async (ctx, req, res) => {
    sendVersioned(res, 200, await getHousehold(ctx, req.params.id));
  },
  updateHousehold: async (ctx, req, res) => {
    sendVersioned(res, 200, await updateHousehold(ctx, req.params.id, requiredVersion(req), req.body));
  },
  getHouseholdHistory: async (ctx, req, res) => {
    res.json({ items: await householdHistory(ctx, req.params.id) });
  },
  addHouseholdMember: async (ctx, req, res) => {
    sendVersioned(res, 200, await addMember(ctx, req.params.id, requiredVersion(req), req.body));
  },
  deregisterHousehold: async (ctx, req, res) => {
    sendVersioned(res, 200, await deregisterHousehold(ctx, req.params.id, requiredVersion(req), req.body));
  },
  endHouseholdMembership: async (ctx, req, res) => {
    const household = await endMembership(ctx, req.params.id, req.params.personId, requiredVersion(req), req.query.end_date as string | undefined);
    sendVersioned(res, 200, household);
  },
};
