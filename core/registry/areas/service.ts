// Administrative areas: a tree of codes; households belong to one, and area scoping covers an area and its subtree.
import type { Db } from '../../db/index.js';
import { conflict, unprocessable } from '../../server/errors.js';

export interface AdminArea {
  code: string;
  name: string;
  level: number;
  parent_code: string | null;
}

export async function listAreas(db: Db, parentCode?: string): Promise<AdminArea[]> {
  return db.query<AdminArea>(
    `select code, name, level, parent_code from admin_area
     where ($1::text is null or parent_code = $1) order by path`,
    [parentCode ?? null],
  );
}

export async function createArea(db: Db, input: { code: string; name: string; parent_code?: string }): Promise<AdminArea> {
  return db.transaction(async (tx) => {
    let path = `/${input.code}/`;
    let level = 0;
    if (input.parent_code) {
      const [parent] = await tx.query<{ path: string; level: number }>('select path, level from admin_area where code = $1', [input.parent_code]);
      if (!parent) {
        throw unprocessable('area.invalid', [{ field: 'body.parent_code', message: `${input.parent_code} is not a known admin area` }], 'The parent area does not exist.');
      }
      path = `${parent.path}${input.code}/`;
      level = parent.level + 1;
    }
    const [created] = await tx.query<AdminArea>(
      `insert into admin_area (code, name, level, parent_code, path) values ($1, $2, $3, $4, $5)
       on conflict (code) do nothing returning code, name, level, parent_code`,
      [input.code, input.name, level, input.parent_code ?? null, path],
    );
    if (!created) throw conflict('area.exists', `The area ${input.code} exists already.`, { errors: [{ field: 'body.code', message: 'is taken' }] });
    return created;
  });
}
