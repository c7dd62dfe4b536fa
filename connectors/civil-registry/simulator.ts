// A FHIR R4 civil registration server on a real port (application/fhir+json), with what the connector uses: Patient
// and Bundle searches with _lastUpdated (ge/gt/le/lt/eq), _sort=_lastUpdated, _count and `next` links, the
// `deceased`, `identifier`, `type` and `composition.type` parameters, reads by id and /metadata. Deaths are Patients
// with deceasedDateTime; births are OpenCRVS-style document Bundles (Composition + child, mother, father). Tests and
// the demo add records and steer outages and slowness through /_control.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { SimulatorHandle } from '../framework/types.js';
import { BIRTH_DOC_TYPE, SECTION_SYSTEM } from './records.js';

const SYSTEMS = {
  UIN: 'http://opencrvs.org/specs/id/national-id',
  BRN: 'http://opencrvs.org/specs/id/birth-registration-number',
  DRN: 'http://opencrvs.org/specs/id/death-registration-number',
};
const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export interface PersonInput {
  given_name?: string;
  family_name?: string;
  sex?: 'male' | 'female' | 'other' | 'unknown';
  birth_date?: string;
  uin?: string;
  brn?: string;
}

export interface DeathInput extends PersonInput {
  death_date: string;
  /** Force the record's meta.lastUpdated (tests of records sharing an instant). */
  lastUpdated?: string;
}

export interface BirthInput {
  child: PersonInput;
  mother?: PersonInput;
  father?: PersonInput;
  /** Another kind of document (e.g. 'death-registration'), which the birth pull must leave out. */
  docType?: string;
  lastUpdated?: string;
}

export interface FhirBehaviour {
  mode: 'normal' | 'outage' | 'slow';
  delayMs: number;
  /** With mode slow: only search pages from this offset on are slow (a pull that stalls midway). */
  slowFromOffset?: number;
}

export interface FhirSimulator extends SimulatorHandle {
  addDeath(input: DeathInput): Resource;
  addBirth(input: BirthInput): Resource;
  behave(b: Partial<FhirBehaviour>): void;
  readonly requests: { search: number; read: number };
}

type Resource = { resourceType: string; id: string; meta: { versionId: string; lastUpdated: string }; [k: string]: unknown };

export async function startFhirSimulator(opts: { port?: number; host?: string; bearerToken?: string } = {}): Promise<FhirSimulator> {
  const host = opts.host ?? '127.0.0.1';
  const store = new Map<string, Resource>(); // 'Patient/id' -> current version
  const behaviour: FhirBehaviour = { mode: 'normal', delayMs: 0 };
  const requests = { search: 0, read: 0 };
  let clock = 0;
  let brnSequence = 0;
  // slow answers wait on timers that stop() clears, so a stopped simulator holds no process open
  const timers = new Set<NodeJS.Timeout>();
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  const sockets = new Set<Socket>();
  let base = '';

  // strictly increasing instants, so every change is seen by the next `ge` search
  const now = () => {
    clock = Math.max(Date.now(), clock + 1);
    return new Date(clock).toISOString();
  };

  function put(resource: Omit<Resource, 'meta'>, lastUpdated?: string): Resource {
    const key = `${resource.resourceType}/${resource.id}`;
    const previous = store.get(key);
    const version = previous ? Number(previous.meta.versionId) + 1 : 1;
    const stored = { ...resource, meta: { versionId: String(version), lastUpdated: lastUpdated ?? now() } } as Resource;
    clock = Math.max(clock, Date.parse(stored.meta.lastUpdated)); // later records never sort before a forced instant
    store.set(key, stored);
    return stored;
  }

  const identifiers = (p: PersonInput) => [
    ...(p.uin ? [{ system: SYSTEMS.UIN, value: p.uin }] : []),
    ...(p.brn ? [{ system: SYSTEMS.BRN, value: p.brn }] : []),
  ];
  const patient = (id: string, p: PersonInput, extra: Record<string, unknown> = {}) => ({
    resourceType: 'Patient',
    id,
    identifier: identifiers(p),
    name: [{ use: 'official', family: p.family_name, given: p.given_name ? p.given_name.split(' ') : [] }],
    ...(p.sex ? { gender: p.sex } : {}),
    ...(p.birth_date ? { birthDate: p.birth_date } : {}),
    ...extra,
  });

  function addDeath(input: DeathInput): Resource {
    // a person the registry knows already (same UIN): a new version of their Patient, as a CRVS would record it
    const existing = [...store.values()].find(
      (r) => r.resourceType === 'Patient' && input.uin && (r.identifier as { system: string; value: string }[]).some((i) => i.system === SYSTEMS.UIN && i.value === input.uin),
    );
    const id = existing?.id ?? randomUUID();
    return put(patient(id, input, { deceasedDateTime: `${input.death_date}T00:00:00Z` }), input.lastUpdated);
  }

  function addBirth(input: BirthInput): Resource {
    const child = { ...input.child, brn: input.child.brn ?? `BRN-${String(++brnSequence).padStart(8, '0')}` };
    const ids = { child: randomUUID(), mother: randomUUID(), father: randomUUID() };
    const section = (code: string, id: string) => ({ title: code, code: { coding: [{ system: SECTION_SYSTEM, code }] }, entry: [{ reference: `urn:uuid:${id}` }] });
    const composition = {
      resourceType: 'Composition',
      id: randomUUID(),
      status: 'final',
      type: { coding: [{ system: BIRTH_DOC_TYPE.system, code: input.docType ?? BIRTH_DOC_TYPE.code }] },
      subject: { reference: `urn:uuid:${ids.child}` },
      date: now(),
      title: 'Birth registration',
      section: [
        section('child-details', ids.child),
        ...(input.mother ? [section('mother-details', ids.mother)] : []),
        ...(input.father ? [section('father-details', ids.father)] : []),
      ],
    };
    const entry = (id: string, resource: object) => ({ fullUrl: `urn:uuid:${id}`, resource });
    return put(
      {
        resourceType: 'Bundle',
        id: randomUUID(),
        type: 'document',
        timestamp: now(),
        entry: [
          entry(composition.id, composition),
          entry(ids.child, patient(ids.child, child)),
          ...(input.mother ? [entry(ids.mother, patient(ids.mother, input.mother))] : []),
          ...(input.father ? [entry(ids.father, patient(ids.father, input.father))] : []),
        ],
      },
      input.lastUpdated,
    );
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => sendOutcome(res, 500, 'exception', (err as Error).message));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    if (url.pathname.startsWith('/_control')) return control(req, res, url.pathname.slice('/_control'.length));
    if (opts.bearerToken && req.headers.authorization !== `Bearer ${opts.bearerToken}`) return sendOutcome(res, 401, 'login', 'A valid bearer token is required.');
    if (req.method !== 'GET') return sendOutcome(res, 405, 'not-supported', 'This server is read-only.');
    if (url.pathname === '/metadata') return send(res, 200, capabilityStatement());
    const [, type, id, ...rest] = url.pathname.split('/');
    if (!['Patient', 'Bundle'].includes(type) || rest.length) return sendOutcome(res, 404, 'not-found', `Unknown resource type or path ${url.pathname}`);
    // counted as they arrive: a request held by a slow answer or refused by an outage was still made
    if (id) requests.read++;
    else requests.search++;
    if (behaviour.mode === 'outage') return sendOutcome(res, 503, 'transient', 'The civil registry is down (simulated outage).');
    const offset = Number(url.searchParams.get('_offset') ?? 0);
    if (behaviour.mode === 'slow' && offset >= (behaviour.slowFromOffset ?? 0)) await pause(behaviour.delayMs);
    if (id) {
      const found = store.get(`${type}/${id}`);
      return found ? send(res, 200, found) : sendOutcome(res, 404, 'not-found', `${type}/${id} is not known`);
    }
    return search(res, type, url);
  }

  function search(res: ServerResponse, type: string, url: URL): void {
    const params = url.searchParams;
    const known = new Set(['_lastUpdated', '_sort', '_count', '_offset', '_format', 'identifier', ...(type === 'Patient' ? ['deceased'] : ['type', 'composition.type'])]);
    const unknown = [...new Set(params.keys())].filter((k) => !known.has(k));
    if (unknown.length) return sendOutcome(res, 400, 'not-supported', `Unsupported search parameter(s): ${unknown.join(', ')}`);
    const sort = params.get('_sort') ?? '_lastUpdated';
    if (sort !== '_lastUpdated' && sort !== '-_lastUpdated') return sendOutcome(res, 400, 'not-supported', `_sort=${sort} is not supported`);
    const count = Math.min(Math.max(Number(params.get('_count') ?? 20) || 20, 1), 1000);
    const offset = Math.max(Number(params.get('_offset') ?? 0) || 0, 0);
    const filters: ((r: Resource) => boolean)[] = [(r) => r.resourceType === type];
    for (const value of params.getAll('_lastUpdated')) {
      const m = /^(ge|gt|le|lt|eq)?(.+)$/.exec(value)!;
      const at = Date.parse(m[2]);
      if (Number.isNaN(at)) return sendOutcome(res, 400, 'invalid', `_lastUpdated=${value} is not a date`);
      const cmp = { ge: (x: number) => x >= at, gt: (x: number) => x > at, le: (x: number) => x <= at, lt: (x: number) => x < at, eq: (x: number) => x === at }[m[1] ?? 'eq']!;
      filters.push((r) => cmp(Date.parse(r.meta.lastUpdated)));
    }
    const deceased = params.get('deceased');
    if (deceased !== null) filters.push((r) => Boolean(r.deceasedDateTime) === (deceased === 'true'));
    const identifier = params.get('identifier');
    if (identifier !== null) {
      const [system, value] = identifier.includes('|') ? identifier.split('|') : [undefined, identifier];
      filters.push((r) => personIdentifiers(r).some((i) => i.value === value && (!system || i.system === system)));
    }
    const bundleType = params.get('type');
    if (bundleType !== null) filters.push((r) => r.type === bundleType);
    const docType = params.get('composition.type');
    if (docType !== null) {
      const [system, code] = docType.includes('|') ? docType.split('|') : [undefined, docType];
      filters.push((r) => {
        const coding = ((r.entry as { resource: { type?: { coding?: { system: string; code: string }[] } } }[] | undefined)?.[0]?.resource.type?.coding ?? []);
        return coding.some((c) => c.code === code && (!system || c.system === system));
      });
    }
    const direction = sort.startsWith('-') ? -1 : 1;
    const matches = [...store.values()]
      .filter((r) => filters.every((f) => f(r)))
      .sort((a, b) => direction * (Date.parse(a.meta.lastUpdated) - Date.parse(b.meta.lastUpdated) || a.id.localeCompare(b.id)));
    const page = matches.slice(offset, offset + count);
    const link = (o: number) => {
      const next = new URL(url.toString());
      next.searchParams.set('_offset', String(o));
      return `${base}${next.pathname}${next.search}`;
    };
    send(res, 200, {
      resourceType: 'Bundle',
      id: randomUUID(),
      type: 'searchset',
      total: matches.length,
      link: [{ relation: 'self', url: link(offset) }, ...(offset + count < matches.length ? [{ relation: 'next', url: link(offset + count) }] : [])],
      entry: page.map((r) => ({ fullUrl: `${base}/${r.resourceType}/${r.id}`, resource: r, search: { mode: 'match' } })),
    });
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method === 'GET' && path === '') return send(res, 200, { behaviour, requests, resources: store.size });
    if (req.method !== 'POST') return sendOutcome(res, 405, 'not-supported', 'POST to /_control/deaths, /births, /behaviour or /reset');
    const body = JSON.parse((await readBody(req)) || '{}');
    if (path === '/deaths') {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(body.death_date ?? '')) return sendOutcome(res, 400, 'required', 'death_date (YYYY-MM-DD) is required');
      return send(res, 201, addDeath(body));
    }
    if (path === '/births') {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(body.child?.birth_date ?? '')) return sendOutcome(res, 400, 'required', 'child.birth_date (YYYY-MM-DD) is required');
      return send(res, 201, addBirth(body));
    }
    if (path === '/behaviour') {
      Object.assign(behaviour, body);
      return send(res, 200, behaviour);
    }
    if (path === '/reset') {
      store.clear();
      Object.assign(behaviour, { mode: 'normal', delayMs: 0, slowFromOffset: undefined });
      return send(res, 200, {});
    }
    return sendOutcome(res, 404, 'not-found', `Unknown control ${path}`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  base = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    addDeath,
    addBirth,
    behave: (b) => Object.assign(behaviour, b),
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function personIdentifiers(r: Resource): { system: string; value: string }[] {
  if (r.resourceType === 'Patient') return (r.identifier as { system: string; value: string }[]) ?? [];
  const entries = (r.entry as { resource: Resource }[] | undefined) ?? [];
  return entries.flatMap((e) => (e.resource.resourceType === 'Patient' ? personIdentifiers(e.resource) : []));
}

function capabilityStatement() {
  const searchParam = (name: string, type: string) => ({ name, type });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-01-01',
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    rest: [
      {
        mode: 'server',
        resource: [
          { type: 'Patient', interaction: [{ code: 'read' }, { code: 'search-type' }], searchParam: [searchParam('_lastUpdated', 'date'), searchParam('deceased', 'token'), searchParam('identifier', 'token')] },
          { type: 'Bundle', interaction: [{ code: 'read' }, { code: 'search-type' }], searchParam: [searchParam('_lastUpdated', 'date'), searchParam('type', 'token'), searchParam('composition.type', 'token'), searchParam('identifier', 'token')] },
        ],
      },
    ],
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': FHIR_JSON }).end(JSON.stringify(body));
}

function sendOutcome(res: ServerResponse, status: number, code: string, diagnostics: string): void {
  send(res, status, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
