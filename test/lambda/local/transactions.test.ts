import { GetItemCommand, PutItemCommand, TransactWriteItemsCommand, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { startLocalDynamoDB, type LocalDynamoDB } from '../../../lambda/local/local-dynamodb';

/** The TransactWriteItems the local control plane adds to dynalite keeps AWS's all-or-nothing contract. */
let db: LocalDynamoDB;
beforeAll(async () => {
  db = await startLocalDynamoDB();
});
afterAll(() => db.close());

const key = (pk: string) => ({ pk: { S: pk }, sk: { S: 'X' } });
const get = async (pk: string) => (await db.client.send(new GetItemCommand({ TableName: db.tables.state, Key: key(pk), ConsistentRead: true }))).Item;

it('applies every write when every condition holds', async () => {
  await db.client.send(
    new TransactWriteItemsCommand({
      TransactItems: [
        { Put: { TableName: db.tables.state, Item: { ...key('a'), n: { N: '1' } }, ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { TableName: db.tables.audit, Item: { ...key('a'), what: { S: 'made a' } } } },
      ],
    }),
  );
  expect(await get('a')).toMatchObject({ n: { N: '1' } });
});

it('undoes earlier writes and reports the failed item when a later condition fails', async () => {
  await db.client.send(new PutItemCommand({ TableName: db.tables.state, Item: { ...key('b'), n: { N: '5' } } }));
  const attempt = db.client.send(
    new TransactWriteItemsCommand({
      TransactItems: [
        { Update: { TableName: db.tables.state, Key: key('b'), UpdateExpression: 'SET n = n + :one', ExpressionAttributeValues: { ':one': { N: '1' } } } },
        { Put: { TableName: db.tables.state, Item: { ...key('c') } } },
        { Delete: { TableName: db.tables.state, Key: key('a') } },
        { ConditionCheck: { TableName: db.tables.state, Key: key('b'), ConditionExpression: 'n > :big', ExpressionAttributeValues: { ':big': { N: '100' } } } },
      ],
    }),
  );
  const error = await attempt.catch((e) => e);
  expect(error).toBeInstanceOf(TransactionCanceledException);
  expect(error.CancellationReasons.map((r: { Code: string }) => r.Code)).toEqual(['None', 'None', 'None', 'ConditionalCheckFailed']);
  expect(await get('b')).toMatchObject({ n: { N: '5' } });
  expect(await get('c')).toBeUndefined();
  expect(await get('a')).toMatchObject({ n: { N: '1' } });
});

it('serializes concurrent transactions on one item: conditional increments never overshoot', async () => {
  await db.client.send(new PutItemCommand({ TableName: db.tables.state, Item: { ...key('counter'), n: { N: '0' } } }));
  const results = await Promise.allSettled(
    Array.from({ length: 20 }, () =>
      db.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Update: {
                TableName: db.tables.state,
                Key: key('counter'),
                UpdateExpression: 'SET n = n + :one',
                ConditionExpression: 'n < :max',
                ExpressionAttributeValues: { ':one': { N: '1' }, ':max': { N: '7' } },
              },
            },
          ],
        }),
      ),
    ),
  );
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(7);
  expect(await get('counter')).toMatchObject({ n: { N: '7' } });
});
