// What a service call needs: the database, the caller and the request's id.
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../log.js';
import type { Principal } from './principal.js';

export interface Ctx {
  config: Config;
  db: Db;
  principal: Principal;
  requestId: string;
  log: Logger;
}

/** The context of the hub's own work outside HTTP (command line, jobs). */
export function systemContext(config: Config, db: Db, log: Logger, principal: Principal): Ctx {
  return { config, db, principal, requestId: `system-${Date.now()}`, log };
}
