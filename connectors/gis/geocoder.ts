// The hub's side of a Nominatim-compatible geocoder: search (address -> point) and reverse (point -> address),
// through the connector's http() (time limits, retries, breaker) and a cache shared by the hub instances. Cache keys
// are hashes: an address or a household's coordinates never appear in a key.
import { createHash } from 'node:crypto';
import type { Cache } from '../../core/cache/index.js';
import type { HubOperations } from '../framework/types.js';

export interface GisConfiguration {
  baseUrl: string;
  /** Nominatim's usage policy asks for an identifying User-Agent (and an e-mail for heavy use). */
  userAgent: string;
  email?: string;
  /** Limit searches to these ISO 3166-1 alpha-2 codes (comma-separated), e.g. 'am'. */
  countryCodes?: string;
  language: string;
  cacheTtlSeconds: number;
  /** Send house and plot numbers to the geocoder (default false: street and place suffice to find the area). */
  sendHouseNumbers: boolean;
  /** Decimals of the coordinates sent for a reverse lookup (4 is about 11 m). */
  reverseDecimals: number;
  /** The consent purpose under which registered households' addresses go to the geocoder. */
  purpose: string;
}

export const DEFAULTS = {
  userAgent: 'srhub-gis-connector/1.0',
  language: 'en',
  cacheTtlSeconds: 30 * 24 * 3600,
  sendHouseNumbers: false,
  reverseDecimals: 4,
  purpose: 'registration',
} as const;

// a miss is remembered for a shorter time: the gazetteer may learn the place
const MISS_TTL_SECONDS = 3600;

export function configurationOf(raw: Record<string, unknown>): GisConfiguration {
  return { ...DEFAULTS, ...(raw as Partial<GisConfiguration>), baseUrl: String(raw.baseUrl).replace(/\/+$/, '') } as GisConfiguration;
}

export interface GeocodedPoint {
  latitude: number;
  longitude: number;
  /** Nominatim's place_rank: 16 and up is a town or finer, below is a district, region or country. */
  rank: number;
}

export interface ReversedAddress {
  displayName: string;
}

/**
 * The address as it is sent: house, plot and flat numbers dropped unless configured otherwise (the area and an
 * approximate point need only the street and place), spaces tidied.
 */
export function addressForLookup(address: string, sendHouseNumbers: boolean): string {
  const tidy = (s: string) => s.replace(/\s+/g, ' ').trim();
  if (sendHouseNumbers) return tidy(address);
  return address
    .split(',')
    .map((part) =>
      tidy(
        part
          .replace(/\b(plot|house|hse|no|number|flat|apt|apartment|room|stand|erf|door|unit|block)\.?\s*#?\s*[\w/-]*\d[\w/-]*/gi, ' ')
          .replace(/(^|\s)#?\d[\w/-]*(?=\s|$)/g, ' '),
      ),
    )
    .filter(Boolean)
    .join(', ');
}

const hashed = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('base64url');

/** An answer and whether it came from the cache (nothing was sent) or from the geocoder. */
export interface Lookup<T> {
  value: T | null;
  sent: boolean;
}

export async function geocode(ops: HubOperations, cache: Cache, config: GisConfiguration, address: string): Promise<Lookup<GeocodedPoint>> {
  const query = addressForLookup(address, config.sendHouseNumbers);
  if (!query) return { value: null, sent: false };
  const key = `gis:search:${hashed(config.baseUrl, config.countryCodes ?? '', config.language, query.toLowerCase())}`;
  const cached = await cache.get(key);
  if (cached !== undefined) {
    ops.count('cache.hits');
    return { value: JSON.parse(cached) as GeocodedPoint | null, sent: false };
  }
  const params = new URLSearchParams({ q: query, format: 'jsonv2', limit: '1', 'accept-language': config.language });
  if (config.countryCodes) params.set('countrycodes', config.countryCodes);
  if (config.email) params.set('email', config.email);
  const res = await ops.http({ method: 'GET', url: `${config.baseUrl}/search?${params}`, headers: { 'user-agent': config.userAgent } });
  ops.count('geocoder.searches');
  if (res.status !== 200 || !Array.isArray(res.body)) throw new Error(`The geocoder answered a search with ${res.status} and no result list.`);
  const [best] = res.body as { lat?: string; lon?: string; place_rank?: number }[];
  const point = best ? toPoint(best.lat, best.lon, best.place_rank) : null;
  await cache.set(key, JSON.stringify(point), point ? config.cacheTtlSeconds : MISS_TTL_SECONDS);
  return { value: point, sent: true };
}

export async function reverseGeocode(ops: HubOperations, cache: Cache, config: GisConfiguration, latitude: number, longitude: number): Promise<Lookup<ReversedAddress>> {
  const lat = latitude.toFixed(config.reverseDecimals);
  const lon = longitude.toFixed(config.reverseDecimals);
  const key = `gis:reverse:${hashed(config.baseUrl, config.language, lat, lon)}`;
  const cached = await cache.get(key);
  if (cached !== undefined) {
    ops.count('cache.hits');
    return { value: JSON.parse(cached) as ReversedAddress | null, sent: false };
  }
  const params = new URLSearchParams({ lat, lon, format: 'jsonv2', 'accept-language': config.language });
  if (config.email) params.set('email', config.email);
  const res = await ops.http({ method: 'GET', url: `${config.baseUrl}/reverse?${params}`, headers: { 'user-agent': config.userAgent } });
  ops.count('geocoder.reverse');
  if (res.status !== 200 || typeof res.body !== 'object' || res.body === null) throw new Error(`The geocoder answered a reverse lookup with ${res.status}.`);
  const body = res.body as { error?: unknown; display_name?: string };
  const found = body.error || !body.display_name ? null : { displayName: body.display_name };
  await cache.set(key, JSON.stringify(found), found ? config.cacheTtlSeconds : MISS_TTL_SECONDS);
  return { value: found, sent: true };
}

function toPoint(lat: unknown, lon: unknown, rank: unknown): GeocodedPoint | null {
  const latitude = Number(lat);
  const longitude = Number(lon);
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude) || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return null;
  return { latitude, longitude, rank: typeof rank === 'number' ? rank : 30 };
}
