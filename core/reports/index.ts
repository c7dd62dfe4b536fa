// Reports, the executive dashboard and data quality (docs/reports.md): what the hub starts for them, and what other
// parts may use.
import type { Cache } from '../cache/index.js';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/dispatcher.js';
import { dashboardInvalidation } from './generation.js';
import { startQualityChecks } from './quality/alerts.js';

export { getDashboard, computeDashboard, type Dashboard } from './dashboard.js';
export { evaluateAlerts, listAlerts, ALERT_TOPIC } from './quality/alerts.js';
export { suppressLine, suppressCount } from './suppression.js';

/** Registers the dashboard cache's outbox consumer and starts the periodic data-quality evaluation. */
export function startReports(deps: { config: Config; db: Db; cache: Cache; log: Logger; outbox: Outbox }): { stop(): Promise<void> } {
  deps.outbox.register(dashboardInvalidation(deps.cache));
  return startQualityChecks(deps.db, deps.config.reports.qualityCheckMinutes, deps.log);
}
