// Prometheus metrics: request counts and latency histograms by route template and status.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface HttpMetrics {
  registry: Registry;
  observe(method: string, route: string, status: number, seconds: number): void;
}

export function createMetrics(): HttpMetrics {
  // one registry per hub, so several hubs in one process (tests) keep separate figures
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'srhub_' });
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({ name: 'srhub_http_requests_total', help: 'HTTP requests', labelNames, registers: [registry] });
  const duration = new Histogram({
    name: 'srhub_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    registry,
    observe(method, route, status, seconds) {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
  };
}
