// The fictional gazetteer of the demo country (core/seed/country.ts AMARU) the geocoder simulator answers from:
// every district, region and the country by name, and each region's places spread over its districts (a place
// lies in one district), each at a fixed point inside its district's box. Streets move the point a little, so
// two addresses in one place get nearby but different coordinates. Deterministic: the same input, the same point.
import { createHash } from 'node:crypto';
import { AMARU, districtsOf, type Box, type Country } from '../../core/seed/country.js';

export type PlaceKind = 'country' | 'region' | 'district' | 'place';

export interface GazetteerEntry {
  id: number;
  name: string;
  kind: PlaceKind;
  /** The admin area the entry lies in (its own code for areas). */
  areaCode: string;
  latitude: number;
  longitude: number;
  box: Box;
  /** For places and districts: the names up the hierarchy, for display_name and the address of a reverse answer. */
  district?: string;
  region?: string;
  country: string;
}

export interface Gazetteer {
  entries: GazetteerEntry[];
  streets: Map<string, string[]>; // region code -> its streets
  countryCode: string;
}

const centre = (box: Box) => ({ latitude: (box.south + box.north) / 2, longitude: (box.west + box.east) / 2 });
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** A number in [0, 1) from a text: where in a box a place lies, how far a street moves it. */
export function fraction(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 2 ** 32;
}

export function buildGazetteer(country: Country = AMARU): Gazetteer {
  const entries: GazetteerEntry[] = [];
  const add = (e: Omit<GazetteerEntry, 'id'>) => entries.push({ ...e, id: entries.length + 1, latitude: round6(e.latitude), longitude: round6(e.longitude) });
  const districts = districtsOf(country);
  const countryBox = {
    south: Math.min(...country.regions.map((r) => r.box.south)),
    north: Math.max(...country.regions.map((r) => r.box.north)),
    west: Math.min(...country.regions.map((r) => r.box.west)),
    east: Math.max(...country.regions.map((r) => r.box.east)),
  };
  // the country's point: the capital region's centre (the box's centre may lie outside every region)
  add({ name: country.name, kind: 'country', areaCode: country.code, ...centre(country.regions[1]?.box ?? countryBox), box: countryBox, country: country.name });
  const streets = new Map<string, string[]>();
  for (const region of country.regions) {
    streets.set(region.code, [...region.streets]);
    add({ name: region.name, kind: 'region', areaCode: region.code, ...centre(region.box), box: region.box, country: country.name });
    const own = districts.filter((d) => d.code.startsWith(`${region.code}-`));
    for (const d of own) add({ name: d.name, kind: 'district', areaCode: d.code, ...centre(d.box), box: d.box, district: d.name, region: region.name, country: country.name });
    region.places.forEach((place, i) => {
      const d = own[i % own.length];
      // inside the middle 60% of the district's box, so a street's offset keeps it inside
      const latitude = d.box.south + (0.2 + 0.6 * fraction(`${place}:lat`)) * (d.box.north - d.box.south);
      const longitude = d.box.west + (0.2 + 0.6 * fraction(`${place}:lon`)) * (d.box.east - d.box.west);
      add({ name: place, kind: 'place', areaCode: d.code, latitude, longitude, box: d.box, district: d.name, region: region.name, country: country.name });
    });
  }
  return { entries, streets, countryCode: country.code.toLowerCase() };
}

/** Lower case, accents and punctuation gone: how names are compared. */
export function normalise(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

const RANK: Record<PlaceKind, number> = { place: 0, district: 1, region: 2, country: 3 };

export interface SearchHit {
  entry: GazetteerEntry;
  latitude: number;
  longitude: number;
  street?: string;
}

/**
 * The entries a free-text query names, most specific first: a place beats a district, a district a region. A street
 * of the entry's region named in the query moves the point (up to 10% of the box) so addresses differ.
 */
export function searchGazetteer(g: Gazetteer, query: string, limit = 10): SearchHit[] {
  const q = ` ${normalise(query)} `;
  if (!q.trim()) return [];
  const named = g.entries.filter((e) => q.includes(` ${normalise(e.name)} `));
  named.sort((a, b) => RANK[a.kind] - RANK[b.kind] || b.name.length - a.name.length || a.id - b.id);
  return named.slice(0, limit).map((entry) => {
    const regionCode = entry.areaCode.split('-').slice(0, 2).join('-');
    const street = entry.kind === 'place' ? g.streets.get(regionCode)?.find((s) => q.includes(` ${normalise(s)} `)) : undefined;
    if (!street) return { entry, latitude: entry.latitude, longitude: entry.longitude };
    const dLat = (fraction(`${street}:${entry.name}:lat`) - 0.5) * 0.2 * (entry.box.north - entry.box.south);
    const dLon = (fraction(`${street}:${entry.name}:lon`) - 0.5) * 0.2 * (entry.box.east - entry.box.west);
    return { entry, street, latitude: round6(entry.latitude + dLat), longitude: round6(entry.longitude + dLon) };
  });
}

/** The nearest place in the district whose box holds the point; undefined outside the country. */
export function reverseGazetteer(g: Gazetteer, latitude: number, longitude: number): GazetteerEntry | undefined {
  const inBox = (b: Box) => latitude >= b.south && latitude <= b.north && longitude >= b.west && longitude <= b.east;
  const district = g.entries.find((e) => e.kind === 'district' && inBox(e.box));
  if (!district) return undefined;
  const places = g.entries.filter((e) => e.kind === 'place' && e.areaCode === district.areaCode);
  if (!places.length) return district;
  const distance = (e: GazetteerEntry) => (e.latitude - latitude) ** 2 + (e.longitude - longitude) ** 2;
  return places.reduce((best, e) => (distance(e) < distance(best) ? e : best));
}
