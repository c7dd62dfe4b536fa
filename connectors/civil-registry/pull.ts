// The pull: deaths and births updated since each stream's cursor, page by page (`_lastUpdated=ge<cursor>`, oldest
// first, following `next` links), each record applied in its own transaction together with the cursor. The cursor
// is the last applied record's lastUpdated plus the ids already applied at exactly that instant, so records that
// share an instant across a page boundary or a crash are neither skipped nor applied twice.
import type { FhirResource } from 'fhir-kit-client';
import type { HubOperations, Operation, State } from '../framework/types.js';
import { applyRecord } from './apply.js';
import { fhirClient, searchPages } from './fhir.js';
import { BIRTH_DOC_TYPE, birthRecord, deathRecord, DEFAULT_IDENTIFIER_SYSTEMS, UnusableRecord, type CivilRecord } from './records.js';

export type Stream = 'deaths' | 'births';
export const STREAMS: Stream[] = ['deaths', 'births'];

export interface Cursor {
  since: string | null;
  /** Ids applied whose lastUpdated is exactly `since`. */
  seen: string[];
}

export interface CivilRegistryConfiguration {
  baseUrl: string;
  bearerToken?: string;
  /** Names the source system in the hub's records (default: the server's host). */
  system?: string;
  pageSize: number;
  maxRecordsPerRun: number;
  deaths: boolean;
  births: boolean;
  /** Where a first pull starts (ISO date or instant); absent: from the beginning. */
  since?: string;
  identifierSystems: Record<string, string>;
}

export const DEFAULTS = { pageSize: 50, maxRecordsPerRun: 1000, deaths: true, births: true } as const;

export function configurationOf(raw: Record<string, unknown>): CivilRegistryConfiguration {
  const config = { ...DEFAULTS, ...(raw as Partial<CivilRegistryConfiguration>) } as CivilRegistryConfiguration;
  return { ...config, identifierSystems: { ...DEFAULT_IDENTIFIER_SYSTEMS, ...config.identifierSystems }, system: config.system ?? new URL(config.baseUrl).host };
}

interface Item {
  stream: Stream;
  record: CivilRecord;
}

interface PullState extends State {
  cursors?: Partial<Record<Stream, Cursor>>;
  page?: Item[];
}

const instant = (s: string) => Date.parse(s);

/** Whether the cursor already covers the record (older, or applied at the same instant). */
export function covered(cursor: Cursor, r: { id: string; lastUpdated: string }): boolean {
  if (cursor.since === null) return false;
  const d = instant(r.lastUpdated) - instant(cursor.since);
  return d < 0 || (d === 0 && cursor.seen.includes(r.id));
}

/** The cursor after applying the record; never moves back (a re-run applies older records). */
export function advance(cursor: Cursor, r: { id: string; lastUpdated: string }): Cursor {
  if (cursor.since === null || instant(r.lastUpdated) > instant(cursor.since)) return { since: r.lastUpdated, seen: [r.id] };
  if (instant(r.lastUpdated) === instant(cursor.since)) return { since: cursor.since, seen: [...new Set([...cursor.seen, r.id])] };
  return cursor;
}

export function pullJob(hub: HubOperations): Operation[] {
  const applyEach = hub.eachItem<Item>((s: PullState) => s.page ?? [], (item, s: PullState) => applyItem(hub, s, item));

  const loadCursors: Operation = async (state: PullState) => {
    const config = configurationOf(state.configuration);
    const cursors: Partial<Record<Stream, Cursor>> = {};
    for (const stream of STREAMS) cursors[stream] = (await hub.checkpoint.get<Cursor>(stream)) ?? { since: config.since ?? null, seen: [] };
    return { ...state, cursors };
  };

  const pull: Operation = async (state: PullState) => {
    if (state.rerun) return applyEach(state); // the dead-lettered records of an earlier run, as they were
    const config = configurationOf(state.configuration);
    const client = fhirClient(hub, config.baseUrl, config.bearerToken);
    let budget = config.maxRecordsPerRun;
    for (const stream of STREAMS) {
      if (!config[stream] || budget <= 0) continue;
      const cursor = state.cursors![stream]!;
      const params: Record<string, string | number> = { _sort: '_lastUpdated', _count: config.pageSize };
      if (cursor.since) params._lastUpdated = `ge${cursor.since}`;
      const [resourceType, filter] = stream === 'deaths' ? ['Patient', { deceased: 'true' }] : ['Bundle', { type: 'document', 'composition.type': `${BIRTH_DOC_TYPE.system}|${BIRTH_DOC_TYPE.code}` }];
      for await (const resources of searchPages(client, resourceType, { ...filter, ...params }, budget)) {
        budget -= resources.length;
        const page = toItems(hub, config, stream, resources).filter((item) => !covered(state.cursors![stream]!, item.record));
        hub.count(`${stream}.fetched`, resources.length);
        await applyEach({ ...state, page });
      }
    }
    return state;
  };

  return [loadCursors, pull];
}

function toItems(hub: HubOperations, config: CivilRegistryConfiguration, stream: Stream, resources: FhirResource[]): Item[] {
  const items: Item[] = [];
  for (const resource of resources) {
    try {
      const record = stream === 'deaths' ? deathRecord(resource, config.identifierSystems) : birthRecord(resource, config.identifierSystems);
      if (record) items.push({ stream, record });
      else hub.count(`${stream}.other_documents`);
    } catch (err) {
      if (!(err instanceof UnusableRecord)) throw err;
      hub.count(`${stream}.unusable`);
      hub.log('civil registry record left out', { stream, resource: `${resource.resourceType}/${(resource as { id?: string }).id ?? '?'}`, why: err.message });
    }
  }
  // the server sorts by _lastUpdated; ids order records of one instant, as the cursor's `seen` expects nothing more
  return items.sort((a, b) => instant(a.record.lastUpdated) - instant(b.record.lastUpdated) || a.record.id.localeCompare(b.record.id));
}

async function applyItem(hub: HubOperations, state: PullState, item: Item): Promise<void> {
  const config = configurationOf(state.configuration);
  const { record, stream } = item;
  const next = advance(state.cursors?.[stream] ?? { since: null, seen: [] }, record);
  const outcome = await hub.transaction(async (tx) => {
    const applied = await applyRecord({ ...hub.ctx, db: tx }, tx, config.system!, record);
    if (next !== state.cursors?.[stream]) await hub.checkpoint.set(tx, stream, next);
    return applied;
  });
  // committed: the cursor in memory follows
  if (state.cursors) state.cursors[stream] = next;
  hub.count(`${record.event}.${outcome.outcome}`);
  hub.log(`${record.event} ${outcome.outcome}`, {
    resource: `${record.resourceType}/${record.id}`,
    ...(outcome.personId ? { person_id: outcome.personId } : {}),
    ...(outcome.caseId ? { case_id: outcome.caseId } : {}),
    ...(outcome.why ? { why: outcome.why } : {}),
  });
}
