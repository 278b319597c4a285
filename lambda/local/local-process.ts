import { spawn, type ChildProcess } from 'node:child_process';

/** The local control plane started as `npm start` starts it, in its own process, on a free port. */
export interface LocalProcess {
  readonly url: string;
  readonly process: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** Ctrl-C, as a user would; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export function startLocalProcess(dataDir: string, args: string[] = []): Promise<LocalProcess> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bin/local.ts', ...args], {
    env: { ...process.env, PORT: '0', SICI_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (!match) return;
      child.stdout.off('data', onData);
      resolve({
        url: match[1],
        process: child,
        output: () => output,
        stop: () => {
          if (child.exitCode === null) child.kill('SIGINT');
          return exited;
        },
      });
    };
    child.stdout.on('data', onData);
    void exited.then((code) => reject(new Error(`local control plane exited with ${code}:\n${output}`)));
  });
}
