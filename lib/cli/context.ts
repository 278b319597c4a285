import type { Command } from 'commander';
import { ApiClient, type Answer, type CallOf } from './api-client';
import { resolveConnection, type Connection, type Env } from './connection';
import type { AnswerOf, OperationId } from '../contract/routes';
import { renderJson, type OutputFormat } from './output';

/**
 * What a command runs with: the process's streams and environment (given, so that the command line
 * runs in-process in tests exactly as in its own process), the global options, and the API client
 * they describe.
 */

export interface Stream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface CliIo {
  readonly stdout: Stream;
  readonly stderr: Stream;
  readonly env: Env;
  readonly cwd: string;
  /** The project the command line belongs to: where the local control plane keeps its data by default. */
  readonly projectRoot: string;
  readonly stdin?: NodeJS.ReadableStream;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Registers what to do on Ctrl-C while a job is followed; returns the way to unregister it. */
  readonly onInterrupt?: (handler: () => void) => () => void;
}

export interface GlobalOptions {
  readonly endpoint?: string;
  readonly profile?: string;
  readonly region?: string;
  readonly output: OutputFormat;
}

export class CommandContext {
  private apiClient?: ApiClient;

  constructor(
    readonly io: CliIo,
    readonly options: GlobalOptions,
  ) {}

  get json(): boolean {
    return this.options.output === 'json';
  }

  get connection(): Connection {
    return this.client.connection;
  }

  get client(): ApiClient {
    this.apiClient ??= new ApiClient(resolveConnection(this.options, this.io.env, this.io.cwd, this.io.projectRoot), { fetch: this.io.fetch });
    return this.apiClient;
  }

  now(): number {
    return this.io.now?.() ?? Date.now();
  }

  sleep(ms: number): Promise<void> {
    return this.io.sleep?.(ms) ?? new Promise((resolve) => setTimeout(resolve, ms));
  }

  call<Id extends OperationId>(id: Id, call?: CallOf<Id>): Promise<Answer<AnswerOf<Id>>> {
    return this.client.call(id, call);
  }

  /** Prints a document: as JSON with --output json, else as `table` renders it. */
  print<T>(document: T, table: (document: T) => string): void {
    this.io.stdout.write(this.json ? renderJson(document) : table(document));
  }

  /** A line for the person at the terminal (on stderr, so that stdout stays the document). */
  note(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }
}

/** The context of the command whose action runs (commander passes the command last). */
export function contextOf(io: CliIo, command: Command): CommandContext {
  return new CommandContext(io, command.optsWithGlobals<GlobalOptions>());
}
