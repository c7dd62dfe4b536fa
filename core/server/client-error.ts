// Requests Node's HTTP parser refuses before express sees them (a URL or headers over the 16 kB limit, broken
// request syntax, a client too slow to send its headers): answered as problem+json like every other refusal,
// instead of Node's bare status line without a body.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

const CODES: Record<number, [string, string]> = {
  400: ['request.malformed', 'The request could not be read as HTTP.'],
  408: ['request.timeout', 'The request headers did not arrive in time.'],
  431: ['request.headers_too_large', 'The URL or the headers are too large (16 kB at most); send long values in a body.'],
};

export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // a connection that is gone, or an answer already under way: nothing can be said any more
  if (err.code === 'ECONNRESET' || !socket.writable || (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'HPE_HEADERS_TIMEOUT' || err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const [code, title] = CODES[status];
  const body = JSON.stringify({ type: `/problems/${code}`, title, status, code });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
