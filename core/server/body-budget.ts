// Large request bodies share a budget of bytes in flight. A bulk import's JSON takes several times its size once
// parsed and validated (a 1,000-household batch ~25 MB of heap, the largest allowed body a few hundred MB), so a
// handful at once would take the hub past a capped heap (docs/scaling.md: memory). A request over the threshold
// waits, its body still unread in the socket, until the bodies in flight leave room for it; one is always let in,
// whatever its size. Past the wait it gets 503 with Retry-After and nothing is done. Small requests never wait.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HubError } from './errors.js';

export interface BodyBudgetOptions {
  /** Bytes of large bodies in flight at most (one body is let in alone whatever its size). */
  budgetBytes: number;
  /** Bodies smaller than this pass at once and count for nothing. */
  thresholdBytes: number;
  /** How long a large request waits for room before 503. */
  maxWaitMs: number;
  /** The largest body allowed: what a body of unknown length (chunked) counts as; a larger one passes to its 413. */
  largestBodyBytes: number;
}

export interface BodyBudget extends RequestHandler {
  inFlightBytes(): number;
  waiting(): number;
}

interface Waiter {
  size: number;
  admit(): void;
}

export function bodyBudget(options: BodyBudgetOptions): BodyBudget {
  let inFlight = 0;
  const queue: Waiter[] = [];

  const fits = (size: number) => inFlight === 0 || inFlight + size <= options.budgetBytes;

  function admitWaiting(): void {
    // first come, first served: a large body is not overtaken for ever by smaller ones behind it
    while (queue.length && fits(queue[0].size)) queue.shift()!.admit();
  }

  function enter(size: number, res: Response): void {
    inFlight += size;
    res.once('close', () => {
      inFlight -= size;
      admitWaiting();
    });
  }

  const handler = ((req: Request, res: Response, next: NextFunction) => {
    const size = bodySize(req, options.largestBodyBytes);
    if (size < options.thresholdBytes || size > options.largestBodyBytes) return next();
    if (queue.length === 0 && fits(size)) {
      enter(size, res);
      return next();
    }
    const waiter: Waiter = {
      size,
      admit() {
        clearTimeout(timer);
        enter(size, res);
        next();
      },
    };
    // a client that gives up is not seen while its body waits unread (a paused socket reports no close): it keeps its
    // place until its wait ends, or is let in and fails at the first read of its body
    const timer = setTimeout(() => {
      queue.splice(queue.indexOf(waiter), 1);
      // the body was never read: the connection cannot carry another request
      res.set('Connection', 'close');
      next(new HubError(503, 'service.busy', 'The hub is processing other large requests; send this one again shortly.', {}, { 'Retry-After': '5' }));
    }, options.maxWaitMs);
    timer.unref(); // the waiting socket keeps the process up; a stopping hub does not wait for the timer
    queue.push(waiter);
  }) as BodyBudget;
  handler.inFlightBytes = () => inFlight;
  handler.waiting = () => queue.length;
  return handler;
}

/** The body's length as announced; a body of unknown length (chunked) counts as the largest allowed; none: 0. */
function bodySize(req: Request, unknownLengthBytes: number): number {
  const length = req.headers['content-length'];
  if (length !== undefined) {
    const n = Number(length);
    return Number.isSafeInteger(n) && n >= 0 ? n : unknownLengthBytes;
  }
  return req.headers['transfer-encoding'] ? unknownLengthBytes : 0;
}
