import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { ENV } from '../../../lib/contract/function-environment';
import { clusterOperations } from '../../../lambda/api/cluster-operations';
import { datasourceOperations } from '../../../lambda/api/datasource-operations';
import { lambdaHandler } from '../../../lambda/api/lambda-adapter';
import { teamOperations } from '../../../lambda/api/team-operations';
import { LOCAL_DYNAMODB_CREDENTIALS } from '../../../lambda/local/local-dynamodb';
import { ADMIN, principalOf } from '../../support/api-harness';
import { startLocalTables } from '../../support/local-tables';

/**
 * The Lambda entry of a route group, as API Gateway invokes it: configured from its environment
 * (the tables in dynalite, the bundled configuration) and given proxy events, hostile ones too.
 */

let local: Awaited<ReturnType<typeof startLocalTables>>;
let teams: ReturnType<typeof lambdaHandler<'teams'>>;
let clusters: ReturnType<typeof lambdaHandler<'clusters'>>;
const saved = { ...process.env };

beforeAll(async () => {
  local = await startLocalTables();
  Object.assign(process.env, {
    [ENV.stateTable]: local.tables.stateTable,
    [ENV.auditTable]: local.tables.auditTable,
    SICI_PLATFORM_CONFIG_JSON: readFileSync('config/platform.json', 'utf8'),
    AWS_ENDPOINT_URL_DYNAMODB: local.dynamodb.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_DYNAMODB_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_DYNAMODB_CREDENTIALS.secretAccessKey,
  });
  teams = lambdaHandler('teams', teamOperations);
  clusters = lambdaHandler('clusters', { ...clusterOperations, ...datasourceOperations });
});
afterAll(async () => {
  process.env = saved;
  await local.stop();
});

let requests = 0;
function event(principal: string, method: string, path: string, more: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: path,
    headers: { 'Content-Type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: `lambda-${++requests}`, identity: { userArn: principal, sourceIp: '192.0.2.1' } } as APIGatewayProxyEvent['requestContext'],
    ...more,
  };
}
const context = {} as Context;

test('serves a route group from its environment: a team is registered, its member lists its clusters', async () => {
  const body = JSON.stringify({ principals: [principalOf('adapter')], entitlements: { tiers: ['S'], environments: ['dev'], maxClusters: 1 } });
  expect((await teams(event(ADMIN, 'PUT', '/teams/adapter', { body }), context)).statusCode).toBe(200);
  const listed = await clusters(event(principalOf('adapter'), 'GET', '/clusters'), context);
  expect([listed.statusCode, JSON.parse(listed.body)]).toEqual([200, { items: [] }]);
});

test('query and header names that are Object.prototype members are just names: refused as unknown, never a crash', async () => {
  for (const name of Object.getOwnPropertyNames(Object.prototype)) {
    const answer = await clusters(
      event(principalOf('adapter'), 'GET', '/clusters', { multiValueQueryStringParameters: { [name]: ['1'] }, headers: { [name]: 'x' } }),
      context,
    );
    const problem = JSON.parse(answer.body) as { errors: { field: string; message: string }[] };
    expect([name, answer.statusCode, problem.errors[0].field, problem.errors[0].message]).toEqual([name, 400, 'query', expect.stringContaining(name)]);
  }
});

test('a base64 body that is not UTF-8 is refused (400), not decoded with replacement characters', async () => {
  const notUtf8 = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('base64');
  const answer = await clusters(event(principalOf('adapter'), 'POST', '/clusters', { body: notUtf8, isBase64Encoded: true }), context);
  expect([answer.statusCode, JSON.parse(answer.body).detail]).toEqual([400, 'The body is not valid UTF-8.']);
  const utf8 = Buffer.from(JSON.stringify({ environment: 'dev', tier: 'S', name: 'ümlaut' })).toString('base64');
  const created = await clusters(event(principalOf('adapter'), 'POST', '/clusters', { body: utf8, isBase64Encoded: true }), context);
  expect(created.statusCode).toBe(400); // "ümlaut" is not a cluster name: the body was read as the UTF-8 it is
  expect(JSON.parse(created.body).errors[0].field).toBe('body.name');
});
