import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '../../../lib/cli/program';
import type { CliIo } from '../../../lib/cli/context';
import { verifySigV4, type LocalIdentity } from '../../../lambda/local/sigv4-verifier';

/**
 * The command line run in-process (its real program, parser and API client) against a stand-in for
 * SICI's API: an HTTP server on 127.0.0.1 that records each request, checks its SigV4 signature
 * with the local control plane's verifier, and answers what the test says.
 */

export const TEST_IDENTITY: LocalIdentity = {
  accessKeyId: 'AKIATESTCLI000000001',
  secretAccessKey: 'test-secret-of-the-cli-harness',
  principalArn: 'arn:aws:iam::000000000000:role/sici-team-a',
};
export const TEST_PROFILE = 'tester';

export interface RecordedRequest {
  readonly method: string;
  /** The path as sent (percent-encoded). */
  readonly path: string;
  /** Decoded query parameters. */
  readonly query: Record<string, string>;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body parsed (undefined when there is none). */
  readonly json: unknown;
  /** Whether the SigV4 signature verified (as the local control plane verifies it). */
  readonly signature: { ok: boolean; message?: string };
}

export interface FakeAnswer {
  readonly status?: number;
  /** Sent as JSON (problem+json for 4xx/5xx unless `contentType` says otherwise). */
  readonly body?: unknown;
  /** Sent as it is, with `contentType`. */
  readonly text?: string;
  readonly contentType?: string;
}

export type FakeHandler = (request: RecordedRequest) => FakeAnswer | Promise<FakeAnswer>;

export interface FakeApi {
  readonly url: string;
  readonly requests: RecordedRequest[];
  handler: FakeHandler;
  close(): Promise<void>;
}

export async function startFakeApi(handler: FakeHandler = () => ({ status: 200, body: {} })): Promise<FakeApi> {
  const requests: RecordedRequest[] = [];
  const identities = new Map([[TEST_IDENTITY.accessKeyId, TEST_IDENTITY]]);
  const api: { handler: FakeHandler } = { handler };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const [path, search = ''] = (req.url ?? '/').split('?');
        const params = new URLSearchParams(search);
        const queryMap = new Map<string, string[]>();
        for (const [name, value] of params) queryMap.set(name, [...(queryMap.get(name) ?? []), value]);
        const headerMap = new Map(Object.entries(req.headersDistinct).map(([name, values]) => [name, values ?? []]));
        const verification = verifySigV4({ method: req.method ?? 'GET', path, query: queryMap, headers: headerMap, body }, identities);
        const text = body.toString('utf8');
        const recorded: RecordedRequest = {
          method: req.method ?? 'GET',
          path,
          query: Object.fromEntries(params),
          headers: req.headers,
          body: text,
          json: text ? JSON.parse(text) : undefined,
          signature: verification.ok ? { ok: true } : { ok: false, message: verification.message },
        };
        requests.push(recorded);
        const answer = await api.handler(recorded);
        const status = answer.status ?? 200;
        if (answer.text !== undefined) {
          res.writeHead(status, { 'content-type': answer.contentType ?? 'text/plain' }).end(answer.text);
        } else {
          const contentType = answer.contentType ?? (status >= 400 ? 'application/problem+json' : 'application/json');
          res.writeHead(status, { 'content-type': contentType }).end(answer.body === undefined ? '' : JSON.stringify(answer.body));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    get handler() {
      return api.handler;
    },
    set handler(next: FakeHandler) {
      api.handler = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Environment of the run (besides the harness's credentials file). */
  readonly env?: Record<string, string | undefined>;
  readonly stdin?: string;
  /** stderr is a terminal of this width. */
  readonly tty?: number;
  readonly now?: () => number;
  readonly cwd?: string;
  readonly projectRoot?: string;
}

/** A folder with a shared-credentials file holding the harness's profile; removed by `cleanup`. */
export function credentialsFolder(): { dir: string; file: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sici-cli-'));
  const file = join(dir, 'credentials');
  writeFileSync(file, `[${TEST_PROFILE}]\naws_access_key_id = ${TEST_IDENTITY.accessKeyId}\naws_secret_access_key = ${TEST_IDENTITY.secretAccessKey}\n`);
  return { dir, file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `sici <args>` in-process; polls of --wait do not wait. */
export async function runSici(args: readonly string[], credentialsFile: string, options: RunOptions = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.tty !== undefined, columns: options.tty },
    env: { AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_CONFIG_FILE: `${credentialsFile}.no-config`, ...options.env },
    cwd: options.cwd ?? process.cwd(),
    projectRoot: options.projectRoot ?? process.cwd(),
    stdin: options.stdin !== undefined ? Readable.from([Buffer.from(options.stdin)]) : undefined,
    now: options.now,
    sleep: () => new Promise((resolve) => setImmediate(resolve)),
  };
  const code = await runCli(args, io, '9.9.9');
  return { code, stdout, stderr };
}
