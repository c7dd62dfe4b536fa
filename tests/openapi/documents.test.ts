import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { parse } from 'yaml';
import { loadHubDocument } from '../../core/server/hub-document.js';
import { routeMaps } from '../../core/server/hub.js';
import { Api } from '../../core/server/openapi.js';
import { dciRoutes } from '../../core/dci/routes.js';
import { DCI_API_FILE } from '../../core/dci/schemas.js';

describe('openapi/hub.yaml', () => {
  let document: any;
  let api: Api;
  beforeAll(async () => {
    document = await loadHubDocument();
    api = await Api.load(await loadHubDocument());
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('gives every operation an id, a summary, its scopes and its error answers', () => {
    for (const op of api.operations.values()) {
      expect(op.operation.summary).toBeTruthy();
      const responses = Object.keys(op.operation.responses ?? {});
      if (op.scopes === null) continue; // public: health, readiness, metrics
      // every signed-in caller may read and change their own account; everything else needs a scope
      const selfService = ['getMe', 'changeMyPassword'].includes(op.operationId);
      expect({ id: op.operationId, scopes: op.scopes.length > 0 }).toEqual({ id: op.operationId, scopes: !selfService });
      expect({ id: op.operationId, has: ['401', '403'].every((s) => responses.includes(s)) }).toEqual({ id: op.operationId, has: true });
    }
  });

  it('has one handler for every operation, in exactly one route map, and no handler without an operation', () => {
    // the route maps startHub merges (their factories only keep their dependencies, so stand-ins do here)
    const stub = {} as never;
    const maps = routeMaps({ config: stub, db: stub, cache: stub, bus: stub, keys: stub, metrics: stub });
    const owners = new Map<string, string[]>();
    for (const [name, handlers] of Object.entries(maps)) {
      for (const id of Object.keys(handlers)) owners.set(id, [...(owners.get(id) ?? []), name]);
    }
    expect([...owners].filter(([, maps]) => maps.length > 1)).toEqual([]);
    expect([...owners.keys()].sort()).toEqual([...api.operations.keys()].sort());
  });
});

describe('openapi/dci-sr.yaml', () => {
  let document: any;
  let api: Api;
  beforeAll(async () => {
    document = parse(await readFile(DCI_API_FILE, 'utf8'));
    api = await Api.load(DCI_API_FILE);
  });

  it('is a valid OpenAPI 3.1 document, the one openapi/build-dci.mts makes from the SPDCI standard', async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(document.info.version).toBe('1.0.0');
    // every schema of the standard is kept
    const standard = parse(await readFile(path.resolve(process.cwd(), '../shared/spdci/social_api_v1.0.0.yaml'), 'utf8'));
    expect(Object.keys(document.components.schemas)).toEqual(expect.arrayContaining(Object.keys(standard.components.schemas)));
  });

  it('serves the standard operations with a handler each, needing registry.search, and lists the callbacks as webhooks', () => {
    expect([...api.operations.values()].map((o) => `${o.path} ${o.scopes}`).sort()).toEqual([
      '/registry/search registry.search',
      '/registry/subscribe registry.search',
      '/registry/sync/search registry.search',
      '/registry/sync/txn/status registry.search',
      '/registry/txn/status registry.search',
      '/registry/unsubscribe registry.search',
    ]);
    expect(Object.keys(dciRoutes).sort()).toEqual([...api.operations.keys()].sort());
    for (const op of api.operations.values()) expect(Object.keys(op.operation.responses ?? {})).toEqual(expect.arrayContaining(['400', '401', '403', '413', '415', '429']));
    expect(Object.keys(document.webhooks).sort()).toEqual(['notify', 'on-search', 'on-subscribe', 'on-unsubscribe', 'txn-on-status']);
  });
});
