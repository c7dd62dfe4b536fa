// Outgoing HTTP to addresses that callers choose (DCI callback URLs, JWKS URLs, connector endpoints) must not reach
// the hub's own network: loopback, private, link-local (cloud metadata), CGNAT, multicast and reserved addresses are
// refused unless an administrator allow-lists them (SRHUB_EGRESS_ALLOW). The check runs on the addresses the
// connection actually uses (a lookup hook), so a name that resolves to a public address when checked and to a
// private one when connecting (DNS rebinding) is refused too.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export class EgressRefused extends Error {
  override name = 'EgressRefused';
}

/** Address ranges no outgoing request may reach unless allow-listed. */
const FORBIDDEN = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) FORBIDDEN.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) FORBIDDEN.addSubnet(net, prefix, 'ipv6');

const LOOPBACK = ['127.0.0.0/8', '::1/128', 'localhost'];

/** What SRHUB_EGRESS_ALLOW lets through: host names, addresses and CIDR ranges ("loopback" for this machine). */
export class EgressPolicy {
  private hosts = new Set<string>();
  private ranges = new BlockList();

  /** `resolve`: the name lookup (node's by default; tests give names private answers without touching DNS). */
  constructor(entries: readonly string[], private readonly resolve: typeof dnsLookup = dnsLookup) {
    for (const entry of entries.flatMap((e) => (e === 'loopback' ? LOOPBACK : [e]))) {
      const [address, prefix] = entry.split('/');
      const family = isIP(address);
      if (family === 0) this.hosts.add(entry.toLowerCase());
      else if (prefix === undefined) this.ranges.addAddress(address, family === 4 ? 'ipv4' : 'ipv6');
      else this.ranges.addSubnet(address, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
    }
  }

  /** Whether a connection to this resolved address (for this host name) may go out. */
  allows(address: string, hostname?: string): boolean {
    if (hostname && this.hosts.has(hostname.toLowerCase())) return true;
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    const mapped = family === 'ipv6' ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] : undefined;
    if (mapped) return this.allows(mapped);
    if (this.ranges.check(address, family)) return true;
    return !FORBIDDEN.check(address, family);
  }

  /** A lookup for http(s).request that resolves the name and refuses forbidden addresses. */
  lookup(): LookupFunction {
    return (hostname, options, callback) => {
      this.resolve(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
        if (err) return callback(err, '', 0);
        const allowed = addresses.filter((a) => this.allows(a.address, hostname));
        if (allowed.length === 0) return callback(new EgressRefused(`${hostname} resolves to an address the hub may not call (allow it with SRHUB_EGRESS_ALLOW)`), '', 0);
        if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
        callback(null, allowed[0].address, allowed[0].family);
      });
    };
  }

  /** Refuses a URL whose host is a forbidden address literal (the lookup hook never sees literals). */
  checkUrl(url: URL): void {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !this.allows(host)) throw new EgressRefused(`${url.hostname} is an address the hub may not call (allow it with SRHUB_EGRESS_ALLOW)`);
  }
}

export interface EgressRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs: number;
  /** Aborts the request early (the caller's own deadline). */
  signal?: AbortSignal;
  /** Answers longer than this are cut off with an error (a hostile server cannot exhaust memory). */
  maxResponseBytes?: number;
}

export interface EgressResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

function deadline(request: EgressRequest): AbortSignal {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  return request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
}

/** One HTTP(S) request under the policy; redirects are not followed (a 3xx is returned as it is). */
export function egressRequest(policy: EgressPolicy, target: string | URL, request: EgressRequest): Promise<EgressResponse> {
  const url = typeof target === 'string' ? new URL(target) : target;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new EgressRefused(`${url.protocol} URLs are not called`));
  try {
    policy.checkUrl(url);
  } catch (err) {
    return Promise.reject(err);
  }
  const max = request.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => reject(err.name === 'AbortError' ? Object.assign(new Error('timed out'), { name: 'TimeoutError' }) : err);
    const req = send(url, { method: request.method ?? 'GET', headers: request.headers, lookup: policy.lookup(), signal: deadline(request) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > max) {
          fail(new Error(`the answer is larger than ${max} bytes`));
          res.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(request.body);
  });
}
