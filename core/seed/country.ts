// The fictional Republic of Amaru: the admin areas the demo and benchmark data live in.
import type { Db } from '../db/index.js';
import { createArea, listAreas } from '../registry/areas/service.js';
import { HubError } from '../server/errors.js';
import type { Weighted } from './random.js';
import type { TraditionName } from './traditions.js';

export interface Box {
  south: number;
  north: number;
  west: number;
  east: number;
}

/** Where a generated household can live; the generator needs nothing else about the country. */
export interface District {
  code: string;
  name: string;
  /** Relative population: a district with twice the weight gets twice the households. */
  weight: number;
  box: Box;
  /** The naming traditions of the people living there, by share. */
  traditions: readonly Weighted<TraditionName>[];
  places: readonly string[];
  streets: readonly string[];
}

interface Region {
  code: string;
  name: string;
  box: Box;
  traditions: readonly Weighted<TraditionName>[];
  places: readonly string[];
  streets: readonly string[];
  /** District names and population weights (thousands of people). */
  districts: readonly [string, number][];
}

export interface Country {
  code: string;
  name: string;
  regions: readonly Region[];
}

const w = (value: TraditionName, weight: number): Weighted<TraditionName> => ({ value, weight });

export const AMARU: Country = {
  code: 'AM',
  name: 'Republic of Amaru',
  regions: [
    {
      code: 'AM-R1',
      name: 'Coast',
      box: { south: -7.5, north: -4.5, west: 38.5, east: 39.8 },
      traditions: [w('east_african', 60), w('arabic', 25), w('south_asian', 15)],
      places: ['Mji Mkongwe', 'Forodhani', 'Kilindoni', 'Ras Kaya', 'Makunduchi', 'Chumbe'],
      streets: ['Bandari Road', 'Uhuru Street', 'Sokoni Lane', 'Msikiti Street', 'Mnazi Avenue'],
      districts: [['Bandari', 420], ['Mwambao', 180], ['Kilindoni', 120], ['Ras Kaya', 90]],
    },
    {
      code: 'AM-R2',
      name: 'Capital',
      box: { south: -6.3, north: -5.7, west: 35.5, east: 36.2 },
      traditions: [w('east_african', 45), w('south_asian', 20), w('west_african', 15), w('arabic', 10), w('hispanic', 10)],
      places: ['Amaru City', 'Kijitonyama', 'Lumbe', 'Sokoni', 'Msasani', 'Nyumbani Estate'],
      streets: ['Independence Avenue', 'Umoja Road', 'Jamhuri Street', 'Station Road', 'Market Street', 'Ring Road'],
      districts: [['Amaru Central', 650], ['Amaru East', 480], ['Lumbe', 310], ['Sokoni', 260]],
    },
    {
      code: 'AM-R3',
      name: 'Northern Savanna',
      box: { south: -3.5, north: -1.0, west: 33.0, east: 37.5 },
      traditions: [w('west_african', 55), w('arabic', 35), w('east_african', 10)],
      places: ['Tombou', 'Kidira', 'Bir Hassan', 'Dar Salam', 'Ndioum', 'Sahel Ouest'],
      streets: ['Route du Marché', 'Rue de la Mosquée', 'Avenue de la Paix', 'Rue des Puits', 'Route Nationale 2'],
      districts: [['Tombou', 210], ['Kidira', 140], ['Bir Hassan', 95]],
    },
    {
      code: 'AM-R4',
      name: 'Highlands',
      box: { south: -9.5, north: -6.5, west: 33.0, east: 36.0 },
      traditions: [w('east_african', 80), w('south_asian', 10), w('hispanic', 10)],
      places: ['Mlima', 'Kiboko', 'Nyanja', 'Rukwe', 'Milimani', 'Kisima'],
      streets: ['Mission Road', 'Tea Estate Road', 'Shule Street', 'Hospital Road', 'Kanisa Lane'],
      districts: [['Mlima', 230], ['Kiboko', 170], ['Nyanja', 150], ['Rukwe', 80]],
    },
    {
      code: 'AM-R5',
      name: 'Western Lakes',
      box: { south: -7.0, north: -3.5, west: 30.0, east: 32.8 },
      traditions: [w('hispanic', 45), w('east_african', 35), w('west_african', 20)],
      places: ['San Isidro', 'Laguna Verde', 'Puerto Amaru', 'Ziwa', 'Santa Lucía', 'Bahari Ndogo'],
      streets: ['Calle Real', 'Avenida del Lago', 'Calle de la Iglesia', 'Camino Viejo', 'Lake Road'],
      districts: [['San Isidro', 190], ['Laguna Verde', 110], ['Ziwa', 75]],
    },
  ],
};

/** The districts (where households are placed), each with a slice of its region's box. */
export function districtsOf(country: Country = AMARU): District[] {
  return country.regions.flatMap((region) =>
    region.districts.map(([name, weight], i) => {
      const width = (region.box.east - region.box.west) / region.districts.length;
      return {
        code: `${region.code}-D${i + 1}`,
        name,
        weight,
        box: { ...region.box, west: region.box.west + i * width, east: region.box.west + (i + 1) * width },
        traditions: region.traditions,
        places: region.places,
        streets: region.streets,
      };
    }),
  );
}

/** The areas of the country, parents before children. */
export function areasOf(country: Country = AMARU): { code: string; name: string; parent_code?: string }[] {
  return [
    { code: country.code, name: country.name },
    ...country.regions.flatMap((region) => [
      { code: region.code, name: region.name, parent_code: country.code },
      ...region.districts.map(([name], i) => ({ code: `${region.code}-D${i + 1}`, name, parent_code: region.code })),
    ]),
  ];
}

/** Creates the areas that are missing; returns how many it created. Safe to run again and concurrently. */
export async function createCountryAreas(db: Db, country: Country = AMARU): Promise<number> {
  const existing = new Set((await listAreas(db)).map((a) => a.code));
  let created = 0;
  for (const area of areasOf(country)) {
    if (existing.has(area.code)) continue;
    try {
      await createArea(db, area);
      created++;
    } catch (err) {
      // another process created it between the list and now
      if (!(err instanceof HubError && err.code === 'area.exists')) throw err;
    }
  }
  return created;
}
