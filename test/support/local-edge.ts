import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiRequest } from '../../lambda/api/http';
import { createLocalServer, type LocalServerOptions } from '../../lambda/local/local-server';
import type { LocalIdentity } from '../../lambda/local/sigv4-verifier';
import type { ApiHarness } from './api-harness';
import { send, serialize, signed, type RawRequest, type RawResult, type SendOptions } from './raw-http';

// Jest gives each test file a copy of `process`; the errors that would stop a real process (an
// uncaught exception, an unhandled rejection) are emitted on the real one, reached from a function
// of Node's own realm.
const realProcess = (EventEmitter.constructor as FunctionConstructor)('return process')() as NodeJS.Process;

/**
 * The local control plane's HTTP server (its edge, where API Gateway stands in AWS) over the
 * harness's router, on a free loopback port, with one access key per principal and its access
 * log kept. Every error that would have stopped the process is a crash: it is counted, and the
 * exchange waiting for an answer fails with it at once.
 */
export class LocalEdge {
  readonly crashes: unknown[] = [];
  private readonly crashWaiters = new Set<(error: unknown) => void>();
  private readonly onCrash = (error: unknown) => {
    this.crashes.push(error);
    for (const waiter of this.crashWaiters) waiter(error);
  };

  private constructor(
    readonly server: Server,
    readonly port: number,
    private readonly identities: Map<string, LocalIdentity>,
    /** Every line of the access log so far. */
    readonly accessLog: readonly string[],
    /** The server's own failures (defects), as it reported them. */
    readonly warnings: readonly string[],
    /** The request ids of the requests the server passed on to the router. */
    readonly routed: ReadonlySet<string>,
  ) {
    realProcess.on('uncaughtException', this.onCrash);
    realProcess.on('unhandledRejection', this.onCrash);
  }

  static async start(api: ApiHarness, principals: readonly string[], options: LocalServerOptions = {}): Promise<LocalEdge> {
    const identities = new Map(
      principals.map((principalArn) => {
        const accessKeyId = `AKIALOCAL${randomBytes(6).toString('hex').toUpperCase()}`.slice(0, 20);
        return [accessKeyId, { accessKeyId, secretAccessKey: randomBytes(30).toString('base64url'), principalArn }] as const;
      }),
    );
    const accessLog: string[] = [];
    const warnings: string[] = [];
    const routed = new Set<string>();
    const route = (request: ApiRequest) => {
      routed.add(request.requestId);
      return api.route(request);
    };
    const server = createLocalServer(identities, route, {
      ...options,
      accessLog: (line) => accessLog.push(line),
      warn: (message) => warnings.push(message),
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    return new LocalEdge(server, (server.address() as AddressInfo).port, identities, accessLog, warnings, routed);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  identityOf(principalArn: string): LocalIdentity {
    const identity = [...this.identities.values()].find((candidate) => candidate.principalArn === principalArn);
    if (!identity) throw new Error(`no access key for ${principalArn}`);
    return identity;
  }

  /** Sends `request` as is (unsigned), or signed for `principal`. */
  async send(request: RawRequest, principal?: string): Promise<RawResult> {
    return this.sendRaw(principal ? serialize(await signed(request, this.identityOf(principal))) : serialize(request));
  }

  /** Writes `bytes` on a new connection and reads the answer; rejects if the server crashes meanwhile. */
  sendRaw(bytes: Parameters<typeof send>[1], options?: SendOptions): Promise<RawResult> {
    let waiter!: (error: unknown) => void;
    const crash = new Promise<never>((_, reject) => this.crashWaiters.add((waiter = reject)));
    return Promise.race([send(this.port, bytes, options), crash]).finally(() => this.crashWaiters.delete(waiter));
  }

  stop(): Promise<void> {
    realProcess.off('uncaughtException', this.onCrash);
    realProcess.off('unhandledRejection', this.onCrash);
    this.server.closeAllConnections();
    return new Promise((closed) => this.server.close(() => closed()));
  }
}
