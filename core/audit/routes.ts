// Audit handlers by operationId: the log, its verification, and a person's access log.
import type { Handlers } from '../server/handlers.js';
import { listAuditEntries, personAccessLog, verifyAuditLog, type AuditQuery } from './service.js';

export const auditRoutes: Handlers = {
  listAuditEntries: async (ctx, req, res) => {
    res.json(await listAuditEntries(ctx, req.query as unknown as AuditQuery));
  },
  verifyAuditChain: async (ctx, _req, res) => {
    res.json(await verifyAuditLog(ctx));
  },
  getPersonAccessLog: async (ctx, req, res) => {
    res.json(await personAccessLog(ctx, req.params.id, req.query as { limit: number; cursor?: string }));
  },
};
