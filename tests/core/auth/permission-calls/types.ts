// The shapes of tests/core/auth/permissions.test.ts's rows, so each part keeps its operations' rows in a file of its own.

export interface Fixture {
  householdId: string;
  personId: string;
  userId: string;
}

export type Call = (f: Fixture) => { method: string; path: string; body?: unknown; ifMatch?: number; form?: Record<string, string> };
