import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The local control plane started as `npm start` starts it, in its own process, on a free port. */
export interface LocalProcess {
  readonly url: string;
  /** The process started: npm with `npm: true`, else the control plane's node itself. */
  readonly process: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /**
   * Stops it as a user or a supervisor would, and resolves with the exit code once it has exited:
   * `SIGTERM` to the process started (default); `SIGINT` to its whole process group, as a terminal
   * sends Ctrl-C. Once it resolves, `output` holds everything the process printed.
   */
  stop(signal?: 'SIGTERM' | 'SIGINT'): Promise<number | null>;
}

export interface LocalProcessOptions {
  /** Arguments of bin/local.ts. */
  readonly args?: string[];
  /** Through `npm start` (npm, then the control plane), rather than `npm start`'s command alone. */
  readonly npm?: boolean;
  /** Environment variables besides this process's own (PORT and SICI_DATA_DIR are set). */
  readonly env?: Record<string, string>;
}

export function startLocalProcess(dataDir: string, options: LocalProcessOptions = {}): Promise<LocalProcess> {
  const args = options.args ?? [];
  const [command, commandArgs] = options.npm
    ? ['npm', ['start', '--silent', '--', ...args]]
    : [process.execPath, ['-r', 'ts-node/register/transpile-only', 'bin/local.ts', ...args]];
  const child = spawn(command, commandArgs, {
    cwd: resolve(__dirname, '../..'),
    env: { ...process.env, ...options.env, PORT: '0', SICI_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, as a terminal gives a command: Ctrl-C goes to the whole group.
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // `close`: exited, and everything it printed has been read.
  const exited = new Promise<number | null>((resolveExit) => child.once('close', (code) => resolveExit(code)));
  return new Promise((resolveStart, reject) => {
    const onData = () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (!match) return;
      child.stdout.off('data', onData);
      resolveStart({
        url: match[1],
        process: child,
        output: () => output,
        stop: (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) {
            if (signal === 'SIGINT') process.kill(-child.pid!, 'SIGINT');
            else child.kill(signal);
          }
          return exited;
        },
      });
    };
    child.stdout.on('data', onData);
    void exited.then((code) => reject(new Error(`local control plane exited with ${code}:\n${output}`)));
  });
}

/**
 * The processes that are not yet dead (zombies aside) whose command line or environment names
 * `dataDir`: every process of a local control plane started on it (npm, its node, the synths
 * and the cfn-guard they run, which inherit `SICI_DATA_DIR`). Linux only (reads /proc).
 */
export function processesNaming(dataDir: string): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const state = /^\d+ \(.*\) (\S)/s.exec(readFileSync(`/proc/${entry}/stat`, 'utf8'))?.[1];
      if (state === 'Z' || state === 'X') continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (command.includes(dataDir) || readFileSync(`/proc/${entry}/environ`, 'utf8').includes(dataDir)) found.push({ pid: Number(entry), command });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}
