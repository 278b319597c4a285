import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { randomBytes } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { loadPlatformConfig } from '../lib/config/load-platform-config';
import type { JobAccepted } from '../lib/contract/api';
import { ROUTES } from '../lib/contract/routes';
import { ALL_OPERATIONS } from '../lambda/api/all-operations';
import type { Dependencies } from '../lambda/api/operation';
import { createRouter } from '../lambda/api/router';
import { clusterKey } from '../lambda/core/cluster-store';
import { recordIngestToken } from '../lambda/core/ingest-tokens';
import { connectTables, type Tables } from '../lambda/core/tables';
import { DAY_MS } from '../lambda/core/usage-hours';
import { LOCAL_DYNAMODB_CREDENTIALS, startLocalDynamoDB } from '../lambda/local/local-dynamodb';
import { startLocalProcess } from '../lambda/local/local-process';
import { SigV4Client } from '../lambda/local/sigv4-client';
import type { LocalIdentity } from '../lambda/local/sigv4-verifier';
import { queryEvent } from '../test/fixtures/query-events';

export interface UsageIngestFigures {
  readonly events: number;
  readonly concurrency: number;
  readonly eventsPerSecond: number;
  readonly usageQuery: { readonly requests: number; readonly windows: number; readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
  /** What one 90-day usage request reads from DynamoDB: requests by command (a Query page is one), items, and the read capacity units DynamoDB reports. */
  readonly reads: { readonly requests: Readonly<Record<string, number>>; readonly items: number; readonly readCapacityUnits: number };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/**
 * The ingest route and the usage report through the local control plane, as `npm start --hold-jobs`
 * runs it (the API alone): one ACTIVE S cluster with its ingest token, `events`
 * QueryCompletedEvents posted at `concurrency` (spread over the last 90 days, so every hour of them
 * has a window), then the 90-day usage report at day granularity, and, once the server has stopped,
 * the DynamoDB reads of one such request, counted on its data folder.
 */
export async function benchUsageIngest(events = 10_000, concurrency = 32, usageRequests = 200): Promise<UsageIngestFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sici-bench-usage-'));
  try {
    const { clusterId, token } = await activeCluster(dataDir);
    // The API alone, as its Lambdas run in AWS: no workflow or collector sharing the cores.
    const plane = await startLocalProcess(dataDir, { args: ['--hold-jobs', '--quiet'] });
    const now = Date.now();
    const from = new Date(now - 90 * DAY_MS).toISOString();
    const to = new Date(now).toISOString();
    const usagePath = `/clusters/${clusterId}/usage`;
    let figures: Omit<UsageIngestFigures, 'reads'>;
    try {
      const bodies = Array.from({ length: events }, (_, n) =>
        JSON.stringify(
          queryEvent(n % 4 === 3 ? 'failed' : 'finished', { n, endTime: now - 90 * DAY_MS + Math.floor(((n + 0.5) / events) * 90 * DAY_MS), cpuMs: 1000 + (n % 7), scannedBytes: 1_000_000 * (n % 13) }),
        ),
      );
      const limit = pLimit(concurrency);
      const post = (body: string) =>
        limit(async () => {
          const response = await fetch(`${plane.url}/clusters/${clusterId}/queries`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
          await response.arrayBuffer();
          if (response.status !== 202) throw new Error(`ingest answered ${response.status}`);
        });
      await Promise.all(bodies.slice(0, concurrency).map(post)); // warm-up (counted, as any event)
      const started = performance.now();
      await Promise.all(bodies.slice(concurrency).map(post));
      const eventsPerSecond = Math.round((events - concurrency) / ((performance.now() - started) / 1000));

      const team = teamClient(dataDir, plane.url);
      const path = `${usagePath}?from=${from}&granularity=day&to=${to}`;
      const latencies: number[] = [];
      let windows = 0;
      for (let i = 0; i < usageRequests + 10; i++) {
        const t0 = performance.now();
        const response = await team.fetch('GET', path);
        const report = (await response.json()) as { windows: unknown[] };
        if (response.status !== 200) throw new Error(`usage answered ${response.status}`);
        if (i >= 10) latencies.push(performance.now() - t0); // the first ten warm up
        windows = report.windows.length;
      }
      latencies.sort((a, b) => a - b);
      figures = {
        events,
        concurrency,
        eventsPerSecond,
        usageQuery: { requests: latencies.length, windows, p50Ms: +percentile(latencies, 50).toFixed(1), p99Ms: +percentile(latencies, 99).toFixed(1), maxMs: +latencies.at(-1)!.toFixed(1) },
      };
    } finally {
      await plane.stop();
    }
    return { ...figures, reads: await readsOfUsageRequest(dataDir, usagePath, { from, granularity: 'day', to }) };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const teamClient = (dataDir: string, url: string) =>
  new SigV4Client(url, (JSON.parse(readFileSync(join(dataDir, 'identities.json'), 'utf8')) as Record<string, LocalIdentity>)['sici-team-a']);

/**
 * A cluster of team-a, ACTIVE with an ingest token, as a deploy leaves it: created through the API,
 * then (the server stopped) given the state the workflow would give it, on the data folder.
 */
async function activeCluster(dataDir: string): Promise<{ clusterId: string; token: string }> {
  const plane = await startLocalProcess(dataDir, { args: ['--hold-jobs', '--quiet'] });
  let clusterId: string;
  try {
    const response = await teamClient(dataDir, plane.url).fetch('POST', '/clusters', JSON.stringify({ environment: 'dev', tier: 'S' }));
    clusterId = ((await response.json()) as JobAccepted).cluster.clusterId;
  } finally {
    await plane.stop();
  }
  const token = randomBytes(48).toString('base64url');
  await withTables(dataDir, async (tables) => {
    await tables.doc.send(
      new UpdateCommand({ TableName: tables.stateTable, Key: clusterKey(clusterId), UpdateExpression: 'SET #status = :active REMOVE activeJobId', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':active': 'ACTIVE' } }),
    );
    await recordIngestToken(tables, clusterId, token);
  });
  return { clusterId, token };
}

async function withTables<T>(dataDir: string, work: (tables: Tables) => Promise<T>): Promise<T> {
  const dynamodb = await startLocalDynamoDB({ path: join(dataDir, 'dynamodb') });
  const tables = connectTables(dynamodb.tables.state, dynamodb.tables.audit, { endpoint: dynamodb.endpoint, region: 'us-east-1', credentials: LOCAL_DYNAMODB_CREDENTIALS });
  try {
    return await work(tables);
  } finally {
    tables.doc.destroy();
    await dynamodb.close();
  }
}

/**
 * The DynamoDB reads of one 90-day usage request, counted on the stopped server's data folder: the
 * same request through the same router and operations in this process, on a host that has resolved
 * no caller yet, every read command counted with the capacity DynamoDB (dynalite) reports for it.
 */
async function readsOfUsageRequest(dataDir: string, path: string, query: Record<string, string>): Promise<UsageIngestFigures['reads']> {
  return withTables(dataDir, async (tables) => {
    const byCommand = new Map<string, number>();
    let items = 0;
    let readCapacityUnits = 0;
    tables.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { ReturnConsumedCapacity?: string };
        input.ReturnConsumedCapacity = 'TOTAL';
        const result = await next(args);
        const output = result.output as { Items?: unknown[]; Item?: unknown; Responses?: Record<string, unknown[]>; ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] };
        const command = context.commandName ?? 'unknown';
        byCommand.set(command, (byCommand.get(command) ?? 0) + 1);
        items += output.Items?.length ?? (output.Item ? 1 : 0) + Object.values(output.Responses ?? {}).reduce((sum, found) => sum + found.length, 0);
        for (const used of [output.ConsumedCapacity ?? []].flat()) readCapacityUnits += used.CapacityUnits ?? 0;
        return result;
      },
      { step: 'initialize', name: 'countReads' },
    );
    const deps: Dependencies = {
      tables,
      config: loadPlatformConfig(),
      jobStarter: { start: async () => undefined },
      now: () => new Date(),
      callerTtlMs: 0,
      warn: () => undefined,
    };
    const identity = (JSON.parse(readFileSync(join(dataDir, 'identities.json'), 'utf8')) as Record<string, LocalIdentity>)['sici-team-a'];
    const response = await createRouter(ROUTES, ALL_OPERATIONS, deps)({
      method: 'GET',
      path,
      query: Object.fromEntries(Object.entries(query).map(([name, value]) => [name, [value]])),
      headers: {},
      principalArn: identity.principalArn,
      sourceIp: '127.0.0.1',
      requestId: 'bench-reads',
    });
    if (response.status !== 200) throw new Error(`usage answered ${response.status} in process: ${response.body}`);
    return { requests: Object.fromEntries(byCommand), items, readCapacityUnits };
  });
}
