// Handlers of openapi/hub/verification.yaml: a person's verification records, a household's program participation.
import { getHouseholdPrograms } from '../participation/service.js';
import type { Handlers } from '../server/handlers.js';
import { getPersonVerifications } from './service.js';

export const verificationRoutes: Handlers = {
  listPersonVerifications: async (ctx, req, res) => {
    res.json(await getPersonVerifications(ctx, req.params.id, { limit: req.query.limit as number, cursor: req.query.cursor as string | undefined }));
  },
  listHouseholdPrograms: async (ctx, req, res) => {
    res.json(await getHouseholdPrograms(ctx, req.params.id));
  },
};
