// The hub as a real child process (`node bin/srhub.js ...`), for tests of the command line, signals and crashes.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/srhub.js');

export interface HubProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

export function runSrhub(args: string[], env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Starts `srhub serve` and waits until it prints its URL. */
export async function startHubProcess(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<HubProcess> {
  const run = runSrhub(['serve', ...args], { HOST: '127.0.0.1', PORT: '0', ...env });
  const end = Date.now() + timeoutMs;
  for (;;) {
    const url = /API docs: (http:\/\/[^/\s]+)\/docs/.exec(run.output())?.[1];
    if (url) return { ...run, url };
    if (run.child.exitCode !== null) throw new Error(`srhub exited early: ${run.output()}`);
    if (Date.now() > end) {
      run.child.kill('SIGKILL');
      throw new Error(`srhub did not start: ${run.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
