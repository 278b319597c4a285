import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  type AttributeValue,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { AUDIT_TABLE_KEYS, STATE_TABLE_KEYS, type TableKeys } from '../../lib/contract/tables';
import { DynaliteWire, TransactionCanceled, WriteSerializer, transactWriteItems } from './transactions';

/** Local stand-in credentials: dynalite accepts any signature. */
export const LOCAL_DYNAMODB_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalDynamoDB {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly tables: { state: string; audit: string };
  close(): Promise<void>;
}

export interface LocalDynamoDBOptions {
  /** Folder where dynalite persists its LevelDB store; in memory when omitted. */
  readonly path?: string;
  readonly stateTableName?: string;
  readonly auditTableName?: string;
  /**
   * Run dynalite on a worker thread, so the database and the API share the machine's cores
   * instead of one event loop (the local control plane does; tests keep it in-process).
   */
  readonly inWorker?: boolean;
}

interface DynaliteServer {
  endpoint: string;
  close(): Promise<void>;
}

const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

/**
 * A real DynamoDB implementation (dynalite) on a loopback port, with SICI's tables created from
 * the same key design as the CDK stack, and `TransactWriteItems` added (see ./transactions.ts).
 */
export async function startLocalDynamoDB(options: LocalDynamoDBOptions = {}): Promise<LocalDynamoDB> {
  const tables = tableNames(options);
  const server = options.inWorker ? await serveDynaliteInWorker({ ...options, inWorker: false }) : await serveDynalite(options);
  const client = new DynamoDBClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: LOCAL_DYNAMODB_CREDENTIALS });
  try {
    await ensureTable(client, tables.state, STATE_TABLE_KEYS);
    await ensureTable(client, tables.audit, AUDIT_TABLE_KEYS);
  } catch (error) {
    // A folder that cannot be used is let go, so that the caller can move it away.
    client.destroy();
    await server.close();
    throw error;
  }
  return {
    endpoint: server.endpoint,
    client,
    tables,
    async close() {
      client.destroy();
      await server.close();
    },
  };
}

const tableNames = (options: LocalDynamoDBOptions) => ({
  state: options.stateTableName ?? 'sici-state',
  audit: options.auditTableName ?? 'sici-audit',
});

function serveDynaliteInWorker(options: LocalDynamoDBOptions): Promise<DynaliteServer> {
  const workerFile = join(__dirname, `dynamodb-worker${extname(__filename)}`);
  // Under ts-node or jest the worker compiles its TypeScript the same way.
  const worker = __filename.endsWith('.ts')
    ? new Worker(`require('ts-node').register({ transpileOnly: true }); require(${JSON.stringify(workerFile)});`, { eval: true, workerData: options })
    : new Worker(workerFile, { workerData: options });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: { endpoint: string }) =>
      resolve({
        endpoint: message.endpoint,
        close: () =>
          new Promise<void>((done) => {
            worker.once('message', () => void worker.terminate().then(() => done()));
            worker.postMessage('close');
          }),
      }),
    );
  });
}

/** dynalite with SICI's additions, listening on a loopback port of this thread. */
export async function serveDynalite(options: LocalDynamoDBOptions): Promise<DynaliteServer> {
  if (options.path) mkdirSync(options.path, { recursive: true });
  const backend: Server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await listen(backend);
  const backendPort = (backend.address() as AddressInfo).port;
  const backendWire = new DynaliteWire(backendPort);

  const tables = tableNames(options);
  const keysByTable: Record<string, TableKeys> = { [tables.state]: STATE_TABLE_KEYS, [tables.audit]: AUDIT_TABLE_KEYS };
  const keyOf = (tableName: string, item: Record<string, AttributeValue>) => {
    const keys = keysByTable[tableName];
    if (!keys) throw new Error(`Requested resource not found: table ${tableName}`);
    return { [keys.partitionKey]: item[keys.partitionKey], [keys.sortKey]: item[keys.sortKey] };
  };

  // dynalite's own request handler serves every operation it has, in this server, without a
  // second hop; TransactWriteItems is applied through dynalite's port, outside the write queue.
  const dynaliteHandler = backend.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
  const writes = new WriteSerializer();
  const front = createServer((req, res) => {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    if (operation === 'TransactWriteItems') {
      void readBody(req).then((body) => writes.run(() => transactWrite(body, res)));
    } else if (WRITE_OPERATIONS.has(operation)) {
      void writes.run(() => new Promise<void>((done) => {
        res.once('close', done);
        dynaliteHandler(req, res);
      }));
    } else {
      dynaliteHandler(req, res);
    }
  });
  const transactWrite = async (body: Buffer, res: ServerResponse) => {
    const input = JSON.parse(body.toString('utf8')) as { TransactItems: TransactWriteItem[] };
    try {
      await transactWriteItems(backendWire, input.TransactItems, keyOf);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
    } catch (error) {
      const payload =
        error instanceof TransactionCanceled
          ? { __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException', message: error.message, CancellationReasons: error.reasons }
          : { __type: 'com.amazon.coral.validate#ValidationException', message: (error as Error).message };
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(payload));
    }
  };
  await listen(front);
  return {
    endpoint: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
    async close() {
      backendWire.close();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await new Promise<void>((resolve) => backend.close(() => resolve()));
    },
  };
}

async function ensureTable(client: DynamoDBClient, tableName: string, keys: TableKeys): Promise<void> {
  const { TableNames = [] } = await client.send(new ListTablesCommand({}));
  if (TableNames.includes(tableName)) return requireIndexes(client, tableName, keys);
  const attributes = new Set<string>([keys.partitionKey, keys.sortKey]);
  for (const index of keys.indexes) {
    attributes.add(index.partitionKey);
    attributes.add(index.sortKey);
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: keys.partitionKey, KeyType: 'HASH' },
        { AttributeName: keys.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: keys.indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    }),
  );
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A data folder made before an index of the key design existed (e.g. the fleet index gsi3) cannot be
 * brought up to date in place: dynalite's UpdateTable does not create global secondary indexes, and
 * copying the items into a new table would need a Scan, which nothing under lambda/ does. Starting
 * anyway would fail the routes that read the index; the start stops instead and says what to do.
 */
async function requireIndexes(client: DynamoDBClient, tableName: string, keys: TableKeys): Promise<void> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  const missing = keys.indexes.map((index) => index.name).filter((name) => !present.has(name));
  if (missing.length) {
    throw new Error(
      `The local table ${tableName} was made by an older SICI: it lacks the index(es) ${missing.join(', ')}, which dynalite cannot add to an ` +
        'existing table. Start with a new data folder (--data or SICI_DATA_DIR), or move the old one (.sici/local) away.',
    );
  }
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
