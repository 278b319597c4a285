import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { randomBytes } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { JobAccepted } from '../lib/contract/api';
import { clusterKey } from '../lambda/core/cluster-store';
import { recordIngestToken } from '../lambda/core/ingest-tokens';
import { connectTables, type Tables } from '../lambda/core/tables';
import { DAY_MS, firstHourFrom, lastHourBefore } from '../lambda/core/usage-hours';
import { usageWindows } from '../lambda/core/usage-store';
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
  /** What one 90-day usage query reads: Query calls (pages), items and read capacity units (eventually consistent). */
  readonly reads: { readonly queries: number; readonly items: number; readonly readCapacityUnits: number; readonly bytes: number };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/**
 * The ingest route and the usage report through the local control plane, as `npm start --hold-jobs`
 * runs it (the API alone): one ACTIVE S cluster with its ingest token, `events`
 * QueryCompletedEvents posted at `concurrency` (spread over the last 90 days, so every hour of them
 * has a window), then the 90-day usage report at day granularity, and, once the server has stopped,
 * the DynamoDB reads of that report's query, counted on its data folder.
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
      const path = `/clusters/${clusterId}/usage?from=${from}&granularity=day&to=${to}`;
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
    return { ...figures, reads: await readsOfUsageQuery(dataDir, clusterId, Date.parse(from), Date.parse(to)) };
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

/** The DynamoDB reads of the report's windows query, counted on the stopped server's data folder. */
async function readsOfUsageQuery(dataDir: string, clusterId: string, from: number, to: number): Promise<UsageIngestFigures['reads']> {
  return withTables(dataDir, async (tables) => {
    let queries = 0;
    let bytes = 0;
    let readCapacityUnits = 0;
    tables.doc.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const { Items = [] } = result.output as { Items?: Record<string, unknown>[] };
        // Approximately DynamoDB's item size (names and values); a Query is charged by its page's size, in 4 KB units, halved when eventually consistent.
        const pageBytes = Items.reduce((sum, item) => sum + Buffer.byteLength(JSON.stringify(item)), 0);
        queries++;
        bytes += pageBytes;
        readCapacityUnits += Math.ceil(pageBytes / 4096) / 2;
        return result;
      },
      { step: 'initialize', name: 'countReads' },
    );
    const windows = await usageWindows(tables, clusterId, firstHourFrom(from), lastHourBefore(to));
    return { queries, items: windows.length, readCapacityUnits, bytes };
  });
}
