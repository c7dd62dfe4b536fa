// The floor the hub's DCI search is compared with: a bare node:http server on pg that runs the same SQL for a search
// (core/dci/query/search.ts builds it, total_count kept between pages as in the hub: core/dci/query/count.ts) and
// answers the page's person rows as JSON, with nothing else: no authentication, message signature, replay check,
// consent, audit, envelope or validation.
//   DATABASE_URL=... SRHUB_MASTER_KEY=... PORT=8080 npx tsx bench/harness/bare-server.ts
import { createServer } from 'node:http';
import pg from 'pg';
import { loadConfig } from '../../core/config.js';
import type { Db } from '../../core/db/index.js';
import { runSearch } from '../../core/dci/query/search.js';
import { loadMasterKey } from '../../core/keys/master-key.js';
import { createSecrets } from '../../core/keys/secrets.js';
import { createLogger } from '../../core/log.js';

const config = loadConfig();
const secrets = createSecrets(await loadMasterKey(config, createLogger('warn')));
const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.dbPoolSize });
// runSearch needs only query(); the hub's Db wrapper is left out on purpose
const db = { query: async (sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows } as unknown as Db;

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200).end('ok');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    try {
      const criteria = JSON.parse(Buffer.concat(chunks).toString()).message.search_request[0].search_criteria;
      const outcome = await runSearch(db, criteria, { areas: null }, config, secrets);
      if (!outcome.ok) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify(outcome));
        return;
      }
      const { rows } = await pool.query('select * from person where id = any($1::uuid[])', [outcome.ids]);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ records: rows, pagination: outcome.pagination }));
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
});
server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1');
process.once('SIGTERM', () => {
  server.close();
  void pool.end();
});
