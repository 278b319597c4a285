import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  type AttributeValue,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { AUDIT_TABLE_KEYS, STATE_TABLE_KEYS, type TableKeys } from '../core/tables';
import { TransactionCanceled, WriteSerializer, transactWriteItems } from './transactions';

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
}

const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

/**
 * A real DynamoDB implementation (dynalite) on a loopback port, with SICI's tables created from
 * the same key design as the CDK stack, and `TransactWriteItems` added (see ./transactions.ts).
 */
export async function startLocalDynamoDB(options: LocalDynamoDBOptions = {}): Promise<LocalDynamoDB> {
  if (options.path) mkdirSync(options.path, { recursive: true });
  const backend: Server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await listen(backend);
  const backendPort = (backend.address() as AddressInfo).port;
  const backendClient = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${backendPort}`,
    region: 'us-east-1',
    credentials: LOCAL_DYNAMODB_CREDENTIALS,
  });

  const tables = { state: options.stateTableName ?? 'sici-state', audit: options.auditTableName ?? 'sici-audit' };
  const keysByTable: Record<string, TableKeys> = { [tables.state]: STATE_TABLE_KEYS, [tables.audit]: AUDIT_TABLE_KEYS };
  const keyOf = (tableName: string, item: Record<string, AttributeValue>) => {
    const keys = keysByTable[tableName];
    if (!keys) throw new Error(`Requested resource not found: table ${tableName}`);
    return { [keys.partitionKey]: item[keys.partitionKey], [keys.sortKey]: item[keys.sortKey] };
  };

  const writes = new WriteSerializer();
  const front = createServer(async (req, res) => {
    const body = await readBody(req);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    if (operation === 'TransactWriteItems') {
      const input = JSON.parse(body.toString('utf8')) as { TransactItems: TransactWriteItem[] };
      try {
        await writes.run(() => transactWriteItems(backendClient, input.TransactItems, keyOf));
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
      } catch (error) {
        const payload =
          error instanceof TransactionCanceled
            ? { __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException', message: error.message, CancellationReasons: error.reasons }
            : { __type: 'com.amazon.coral.validate#ValidationException', message: (error as Error).message };
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(payload));
      }
      return;
    }
    const forward = () => proxy(req, body, backendPort, res);
    if (WRITE_OPERATIONS.has(operation)) await writes.run(forward);
    else await forward();
  });
  await listen(front);
  const endpoint = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_DYNAMODB_CREDENTIALS });

  await ensureTable(client, tables.state, STATE_TABLE_KEYS);
  await ensureTable(client, tables.audit, AUDIT_TABLE_KEYS);

  return {
    endpoint,
    client,
    tables,
    async close() {
      client.destroy();
      backendClient.destroy();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await new Promise<void>((resolve) => backend.close(() => resolve()));
    },
  };
}

async function ensureTable(client: DynamoDBClient, tableName: string, keys: TableKeys): Promise<void> {
  const { TableNames = [] } = await client.send(new ListTablesCommand({}));
  if (TableNames.includes(tableName)) return;
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

function proxy(req: IncomingMessage, body: Buffer, port: number, res: import('node:http').ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const upstream = httpRequest(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(res);
        answer.on('end', () => resolve());
      },
    );
    upstream.on('error', (error) => {
      res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ __type: 'InternalFailure', message: error.message }));
      resolve();
    });
    upstream.end(body);
  });
}
