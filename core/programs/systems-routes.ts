// Handlers of a program's management systems (openapi/hub/program-notify.yaml).
import type { Handlers } from '../server/handlers.js';
import { addProgramSystem, listProgramSystems, removeProgramSystem } from './systems.js';

export const programSystemRoutes: Handlers = {
  listProgramSystems: async (ctx, req, res) => {
    res.json({ items: await listProgramSystems(ctx.db, req.params.id) });
  },
  addProgramSystem: async (ctx, req, res) => {
    const { system, created } = await addProgramSystem(ctx, req.params.id, req.params.clientId);
    res.status(created ? 201 : 200).json(system);
  },
  removeProgramSystem: async (ctx, req, res) => {
    await removeProgramSystem(ctx, req.params.id, req.params.clientId);
    res.status(204).end();
  },
};
