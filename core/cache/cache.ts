// The Cache and Bus interfaces: Redis when REDIS_URL is set, in-memory engines otherwise.

export interface Cache {
  readonly engine: 'redis' | 'memory';
  get(key: string): Promise<string | undefined>;
  /** Stores value for ttlSeconds (no expiry when omitted). */
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  del(key: string): Promise<void>;
  /** Increments a counter, starting its expiry on the first increment; returns the new count. */
  increment(key: string, ttlSeconds: number): Promise<number>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export type BusHandler = (message: string) => void;

/** Messages between hub instances (one process with the memory engine). */
export interface Bus {
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
