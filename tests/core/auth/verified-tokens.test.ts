// The memory of checked token signatures (core/auth/authenticate.ts): a token is remembered until it expires, never
// after, and the memory stays bounded. The account and epoch checks that run on every request are tested in tokens.test.ts.
import { verifiedTokens } from '../../../core/auth/authenticate.js';

describe('verified tokens', () => {
  const now = () => Math.floor(Date.now() / 1000);

  it('answers a remembered token until it expires (with the clock tolerance), then forgets it', () => {
    const memory = verifiedTokens();
    const live = { sub: 'client:a', exp: now() + 60 };
    expect(memory.get('t1')).toBeUndefined();
    expect(memory.remember('t1', live)).toBe(live);
    expect(memory.get('t1')).toBe(live);
    // expired longer ago than the tolerance: not answered, so the caller verifies again (and is refused)
    memory.remember('t2', { sub: 'client:a', exp: now() - 31 });
    expect(memory.get('t2')).toBeUndefined();
    // within the 30 s tolerance jose allows, as jwtVerify would accept it
    memory.remember('t3', { sub: 'client:a', exp: now() - 5 });
    expect(memory.get('t3')).toEqual({ sub: 'client:a', exp: expect.any(Number) });
  });

  it('never answers a token it was not given, and stays within its bound', () => {
    const memory = verifiedTokens(2);
    memory.remember('a', { exp: now() + 60 });
    memory.remember('b', { exp: now() + 60 });
    memory.remember('c', { exp: now() + 60 }); // full: starts over
    expect(memory.get('a')).toBeUndefined();
    expect(memory.get('b')).toBeUndefined();
    expect(memory.get('c')).toBeDefined();
    expect(memory.get('a.b.c')).toBeUndefined();
  });
});
