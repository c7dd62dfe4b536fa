// Simulation handlers by operationId (scope reports.read: policymakers run and read them).
import type { Handlers } from '../server/handlers.js';
import { programPolicyInForce } from './baseline.js';
import { compareSimulations, getSimulation, listSimulations, queueSimulation, simulationChanges } from './service.js';

export const simulationRoutes: Handlers = {
  runSimulation: async (ctx, req, res) => {
    // accepted and queued: the caller polls the Location until the status is done (or failed)
    const simulation = await queueSimulation(ctx, req.body);
    res.status(202).location(`/api/v1/simulations/${simulation.id}`).json(simulation);
  },
  listSimulations: async (ctx, req, res) => {
    res.json(await listSimulations(ctx, req.query as { limit: number; cursor?: string; program_id?: string }));
  },
  getSimulation: async (ctx, req, res) => {
    res.json(await getSimulation(ctx.db, ctx, req.params.id));
  },
  listSimulationChanges: async (ctx, req, res) => {
    res.json(await simulationChanges(ctx, req.params.id, req.query as { change?: string; limit: number; cursor?: string }));
  },
  compareSimulations: async (ctx, req, res) => {
    res.json(await compareSimulations(ctx, req.query.a as string, req.query.b as string));
  },
  getProgramPolicy: async (ctx, req, res) => {
    res.json(await programPolicyInForce(ctx.db, req.params.id));
  },
};
