// The browser apps of web/ (console for staff, portal for beneficiaries, field app), served by the hub itself.
// esbuild bundles them in memory on first use, so nothing is built by hand and a checkout runs as it is; the bundles
// use only the public API. Pages get their own Content-Security-Policy: scripts and styles from this origin only.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';

export const WEB_APPS = ['console', 'portal', 'field'] as const;
export type WebApp = (typeof WEB_APPS)[number];

const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');
const TITLES: Record<WebApp, string> = { console: 'srhub console', portal: 'My social registry record', field: 'srhub field app' };
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'", // preact sets style attributes (bar widths, map colours)
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  /** The bundle gzipped once at build: a third of the bytes for phones on slow networks. */
  gzip?: Buffer;
}

let bundles: Promise<Map<string, Asset>> | undefined;

/** Every bundle, built once per process (a failed build is retried on the next request). */
export function webBundles(): Promise<Map<string, Asset>> {
  bundles ??= buildBundles().catch((error) => {
    bundles = undefined;
    throw error;
  });
  return bundles;
}

async function buildBundles(): Promise<Map<string, Asset>> {
  const { build } = await import('esbuild');
  const entryPoints = Object.fromEntries([
    ...WEB_APPS.map((app) => [app, path.join(WEB_DIR, app, 'main.tsx')]),
    ['field-sw', path.join(WEB_DIR, 'field', 'sw.ts')],
  ]);
  const result = await build({
    entryPoints,
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2020',
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: '/bundles',
    logLevel: 'silent',
    tsconfig: path.join(WEB_DIR, 'tsconfig.json'),
  });
  const assets = new Map<string, Asset>();
  for (const file of result.outputFiles) {
    const name = path.basename(file.path);
    const body = Buffer.from(file.contents);
    assets.set(name, { body, type: name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8', etag: etagOf(body), gzip: gzipSync(body, { level: 9 }) });
  }
  return assets;
}

const etagOf = (body: Buffer | string) => `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;

function shell(app: WebApp): string {
  const manifest = app === 'field' ? '<link rel="manifest" href="/field/manifest.webmanifest"><meta name="theme-color" content="#0b5394">' : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${TITLES[app]}</title><link rel="icon" href="/web/icon.svg"><link rel="stylesheet" href="/web/${app}.css">${manifest}</head>
<body><div id="app"><p class="loading">Loading…</p></div><noscript>This page needs JavaScript.</noscript>
<script type="module" src="/web/${app}.js"></script></body></html>`;
}

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#0b5394"/><path d="M14 40h8V26h-8zm14 0h8V16h-8zm14 0h8V30h-8z" fill="#fff"/><path d="M12 46h40v4H12z" fill="#fff"/></svg>`;

const FIELD_MANIFEST = JSON.stringify({
  name: 'srhub field app',
  short_name: 'srhub field',
  start_url: '/field/',
  scope: '/field/',
  display: 'standalone',
  background_color: '#ffffff',
  theme_color: '#0b5394',
  icons: [{ src: '/web/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
});

function send(req: Request, res: Response, asset: { body: Buffer | string; type: string; etag: string; gzip?: Buffer }, extra: Record<string, string> = {}): void {
  // revalidated on every load (cheap with the ETag), so a new hub version is picked up at once
  res.locals.route = String(req.route?.path ?? '/web'); // the metrics' label: the route template, not the URL
  const gzip = asset.gzip && /\bgzip\b/.test(req.header('accept-encoding') ?? '') ? asset.gzip : undefined;
  const etag = gzip ? `${asset.etag.slice(0, -1)}-gz"` : asset.etag;
  res.set({ 'Content-Type': asset.type, ETag: etag, 'Cache-Control': 'no-cache', 'Content-Security-Policy': PAGE_CSP, ...(asset.gzip ? { Vary: 'Accept-Encoding' } : {}), ...extra });
  if (req.header('if-none-match') === etag) res.status(304).end();
  else if (gzip) res.set('Content-Encoding', 'gzip').send(gzip);
  else res.send(asset.body);
}

/** GET /console, /portal, /field (and anything under them: the apps route by the URL's hash), their bundles, the PWA files. */
export function webRoutes(): express.Router {
  const router = express.Router();
  const pages = new Map(WEB_APPS.map((app) => [app, { body: shell(app), type: 'text/html; charset=utf-8', etag: etagOf(shell(app)) }]));
  for (const app of WEB_APPS) {
    router.get([`/${app}`, `/${app}/`], (req, res) => send(req, res, pages.get(app)!));
  }
  router.get('/', (_req, res) => res.redirect(302, '/console/'));
  router.get('/web/icon.svg', (req, res) => send(req, res, { body: ICON, type: 'image/svg+xml', etag: etagOf(ICON) }));
  router.get('/field/manifest.webmanifest', (req, res) => send(req, res, { body: FIELD_MANIFEST, type: 'application/manifest+json', etag: etagOf(FIELD_MANIFEST) }));
  router.get('/field/sw.js', async (req, res, next) => {
    try {
      const asset = (await webBundles()).get('field-sw.js')!;
      send(req, res, asset, { 'Service-Worker-Allowed': '/field/' });
    } catch (error) {
      next(error);
    }
  });
  router.get('/web/:file', async (req, res, next) => {
    try {
      const asset = (await webBundles()).get(req.params.file as string);
      if (!asset || req.params.file === 'field-sw.js') return next();
      send(req, res, asset);
    } catch (error) {
      next(error);
    }
  });
  return router;
}
