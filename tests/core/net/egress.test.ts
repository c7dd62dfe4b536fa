import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EgressPolicy, egressRequest } from '../../../core/net/egress.js';

describe('outgoing requests (SSRF guard)', () => {
  const closed = new EgressPolicy([]);

  it('refuses loopback, private, link-local (metadata), CGNAT, multicast and reserved addresses by default', () => {
    for (const address of ['127.0.0.1', '127.8.9.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1']) {
      expect({ address, allowed: closed.allows(address) }).toEqual({ address, allowed: false });
    }
  });

  it('lets public addresses through', () => {
    for (const address of ['8.8.8.8', '41.90.1.2', '172.32.0.1', '2001:4860:4860::8888']) expect({ address, allowed: closed.allows(address) }).toEqual({ address, allowed: true });
  });

  it('lets allow-listed ranges, addresses and host names through, and "loopback" means this machine', () => {
    const policy = new EgressPolicy(['10.20.0.0/16', '192.168.5.5', 'idp.internal', 'loopback']);
    expect(policy.allows('10.20.3.4')).toBe(true);
    expect(policy.allows('10.21.0.1')).toBe(false);
    expect(policy.allows('192.168.5.5')).toBe(true);
    expect(policy.allows('192.168.5.6')).toBe(false);
    expect(policy.allows('10.9.9.9', 'idp.internal')).toBe(true);
    expect(policy.allows('127.0.0.1')).toBe(true);
    expect(policy.allows('::1')).toBe(true);
  });

  describe('requests', () => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
      server = createServer((req, res) => {
        if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2000);
        if (req.url === '/big') return void res.end('x'.repeat(5000));
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ ok: true, method: req.method }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('refuses an address literal and a name that resolves to loopback, before anything is sent', async () => {
      await expect(egressRequest(closed, `http://127.0.0.1:${port}/`, { timeoutMs: 1000 })).rejects.toThrow('may not call');
      await expect(egressRequest(closed, `http://[::1]:${port}/`, { timeoutMs: 1000 })).rejects.toThrow('may not call');
      await expect(egressRequest(closed, `http://localhost:${port}/`, { timeoutMs: 1000 })).rejects.toThrow('may not call');
      await expect(egressRequest(closed, 'file:///etc/passwd', { timeoutMs: 1000 })).rejects.toThrow('not called');
    });

    it('calls an allow-listed receiver, cuts oversized answers and times out', async () => {
      const open = new EgressPolicy(['loopback']);
      const res = await egressRequest(open, `http://localhost:${port}/x`, { method: 'POST', body: '{}', timeoutMs: 1000 });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ ok: true, method: 'POST' });
      await expect(egressRequest(open, `http://127.0.0.1:${port}/big`, { timeoutMs: 1000, maxResponseBytes: 1000 })).rejects.toThrow('larger than 1000 bytes');
      await expect(egressRequest(open, `http://127.0.0.1:${port}/slow`, { timeoutMs: 200 })).rejects.toThrow('timed out');
    });
  });
});
