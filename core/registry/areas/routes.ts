// Handlers of openapi/hub/areas-geo.yaml: which area a point is in, and area boundaries as GeoJSON. Boundaries are
// public geography, not personal data: nothing here is audited per read.
import type { Response } from 'express';
import { HubError } from '../../server/errors.js';
import type { ApiRequest, Handlers } from '../../server/handlers.js';
import { boundaryFeature, boundaryFeatures, locatePoint } from './boundaries.js';

/** GeoJSON's own media type when the caller asks for it, JSON otherwise (both carry the same document). */
function sendGeoJson(req: ApiRequest, res: Response, body: unknown): void {
  res.type(req.header('accept')?.includes('application/geo+json') ? 'application/geo+json' : 'application/json').send(JSON.stringify(body));
}

export const areaGeoRoutes: Handlers = {
  locateAdminArea: async (ctx, req, res) => {
    const latitude = req.query.lat as number;
    const longitude = req.query.lon as number;
    const area = await locatePoint(ctx.db, latitude, longitude);
    if (!area) throw new HubError(404, 'area.not_located', 'No admin area boundary contains this point (or no boundaries are loaded: srhub areas import).');
    res.json({ latitude, longitude, area });
  },
  getAdminAreaBoundary: async (ctx, req, res) => {
    const feature = await boundaryFeature(ctx.db, req.params.code);
    if (!feature) throw new HubError(404, 'area_boundary.not_found', `The area ${req.params.code} does not exist or has no boundary.`);
    sendGeoJson(req, res, feature);
  },
  listAdminAreaBoundaries: async (ctx, req, res) => {
    const parentCode = req.query.parent_code as string | undefined;
    const level = req.query.level as number | undefined;
    sendGeoJson(req, res, { type: 'FeatureCollection', features: await boundaryFeatures(ctx.db, { parentCode, level }) });
  },
};
