// A small registry for the report tests, made through the API: the country AM (regions AM-R1, AM-R2, two districts
// each) with households in every district (one district small enough to be suppressed), a deregistered household and
// a deceased member; and the reference figures computed here from the registry's own list and read APIs.
import type { TestHub } from '../../helpers/test-hub.js';
import { aHousehold } from '../../helpers/registry-data.js';

export type Headers = Record<string, string>;

/** Households per district and the channel they come through. */
export const PLAN: { area: string; households: number; channel: string }[] = [
  { area: 'AM-R1-D1', households: 6, channel: 'online' },
  { area: 'AM-R1-D2', households: 6, channel: 'mobile' },
  { area: 'AM-R2-D1', households: 2, channel: 'in_person' },
  { area: 'AM-R2-D2', households: 7, channel: 'mobile' },
];

export async function createCountry(t: TestHub, admin: Headers): Promise<void> {
  const post = async (body: Record<string, string>) => expect((await t.post('/api/v1/admin-areas', body, { headers: admin })).status).toBe(201);
  await post({ code: 'AM', name: 'Amaru' });
  for (const region of ['AM-R1', 'AM-R2']) {
    await post({ code: region, name: `Region ${region}`, parent_code: 'AM' });
    for (const d of ['D1', 'D2']) await post({ code: `${region}-${d}`, name: `District ${region}-${d}`, parent_code: region });
  }
}

/** Registers PLAN; deregisters one household of AM-R1-D2 and records the death of a daughter in AM-R1-D1. */
export async function registerCountry(t: TestHub, officer: Headers): Promise<void> {
  const byArea = new Map<string, { id: string; version: number; members: { person_id: string }[] }[]>();
  for (const { area, households, channel } of PLAN) {
    for (let i = 0; i < households; i++) {
      const res = await t.post('/api/v1/households', { ...aHousehold(area), channel }, { headers: officer });
      expect(res.status).toBe(201);
      byArea.set(area, [...(byArea.get(area) ?? []), res.body]);
    }
  }
  const leaving = byArea.get('AM-R1-D2')![0];
  expect((await t.post(`/api/v1/households/${leaving.id}/deregister`, { reason: 'moved_abroad' }, { headers: officer, ifMatch: leaving.version })).status).toBe(200);
  const daughter = byArea.get('AM-R1-D1')![0].members[2].person_id;
  const person = (await t.get(`/api/v1/persons/${daughter}`, { headers: officer })).body;
  expect((await t.patch(`/api/v1/persons/${daughter}`, { death_date: '2025-01-10' }, { headers: officer, ifMatch: person.version })).status).toBe(200);
}

export interface RefPerson { id: string; sex: string | null; birth_date: string | null; disabilities: string[] }
export interface RefHousehold { id: string; area_code: string; active: boolean; channel: string; living: RefPerson[]; deceased: number }

/** Every household the caller can list, with its living current members, read through the registry API. */
export async function registrySnapshot(t: TestHub, headers: Headers): Promise<RefHousehold[]> {
  const out: RefHousehold[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: { items: { id: string }[]; next_cursor: string | null } } =
      await t.get(`/api/v1/households?limit=500${cursor ? `&cursor=${cursor}` : ''}`, { headers });
    for (const summary of page.body.items) {
      const h = (await t.get(`/api/v1/households/${summary.id}`, { headers })).body;
      const members = h.members.map((m: { person: Record<string, unknown> }) => m.person);
      out.push({
        id: h.id,
        area_code: h.area_code,
        active: h.deregistered_at === null,
        channel: h.channel,
        living: members.filter((p: { death_date?: string | null }) => !p.death_date).map((p: Record<string, unknown>) => ({
          id: p.id as string, sex: (p.sex as string) ?? null, birth_date: (p.birth_date as string) ?? null, disabilities: (p.disabilities as string[]) ?? [],
        })),
        deceased: members.filter((p: { death_date?: string | null }) => !!p.death_date).length,
      });
    }
    cursor = page.body.next_cursor;
  } while (cursor);
  return out;
}

/** The reference coverage of one area subtree (area codes are prefixes of their descendants' here). */
export function referenceCoverage(households: RefHousehold[], area: string) {
  const inArea = households.filter((h) => h.area_code === area || h.area_code.startsWith(`${area}-`));
  const active = inArea.filter((h) => h.active);
  return {
    households: active.length,
    persons: active.reduce((n, h) => n + h.living.length, 0),
    deregistered_households: inArea.length - active.length,
    deceased_persons: active.reduce((n, h) => n + h.deceased, 0),
  };
}

/** Age in completed years on `today` (UTC), and its 5-year band as the report labels it. */
export function ageBand(birthDate: string | null, today = new Date()): string {
  if (!birthDate) return 'unknown';
  const [y, m, d] = birthDate.split('-').map(Number);
  let age = today.getUTCFullYear() - y;
  if (today.getUTCMonth() + 1 < m || (today.getUTCMonth() + 1 === m && today.getUTCDate() < d)) age -= 1;
  const band = Math.min(Math.floor(Math.max(age, 0) / 5), 20);
  return band === 20 ? '100+' : `${band * 5}-${band * 5 + 4}`;
}

/** Parses the reports' CSV (RFC 4180, no embedded line breaks in these tests). */
export function parseCsv(text: string): string[][] {
  return text.trimEnd().split('\r\n').map((line) => {
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') (cell += '"'), i++;
        else if (ch === '"') quoted = false;
        else cell += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') cells.push(cell), (cell = '');
      else cell += ch;
    }
    cells.push(cell);
    return cells;
  });
}
