// The GIS connector (enrich): households get coordinates and their admin area. A registration check ('geocoding')
// places the case's household (GPS point, else its address geocoded with a Nominatim-compatible search API) in the
// area hierarchy and proposes the result as a patch; registered households without a location are placed when they
// are registered or their address changes. See docs/connectors.md and README (GIS).
import { auditEntries } from '../../core/audit/entry.js';
import { readHousehold, updateHousehold } from '../../core/registry/households/service.js';
import type { CheckResult, CheckSubject } from '../../core/workflow/checks.js';
import type { Connector, HubOperations, State } from '../framework/types.js';
import { configurationOf, DEFAULTS } from './geocoder.js';
import { placeHousehold, type Placement } from './place.js';
import { startGeocoderSimulator } from './simulator.js';

const CHECK = 'geocoding';
// household.updated events that can change where a household is
const PLACE_FIELDS = new Set(['address', 'location', 'area_code']);

/** The job of the 'geocoding' check: the case's household placed, the result as a CheckResult with a patch. */
function geocodeJob(hub: HubOperations) {
  return [
    async (state: State) => {
      const config = configurationOf(state.configuration);
      const subject = state.data as CheckSubject | undefined;
      if (!subject?.household?.area_code) {
        hub.result({ check: CHECK, outcome: 'skipped', reason: 'no_household' } satisfies CheckResult);
        return state;
      }
      const placement = await placeHousehold(hub, hub.ctx.db, hub.ctx.cache, config, subject.household, { fillAddress: true });
      await auditSent(hub, subject.caseId, placement);
      hub.count(`placement.${placement.kind}`);
      hub.result(checkResult(placement));
      return state;
    },
  ];
}

/** The registration case's address or point went to the geocoder (the registrant applied: there are no persons yet). */
async function auditSent(hub: HubOperations, caseId: string, placement: Placement): Promise<void> {
  if (!placement.sent.length) return;
  await hub.ctx.audit.recordReads(
    auditEntries(hub.ctx, [{ action: 'read', entity: 'registration_case', entityId: caseId, fields: placement.sent, details: { recipient: `connector:${hub.connectorId}`, run: hub.runId } }]),
  );
}

export function checkResult(p: Placement): CheckResult {
  if (p.kind === 'placed') {
    const patch = Object.keys(p.patch).length ? { patch: p.patch } : {};
    return { check: CHECK, outcome: 'passed', details: { source: p.source, area_code: p.areaCode, precision: p.precision }, ...patch };
  }
  if (p.kind === 'mismatch') {
    return {
      check: CHECK,
      outcome: 'needs_review',
      reason: 'area_mismatch',
      details: { source: p.source, declared_area: p.declared, located_area: p.located },
    };
  }
  // GPS from the field outside every boundary is a capture error worth a look; an address not found is not
  if (p.reason === 'outside_boundaries' && p.source === 'gps') return { check: CHECK, outcome: 'needs_review', reason: 'location_outside_areas' };
  return { check: CHECK, outcome: 'skipped', reason: p.reason };
}

/** The household ids of the trigger: outbox events (only changes that move a household), or ids on demand. */
export function householdIdsOf(data: unknown): string[] {
  const items = Array.isArray(data) ? data : (data as { household_ids?: unknown[] } | undefined)?.household_ids ?? [];
  const ids = items.flatMap((item): string[] => {
    if (typeof item === 'string') return [item];
    const e = item as { fields?: string[]; event?: { topic?: string; aggregateType?: string; aggregateId?: string } };
    if (e?.event?.aggregateType !== 'household' || !e.event.aggregateId) return [];
    if (e.event.topic === 'household.updated' && !(e.fields ?? []).some((f) => PLACE_FIELDS.has(f))) return [];
    return [e.event.aggregateId];
  });
  return [...new Set(ids)];
}

/** Reads made before a concurrent change: the event-triggered and the on-demand run may place the same household. */
const STALE_READ_ATTEMPTS = 3;

/**
 * Places a registered household and records what was found; a no-op when it is placed already. When another run
 * changed the household between the read and the write, it is read again and placed from what it is now.
 */
async function enrichHousehold(hub: HubOperations, state: State, householdId: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await enrichOnce(hub, state, householdId);
    } catch (err) {
      if ((err as { code?: string }).code !== 'household.version_mismatch' || attempt >= STALE_READ_ATTEMPTS) throw err;
      hub.count('stale_read.retried');
    }
  }
}

async function enrichOnce(hub: HubOperations, state: State, householdId: string): Promise<void> {
  const config = configurationOf(state.configuration);
  const household = await readHousehold(hub.ctx.db, hub.ctx, householdId).catch((err) => {
    if ((err as { code?: string }).code === 'household.not_found') return undefined;
    throw err;
  });
  if (!household || household.deregistered_at) {
    hub.count('skipped.gone');
    return;
  }
  const lookup = !household.location ? Boolean(household.address?.trim()) : !household.address?.trim();
  if (lookup && household.members.length) {
    // the address (or the point) goes out only if every member's consent or an agreement allows it for the purpose
    const allowed = await hub.disclose({ personIds: household.members.map((m) => m.person_id), purpose: config.purpose, categories: ['address'] });
    if (allowed.length < household.members.length) {
      hub.count('skipped.consent');
      hub.log('household not geocoded: disclosure refused', { household_id: householdId });
      return;
    }
  }
  const placement = await placeHousehold(hub, hub.ctx.db, hub.ctx.cache, config, household, { fillAddress: true });
  hub.count(`placement.${placement.kind}`);
  if (placement.kind === 'mismatch') {
    hub.log('household location is outside its registered area; left for a person to settle', { household_id: householdId, declared: placement.declared, located: placement.located });
    return;
  }
  if (placement.kind !== 'placed' || Object.keys(placement.patch).length === 0) return;
  await hub.transaction((tx) => updateHousehold({ ...hub.ctx, db: tx }, householdId, household.version, { ...placement.patch, channel: 'connector' }));
  hub.count('households.updated');
}

const connector: Connector = {
  manifest: {
    id: 'gis',
    name: 'GIS: geocoding and admin areas',
    version: '1.0.0',
    kinds: ['enrich'],
    description:
      'Geocodes household addresses with a Nominatim-compatible API (/search, /reverse), places points in the admin-area ' +
      'boundaries loaded with `srhub areas import`, and gives households their area code and coordinates.',
    configSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['baseUrl'],
      properties: {
        baseUrl: { type: 'string', pattern: '^https?://', description: 'The geocoder, e.g. https://nominatim.example.org' },
        userAgent: { type: 'string', minLength: 1, default: DEFAULTS.userAgent },
        email: { type: 'string', description: 'Contact address Nominatim asks heavy users for' },
        countryCodes: { type: 'string', pattern: '^[a-z]{2}(,[a-z]{2})*$', description: 'Limit searches to these countries' },
        language: { type: 'string', default: DEFAULTS.language },
        cacheTtlSeconds: { type: 'integer', minimum: 0, maximum: 31_536_000, default: DEFAULTS.cacheTtlSeconds },
        sendHouseNumbers: { type: 'boolean', default: DEFAULTS.sendHouseNumbers },
        reverseDecimals: { type: 'integer', minimum: 2, maximum: 7, default: DEFAULTS.reverseDecimals },
        purpose: { type: 'string', minLength: 1, default: DEFAULTS.purpose, description: 'Consent purpose for geocoding registered households' },
      },
    },
    secretKeys: [],
    jobs: {
      geocode: {
        description: "Registration check 'geocoding': the case's household placed in the area hierarchy; the result proposes location and area_code.",
        triggers: {},
        timeoutMs: 30_000,
        personalData: true,
      },
      enrich: {
        description: 'Places registered households whose address or location changed (or those named on demand: {household_ids}).',
        triggers: { events: ['household.registered', 'household.updated'], onDemand: true },
        timeoutMs: 10 * 60_000,
        personalData: true,
      },
    },
    checks: { [CHECK]: 'geocode' },
    concurrency: 4,
  },
  jobs: {
    geocode: geocodeJob,
    enrich: (hub) => [hub.eachItem((state) => householdIdsOf(state.data), (id: string, state) => enrichHousehold(hub, state, id))],
  },
  simulator: {
    start: (opts) => startGeocoderSimulator(opts),
    demoConfiguration: (url) => ({ baseUrl: url, countryCodes: 'am' }),
  },
};

export default connector;
