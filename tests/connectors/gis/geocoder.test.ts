// What the GIS connector sends and which events it acts on, without a server.
import { addressForLookup } from '../../../connectors/gis/geocoder.js';
import { householdIdsOf } from '../../../connectors/gis/index.js';
import { buildGazetteer, reverseGazetteer, searchGazetteer } from '../../../connectors/gis/gazetteer.js';

describe('addressForLookup', () => {
  it('drops house, plot and flat numbers unless told to send them', () => {
    expect(addressForLookup('Plot 12, Uhuru Street, Forodhani', false)).toBe('Uhuru Street, Forodhani');
    expect(addressForLookup('House 7B, Flat 3, Rue des Puits,  Kidira', false)).toBe('Rue des Puits, Kidira');
    expect(addressForLookup('12 Market Road, No. 4, Lumbe', false)).toBe('Market Road, Lumbe');
    expect(addressForLookup('Route Nationale 2, Tombou', false)).toBe('Route Nationale, Tombou');
    expect(addressForLookup('Plot 12, Uhuru Street', true)).toBe('Plot 12, Uhuru Street');
    expect(addressForLookup('Plot 12', false)).toBe('');
  });
});

describe('householdIdsOf', () => {
  const event = (topic: string, id: string, fields?: string[]) => ({ ...(fields ? { fields } : {}), event: { topic, aggregateType: 'household', aggregateId: id } });
  it('takes registrations and changes of address, location or area, once per household', () => {
    expect(
      householdIdsOf([
        event('household.registered', 'h1'),
        event('household.updated', 'h2', ['address']),
        event('household.updated', 'h3', ['attributes']),
        event('household.updated', 'h1', ['location', 'area_code']),
      ]),
    ).toEqual(['h1', 'h2']);
    expect(householdIdsOf({ household_ids: ['h9', 'h9'] })).toEqual(['h9']);
    expect(householdIdsOf(undefined)).toEqual([]);
  });
});

describe('the gazetteer', () => {
  const g = buildGazetteer();
  it('finds the most specific place named and stays inside its district', () => {
    const [hit] = searchGazetteer(g, 'Uhuru Street, Forodhani, Coast');
    expect(hit.entry).toMatchObject({ name: 'Forodhani', kind: 'place' });
    expect(hit.street).toBe('Uhuru Street');
    const { box } = hit.entry;
    expect(hit.latitude).toBeGreaterThan(box.south);
    expect(hit.latitude).toBeLessThan(box.north);
    expect(searchGazetteer(g, 'Atlantis')).toEqual([]);
    expect(reverseGazetteer(g, hit.latitude, hit.longitude)?.name).toBe('Forodhani');
    expect(reverseGazetteer(g, 50, 50)).toBeUndefined();
  });
});
