// Placing a household: its point (GPS from the field, else its address geocoded), the deepest admin area whose
// boundary holds the point, and how that area relates to the area the household declared. A located area inside the
// declared one refines it; one outside it is a mismatch for a person to settle, never overwritten silently.
import type { Cache } from '../../core/cache/index.js';
import type { Db } from '../../core/db/index.js';
import { locatePoint } from '../../core/registry/areas/boundaries.js';
import type { Location } from '../../core/registry/types.js';
import type { HubOperations } from '../framework/types.js';
import { geocode, reverseGeocode, type GisConfiguration } from './geocoder.js';

export interface HouseholdPlace {
  address?: string | null;
  area_code: string;
  location?: Location | null;
}

// Nominatim place_rank of a town; coarser hits (a district or region centre) place the area but are no household location
const TOWN_RANK = 16;

/** What went to the geocoder for this placement (nothing when the answer came from the cache or no lookup was needed). */
export type Sent = ('address' | 'location')[];

export type Placement = (
  | {
      kind: 'placed';
      source: 'gps' | 'geocoder';
      /** The fields to set: a geocoded location, a refined area code, an address found for GPS coordinates. */
      patch: { location?: Location; area_code?: string; address?: string };
      areaCode: string;
      precision: 'point' | 'area';
    }
  | { kind: 'mismatch'; source: 'gps' | 'geocoder'; declared: string; located: string; location: Location }
  | { kind: 'unplaced'; reason: 'nothing_to_geocode' | 'address_not_found' | 'outside_boundaries'; source?: 'gps' | 'geocoder' }
) & { sent: Sent };

export async function placeHousehold(
  ops: HubOperations,
  db: Db,
  cache: Cache,
  config: GisConfiguration,
  household: HouseholdPlace,
  options: { fillAddress: boolean },
): Promise<Placement> {
  let location: Location;
  let source: 'gps' | 'geocoder';
  let precision: 'point' | 'area' = 'point';
  const sent: Sent = [];
  if (household.location) {
    location = household.location;
    source = 'gps';
  } else if (household.address?.trim()) {
    const { value: point, sent: asked } = await geocode(ops, cache, config, household.address);
    if (asked) sent.push('address');
    if (!point) return { kind: 'unplaced', reason: 'address_not_found', source: 'geocoder', sent };
    location = { latitude: point.latitude, longitude: point.longitude };
    source = 'geocoder';
    if (point.rank < TOWN_RANK) precision = 'area';
  } else {
    return { kind: 'unplaced', reason: 'nothing_to_geocode', sent };
  }

  const located = await locatePoint(db, location.latitude, location.longitude);
  if (!located) return { kind: 'unplaced', reason: 'outside_boundaries', source, sent };
  let areaCode = household.area_code;
  if (located.path.includes(household.area_code)) areaCode = located.code;
  else if (!(await areaPath(db, household.area_code)).includes(located.code)) {
    return { kind: 'mismatch', source, declared: household.area_code, located: located.code, location, sent };
  } // else: the declared area is finer than the boundaries go; it stays

  const patch: Extract<Placement, { kind: 'placed' }>['patch'] = {};
  if (source === 'geocoder' && precision === 'point') patch.location = location;
  if (areaCode !== household.area_code) patch.area_code = areaCode;
  if (source === 'gps' && options.fillAddress && !household.address?.trim()) {
    const { value: found, sent: asked } = await reverseGeocode(ops, cache, config, location.latitude, location.longitude);
    if (asked) sent.push('location');
    if (found) patch.address = found.displayName;
  }
  return { kind: 'placed', source, patch, areaCode, precision, sent };
}

async function areaPath(db: Db, code: string): Promise<string[]> {
  const [row] = await db.query<{ path: string }>('select path from admin_area where code = $1', [code]);
  return row ? row.path.split('/').filter(Boolean) : [];
}
