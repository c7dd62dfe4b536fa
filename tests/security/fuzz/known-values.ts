// Real ids for the fuzzer: values seen in successful answers (an id a create returned, the items of a list), kept
// by where they came from, so `/persons/{id}` gets person ids and a body's `household_id` household ids. Without
// them nearly every request would stop at "not found" and the handlers behind it would never be reached.
import type { ApiOperation } from '../../../core/server/openapi.js';
import type { Known } from './requests.js';

const PER_POOL = 12;
const ID_FIELD = /^(id|code|name|version|client_id|form_id|[a-z]+_id)$/;

export class KnownValues implements Known {
  private byPath = new Map<string, Map<string, string[]>>();
  private named = new Map<string, string[]>();

  /** Values never handed out (the fuzzer's own accounts: disabling them would end the run's coverage). */
  constructor(private readonly hidden: Set<string>) {}

  forParameter = (op: ApiOperation, name: string): string[] => {
    const prefix = op.path.slice(0, op.path.indexOf(`/{${name}}`));
    const pool = this.byPath.get(prefix);
    const snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    return pool?.get(name) ?? pool?.get(snake) ?? pool?.get('id') ?? this.named.get(snake) ?? [];
  };

  byName = (name: string): string[] => this.named.get(name) ?? [];

  add(name: string, value: string): void {
    this.push(this.named, name, value);
  }

  /** Takes what a successful answer of `op` names: top-level ids under the operation's path, *_id fields by name. */
  observe(op: ApiOperation, body: unknown): void {
    if (!body || typeof body !== 'object') return;
    const items = Array.isArray(body) ? body : Array.isArray((body as { items?: unknown }).items) ? (body as { items: unknown[] }).items : [body];
    const entity = entityOf(op.path);
    for (const item of items.slice(0, PER_POOL)) {
      if (!item || typeof item !== 'object') continue;
      for (const [key, value] of Object.entries(item)) {
        if (!ID_FIELD.test(key) || (typeof value !== 'string' && typeof value !== 'number')) continue;
        const text = String(value);
        this.push((this.byPath.get(op.path) ?? this.byPath.set(op.path, new Map()).get(op.path))!, key, text);
        if (key === 'id' && entity) this.push(this.named, `${entity}_id`, text);
        else if (key === 'code' && entity === 'admin_area') ['area_code', 'parent_code', 'code'].forEach((n) => this.push(this.named, n, text));
        else if (key !== 'name' && key !== 'version' && key !== 'id') this.push(this.named, key, text);
      }
      // members of a household: their person ids
      const members = (item as { members?: unknown }).members;
      if (Array.isArray(members)) for (const m of members) if (m && typeof m === 'object' && 'person_id' in m) this.push(this.named, 'person_id', String((m as { person_id: unknown }).person_id));
    }
  }

  private push(pools: Map<string, string[]>, key: string, value: string): void {
    if (this.hidden.has(value)) return;
    const pool = pools.get(key) ?? pools.set(key, []).get(key)!;
    if (pool.length < PER_POOL && !pool.includes(value)) pool.push(value);
  }
}

/** '/api/v1/dedup/pairs' -> 'pair', '/api/v1/admin-areas' -> 'admin_area'; templated tails are skipped. */
function entityOf(path: string): string | undefined {
  const segments = path.split('/').filter((s) => s && !s.startsWith('{'));
  const last = segments[segments.length - 1];
  if (!last || last.includes(':') || path.endsWith('}')) return undefined;
  return last.replace(/-/g, '_').replace(/ies$/, 'y').replace(/s$/, '');
}
