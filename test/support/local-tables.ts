import { connectTables, type Tables } from '../../lambda/core/tables';
import { LOCAL_DYNAMODB_CREDENTIALS, startLocalDynamoDB, type LocalDynamoDB } from '../../lambda/local/local-dynamodb';

/** SICI's two tables in dynalite (a real DynamoDB implementation), in-process, for the tests of one file. */
export async function startLocalTables(): Promise<{ tables: Tables; stop(): Promise<void>; dynamodb: LocalDynamoDB }> {
  const dynamodb = await startLocalDynamoDB();
  const tables = connectTables(dynamodb.tables.state, dynamodb.tables.audit, {
    endpoint: dynamodb.endpoint,
    region: 'us-east-1',
    credentials: LOCAL_DYNAMODB_CREDENTIALS,
  });
  return {
    tables,
    dynamodb,
    async stop() {
      tables.doc.destroy();
      await dynamodb.close();
    },
  };
}
