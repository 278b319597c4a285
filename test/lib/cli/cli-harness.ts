import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startLocalProcess, type LocalProcess } from '../../../lambda/local/local-process';

/**
 * The `sici` command line as a user runs it: `node bin/sici.js …` in its own process, against a
 * local control plane (one per test file, started as `npm start` starts it) on a free port with
 * its own data folder. The command
 * finds the plane's credentials file through SICI_DATA_DIR, as after `npm start`; nothing else of
 * the test's environment (AWS_PROFILE, ~/.aws) reaches it.
 */

export const PROJECT_ROOT = resolve(__dirname, '../../..');
const SICI = join(PROJECT_ROOT, 'bin', 'sici.js');

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface TestPlane {
  readonly plane: LocalProcess;
  readonly url: string;
  readonly dataDir: string;
  /** A folder for the test's own files (removed with the plane). */
  readonly scratch: string;
  /** Runs `sici <args>` against this plane; `env` adds to (or, with undefined, removes from) the command's environment. */
  sici(args: readonly string[], env?: Record<string, string | undefined>): Promise<RunResult>;
  /** `sici <args> --output json`, expecting exit 0; the document printed. */
  json<T = Json>(args: readonly string[], env?: Record<string, string | undefined>): Promise<T>;
  /** The ingest token the local deployer keeps for the cluster's engine. */
  ingestToken(clusterId: string): string;
  /** Stops the plane and starts it again on the same data folder, e.g. with a changed configuration (as after a deploy). */
  restart(options?: PlaneOptions): Promise<void>;
  stop(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API documents, read field by field
export type Json = Record<string, any>;

/** Runs `node bin/sici.js <args>` with exactly `env` (plus PATH), in `cwd`. */
export function runSici(args: readonly string[], env: Record<string, string | undefined>, cwd: string): Promise<RunResult> {
  const environment: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const [name, value] of Object.entries(env)) if (value !== undefined) environment[name] = value;
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [SICI, ...args], { cwd, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

export interface PlaneOptions {
  /** Changes to config/platform.json for this plane (written to a file of its own). */
  readonly config?: (config: Json) => void;
}

export async function startTestPlane(options: PlaneOptions = {}): Promise<TestPlane> {
  const scratch = mkdtempSync(join(tmpdir(), 'sici-cli-'));
  const dataDir = join(scratch, 'data');
  const startPlane = (planeOptions: PlaneOptions) => {
    let configFile = join(PROJECT_ROOT, 'config', 'platform.json');
    if (planeOptions.config) {
      const document = JSON.parse(readFileSync(configFile, 'utf8')) as Json;
      planeOptions.config(document);
      configFile = join(scratch, 'platform.json');
      writeFileSync(configFile, JSON.stringify(document, null, 2));
    }
    return startLocalProcess(dataDir, { args: ['--config', configFile, '--quiet'] });
  };
  const stopPlane = async (running: LocalProcess) => {
    const code = await running.stop();
    if (code !== 0) throw new Error(`the local control plane exited with ${code}:\n${running.output()}`);
  };
  let plane = await startPlane(options);
  const home = join(scratch, 'home');
  const sici = (args: readonly string[], env: Record<string, string | undefined> = {}) =>
    runSici(args, { HOME: home, SICI_ENDPOINT: plane.url, SICI_DATA_DIR: dataDir, ...env }, scratch);
  return {
    get plane() {
      return plane;
    },
    get url() {
      return plane.url;
    },
    dataDir,
    scratch,
    sici,
    json: async <T = Json>(args: readonly string[], env?: Record<string, string | undefined>) => {
      const run = await sici([...args, '--output', 'json'], env);
      if (run.code !== 0) throw new Error(`sici ${args.join(' ')} exited ${run.code}:\n${run.stderr}`);
      return JSON.parse(run.stdout) as T;
    },
    ingestToken: (clusterId) => readFileSync(join(dataDir, 'deployments', clusterId, 'ingest-token'), 'utf8'),
    restart: async (planeOptions = {}) => {
      await stopPlane(plane);
      plane = await startPlane(planeOptions);
    },
    stop: async () => {
      await stopPlane(plane);
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
