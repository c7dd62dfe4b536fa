// `sort`: allow-listed attributes of the response entity, asc or desc, missing values last, and the record id as
// the final tiebreak so that pages are stable.
import { CURRENT_HOUSEHOLD, householdAlias, resolveAttribute, today, type Attribute, type Compiler, type Entity } from './attributes.js';
import { isPlainObject, Rejection, shown } from './rejection.js';

const badSort = (message: string) => new Rejection('rjct.sort.invalid', message);

// sortable record fields that are not filter attributes
const RECORD_FIELDS: Record<Entity, Record<string, string>> = {
  Group: { registration_date: 'h.created_at', last_updated: 'h.updated_at' },
  Member: {
    registration_date: 'p.created_at',
    last_updated: 'p.updated_at',
    given_name: 'p.given_name_norm',
    family_name: 'p.family_name_norm',
    surname: 'p.family_name_norm',
  },
};

export const SORTABLE: Record<Entity, string[]> = {
  Group: ['area-code', 'group_size', 'poverty_score', 'registration_date', 'last_updated', '(configured attributes)'],
  Member: [
    'DOB', 'YOB', 'age', 'sex', 'given_name', 'family_name', 'area-code', 'group_size', 'poverty_score', 'registration_date', 'last_updated',
    '(configured attributes)',
  ],
};

export function orderBy(c: Compiler, entity: Entity, sort: unknown): string {
  const id = entity === 'Group' ? 'h.id' : 'p.id';
  if (sort === undefined || sort === null) return `${id} asc`;
  if (!Array.isArray(sort)) throw badSort('sort: expected a list of { attribute_name, sort_order }');
  if (sort.length > c.limits.maxSort) throw badSort(`sort: at most ${c.limits.maxSort} entries, got ${sort.length}`);
  const seen = new Set<string>();
  const keys = sort.map((entry, i) => {
    const at = `sort[${i}]`;
    if (!isPlainObject(entry)) throw badSort(`${at}: expected { attribute_name, sort_order }`);
    const direction = typeof entry.sort_order === 'string' ? entry.sort_order.toLowerCase() : entry.sort_order === undefined ? 'asc' : undefined;
    if (direction !== 'asc' && direction !== 'desc') throw badSort(`${at}.sort_order: expected asc or desc, got ${shown(entry.sort_order)}`);
    const expression = sortExpression(c, entity, entry.attribute_name, `${at}.attribute_name`);
    if (seen.has(expression.name)) throw badSort(`${at}.attribute_name: ${expression.name} is sorted on twice`);
    seen.add(expression.name);
    return `${expression.sql} ${direction} nulls last`;
  });
  return [...keys, `${id} asc`].join(', ');
}

function sortExpression(c: Compiler, entity: Entity, name: unknown, at: string): { name: string; sql: string } {
  if (typeof name !== 'string') throw badSort(`${at}: expected an attribute name`);
  const field = Object.hasOwn(RECORD_FIELDS[entity], name.toLowerCase()) ? RECORD_FIELDS[entity][name.toLowerCase()] : undefined;
  if (field) return { name: name.toLowerCase(), sql: field };
  let attribute: Attribute;
  try {
    attribute = resolveAttribute(c, name, at);
  } catch {
    throw badSort(`${at}: cannot sort on ${shown(name)} (sortable: ${SORTABLE[entity].join(', ')})`);
  }
  switch (attribute.level) {
    case 'household':
      return { name: attribute.name, sql: attribute.column!(entity === 'Group' ? 'h' : householdAlias(c, CURRENT_HOUSEHOLD)) };
    case 'own':
      return { name: attribute.name, sql: `${entity === 'Group' ? 'h' : 'p'}.attributes -> ${c.params.add(attribute.key!, 'text')}` };
    case 'person':
      if (entity === 'Member' && attribute.kind !== 'id') {
        const column = attribute.column!('p');
        if (attribute.kind === 'year') return { name: attribute.name, sql: `extract(year from ${column})` };
        if (attribute.kind === 'age') return { name: attribute.name, sql: `date_part('year', age(${c.params.add(today(), 'date')}, ${column}))` };
        return { name: attribute.name, sql: column };
      }
  }
  throw badSort(`${at}: cannot sort ${entity === 'Group' ? 'groups' : 'members'} on ${shown(name)} (sortable: ${SORTABLE[entity].join(', ')})`);
}
