import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_DYNAMODB_CREDENTIALS, serveDynalite, startLocalDynamoDB } from '../../../lambda/local/local-dynamodb';

/**
 * A local data folder made before an index of the key design existed (the fleet index gsi3): dynalite
 * cannot add an index to a table, so the start refuses it and says what to do, rather than serving
 * routes that would fail on the missing index.
 */

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'sici-old-data-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

it('a state table without gsi3 stops the start, naming the index and the way out; a current folder starts again', async () => {
  const old = await serveDynalite({ path: folder });
  const client = new DynamoDBClient({ endpoint: old.endpoint, region: 'us-east-1', credentials: LOCAL_DYNAMODB_CREDENTIALS });
  const index = (name: string) => ({ IndexName: name, KeySchema: [{ AttributeName: `${name}pk`, KeyType: 'HASH' as const }, { AttributeName: `${name}sk`, KeyType: 'RANGE' as const }], Projection: { ProjectionType: 'ALL' as const } });
  await client.send(
    new CreateTableCommand({
      TableName: 'sici-state',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'].map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      GlobalSecondaryIndexes: [index('gsi1'), index('gsi2')],
    }),
  );
  client.destroy();
  await old.close();

  await expect(startLocalDynamoDB({ path: folder })).rejects.toThrow(/sici-state was made by an older SICI: it lacks the index\(es\) gsi3.*new data folder/);

  rmSync(folder, { recursive: true, force: true });
  const fresh = await startLocalDynamoDB({ path: folder });
  await fresh.close();
  const again = await startLocalDynamoDB({ path: folder });
  expect(again.tables).toEqual({ state: 'sici-state', audit: 'sici-audit' });
  await again.close();
});
