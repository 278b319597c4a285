import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { loadPlatformConfig } from '../../lib/config/load-platform-config';
import type { ProvisioningJob } from '../../lib/contract/api';
import { ROUTES } from '../../lib/contract/routes';
import { ALL_OPERATIONS } from '../../lambda/api/all-operations';
import { createRouter } from '../../lambda/api/router';
import type { Dependencies } from '../../lambda/api/operation';
import type { ApiResponse } from '../../lambda/api/http';
import type { FleetWorkStarter } from '../../lambda/core/fleet-work';
import type { JobStarter } from '../../lambda/core/job-starter';
import { connectTables, type Tables } from '../../lambda/core/tables';
import { LOCAL_DYNAMODB_CREDENTIALS, startLocalDynamoDB, type LocalDynamoDB } from '../../lambda/local/local-dynamodb';

/** A key of the state table, as a store module builds it. */
export type StoredKey = Record<string, string>;

export const ADMIN = loadPlatformConfig('config/platform.json').admins[0];
export const principalOf = (name: string) => `arn:aws:iam::123456789012:role/${name}`;

export interface CallOptions {
  body?: unknown;
  rawBody?: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
}

export interface Answer extends ApiResponse {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers field by field; their documents are checked against the schemas by the route tests
  json: any;
}

/**
 * The API's router and operations over a real DynamoDB implementation (dynalite), called
 * in-process as API Gateway would call a Lambda with an authenticated principal.
 */
export class ApiHarness {
  readonly startedJobs: ProvisioningJob[] = [];
  failJobStarts = false;
  private requestCounter = 0;
  private constructor(
    readonly dynamodb: LocalDynamoDB,
    readonly tables: Tables,
    readonly route: ReturnType<typeof createRouter>,
    readonly deps: Dependencies,
  ) {}

  /** `jobStarter` replaces the recording starter, e.g. with the local workflow built from the harness's tables. */
  static async start(
    options: {
      jobStarter?: (tables: Tables, config: Dependencies['config']) => JobStarter;
      /** Carries out fleet operations (e.g. the local fleet worker on the harness's tables). @default none: those routes answer 503 */
      fleetWork?: (tables: Tables, config: Dependencies['config']) => FleetWorkStarter;
    } = {},
  ): Promise<ApiHarness> {
    const dynamodb = await startLocalDynamoDB();
    const tables = connectTables(dynamodb.tables.state, dynamodb.tables.audit, {
      endpoint: dynamodb.endpoint,
      region: 'us-east-1',
      credentials: LOCAL_DYNAMODB_CREDENTIALS,
    });
    const config = loadPlatformConfig('config/platform.json');
    const custom = options.jobStarter?.(tables, config);
    const deps: Dependencies = {
      tables,
      config,
      jobStarter: {
        async start(job) {
          if (harness.failJobStarts) throw new Error('workflow unavailable');
          harness.startedJobs.push(job);
          await custom?.start(job);
        },
      },
      now: () => new Date(),
      fleetWork: options.fleetWork?.(tables, config),
      warn: () => undefined,
    };
    const harness = new ApiHarness(dynamodb, tables, createRouter(ROUTES, ALL_OPERATIONS, deps), deps);
    return harness;
  }

  async stop(): Promise<void> {
    this.tables.doc.destroy();
    await this.dynamodb.close();
  }

  async call(principal: string | undefined, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    const query = Object.fromEntries(
      Object.entries(options.query ?? {}).map(([name, value]) => [name, Array.isArray(value) ? value : [value]]),
    );
    const hasBody = options.rawBody !== undefined || options.body !== undefined;
    const response = await this.route({
      method,
      path,
      query,
      headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...options.headers },
      body: options.rawBody ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined),
      principalArn: principal,
      sourceIp: '192.0.2.10',
      requestId: `req-${++this.requestCounter}`,
    });
    return { ...response, json: response.body ? JSON.parse(response.body) : undefined };
  }

  async registerTeam(
    teamId: string,
    principals: string[],
    entitlements = { tiers: ['S', 'M', 'L'], environments: ['dev', 'test'], maxClusters: 5 },
    groups: { name: string; role: string }[] = [],
  ) {
    const answer = await this.call(ADMIN, 'PUT', `/teams/${teamId}`, { body: { principals, entitlements, groups } });
    if (answer.status !== 200) throw new Error(`registerTeam ${teamId}: ${answer.status} ${answer.body}`);
    return answer.json;
  }

  /**
   * Sets (and removes) attributes of a stored item directly: how tests put an entity in the state a
   * workflow would leave it in (e.g. a cluster ACTIVE with no job in flight) without running one.
   */
  async setFields(key: StoredKey, set: Record<string, unknown>, remove: string[] = []): Promise<void> {
    const names = Object.keys(set);
    await this.tables.doc.send(
      new UpdateCommand({
        TableName: this.tables.stateTable,
        Key: key,
        UpdateExpression: [
          names.length ? `SET ${names.map((_, i) => `#s${i} = :s${i}`).join(', ')}` : '',
          remove.length ? `REMOVE ${remove.map((_, i) => `#r${i}`).join(', ')}` : '',
        ].join(' '),
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: Object.fromEntries([...names.map((name, i) => [`#s${i}`, name]), ...remove.map((name, i) => [`#r${i}`, name])]),
        ...(names.length ? { ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:s${i}`, set[name]])) } : {}),
      }),
    );
  }

  /** What `Complete job` leaves on the item of a cluster or datasource: its new status, and no job holding it. */
  settle(key: StoredKey, status: string): Promise<void> {
    return this.setFields(key, { status }, ['activeJobId']);
  }

  /** Every item of a table (tests only: the API itself never scans). */
  async items(table: 'state' | 'audit'): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.tables.doc.send(
        new ScanCommand({ TableName: table === 'state' ? this.tables.stateTable : this.tables.auditTable, ExclusiveStartKey: start }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
