// Child processes of a benchmark: the hub (or the bare comparison server) runs in its own process, so the load
// generator in the harness never shares its event loop, and its memory is sampled from the outside (/proc).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { freePort } from '../../core/net/free-port.js';

/** Node's flags for a hub process, as deployed (package.json start, docker/): V8's heap budget (docs/scaling.md). */
export const HUB_NODE_ARGS = ['--max-old-space-size=512'];

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** The largest resident set size seen (MiB): sampled every 100 ms, and the kernel's high-water mark where readable. */
  peakRssMiB(): number;
  /** Starts a new sampling window; returns the peak of the window when called again via windowPeakMiB. */
  resetWindow(): void;
  windowPeakMiB(): number;
  /** CPU seconds (user + system) the process has used so far (Linux /proc; 0 elsewhere): the cost of a measure, read as a difference, holds up better than its wall time on a loaded machine. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** utime + stime of a process in seconds, from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s). */
export function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** VmRSS and VmHWM (peak) of a process in MiB, from /proc (Linux); ps elsewhere (no peak there). */
function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/**
 * Starts `node <args>` with these environment additions (its stdout appended to `logFile`, if given), waits until
 * GET <readyPath> answers 2xx, and samples its memory until stopped.
 */
export async function startServerProcess(args: string[], env: NodeJS.ProcessEnv, readyPath = '/ready', logFile?: string, timeoutMs = 300_000): Promise<ServerProcess> {
  const port = await freePort();
  // its log (warnings and errors only) to a file, so a failed request's cause can be looked up by its request id
  const out = logFile ? openSync(logFile, 'a') : 'ignore';
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', out, 'inherit'],
  });
  if (typeof out === 'number') closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  let peak = 0;
  let window = 0;
  const sample = () => {
    const m = child.pid ? memoryOf(child.pid) : null;
    if (!m) return;
    peak = Math.max(peak, m.rss, m.hwm);
    window = Math.max(window, m.rss);
  };
  const timer = setInterval(sample, 100);
  timer.unref();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    sample();
    clearInterval(timer);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    }
  };
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode} before it was ready`);
    const ready = await fetch(url + readyPath).then((r) => r.ok, () => false);
    if (ready) {
      return {
        child,
        url,
        peakRssMiB: () => (sample(), Math.round(peak)),
        resetWindow: () => {
          window = 0;
          sample();
        },
        windowPeakMiB: () => (sample(), Math.round(window)),
        cpuSeconds: () => (child.pid ? cpuSecondsOf(child.pid) : 0),
        stop,
      };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`${args.join(' ')} was not ready within ${timeoutMs / 1000} s`);
}
