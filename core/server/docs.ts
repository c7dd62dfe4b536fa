// The API reference: the documents as YAML and JSON, and a page rendered from them on the server (no CDN, no
// browser bundle to download).
import express from 'express';
import { stringify } from 'yaml';
import type { Api } from './openapi.js';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface Doc {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, OperationDoc>>;
}
interface OperationDoc {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string }>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export function renderReference(doc: Doc): string {
  const sections = Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => renderOperation(path, method, item[method], item as unknown as { parameters?: OperationDoc['parameters'] })),
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(doc.info.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:1px solid #ddd;margin-top:2.5rem}.op{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
.m{display:inline-block;min-width:4.5rem;font-weight:bold;text-transform:uppercase}.get{color:#0a6}.post{color:#06c}
.patch{color:#a60}.delete{color:#c22}code{background:#f4f4f4;padding:0 .25rem}details pre{background:#f7f7f7;padding:.5rem;overflow:auto;font-size:12px}
table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;padding:.2rem .6rem;text-align:left;vertical-align:top}</style></head>
<body><h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1>
<p>Machine-readable: <a href="/openapi/hub.yaml">hub.yaml</a> · <a href="/openapi/hub.json">hub.json</a></p>
<pre style="white-space:pre-wrap">${esc(doc.info.description)}</pre>${sections.join('\n')}</body></html>`;
}

function renderOperation(path: string, method: string, op: OperationDoc, item: { parameters?: OperationDoc['parameters'] }): string {
  const scopes = op.security === undefined ? null : op.security.flatMap((s) => Object.values(s).flat());
  const params = [...(item.parameters ?? []), ...(op.parameters ?? [])];
  const body = op.requestBody?.content?.['application/json']?.schema;
  return `<div class="op" id="${esc(op.operationId)}"><div><span class="m ${method}">${method}</span> <code>${esc(path)}</code> — ${esc(op.summary)}</div>
${op.description ? `<p>${esc(op.description)}</p>` : ''}
<p><small>operationId <code>${esc(op.operationId)}</code>; ${scopes === null || scopes.length === 0 ? 'scopes: none' : `scopes: ${scopes.map((s) => `<code>${esc(s)}</code>`).join(' ')}`}</small></p>
${params.length ? `<table><tr><th>parameter</th><th>in</th><th>description</th></tr>${params.map((p) => `<tr><td><code>${esc(p.name)}</code>${p.required ? ' *' : ''}</td><td>${esc(p.in)}</td><td>${esc(p.description)}</td></tr>`).join('')}</table>` : ''}
${body ? `<details><summary>request body schema</summary><pre>${esc(JSON.stringify(body, null, 2))}</pre></details>` : ''}
<table>${Object.entries(op.responses ?? {}).map(([status, r]) => `<tr><td>${esc(status)}</td><td>${esc(r.description)}</td></tr>`).join('')}</table></div>`;
}

/** The reference page and the merged document (hub.yaml with its parts) as YAML and JSON. */
export function docsRoutes(api: Api, document: object): express.Router {
  const router = express.Router();
  const yaml = stringify(document);
  const page = renderReference(api.document as Doc);
  router.get('/docs', (_req, res) => {
    res.locals.route = '/docs';
    res.type('html').send(page);
  });
  router.get('/openapi/hub.yaml', (_req, res) => {
    res.locals.route = '/openapi/hub.yaml';
    res.type('application/yaml').send(yaml);
  });
  router.get('/openapi/hub.json', (_req, res) => {
    res.locals.route = '/openapi/hub.json';
    res.json(document);
  });
  return router;
}
