import fc from 'fast-check';
import { Problem } from '../../../lib/contract/api';
import { ROUTES, type RouteDefinition } from '../../../lib/contract/routes';
import type { ApiResponse } from '../../../lambda/api/http';
import { ADMIN, ApiHarness, principalOf } from '../../support/api-harness';
import { LocalEdge } from '../../support/local-edge';

/**
 * Random and malformed requests to every route, from a registered caller with the right to call
 * it (so validation, not authorization, is what is tested), each sent twice: to the router, as
 * API Gateway calls a Lambda, and through the local server over a real socket, SigV4-signed.
 * Every answer must be a 4xx problem+json, never a 5xx, the server must answer every request and
 * never crash, and the state table must not change.
 */

const MEMBER = principalOf('fuzz-member');
let api: ApiHarness;
let edge: LocalEdge;
let existingClusterId: string;

beforeAll(async () => {
  api = await ApiHarness.start();
  edge = await LocalEdge.start(api, [MEMBER, ADMIN]);
  await api.registerTeam('fuzz', [MEMBER], { tiers: ['S'], environments: ['dev'], maxClusters: 1 });
  existingClusterId = (await api.call(MEMBER, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } })).json.cluster.clusterId;
});
afterAll(async () => {
  await edge.stop();
  await api.stop();
});

const junkString = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', ' ', '../..', '%00', '🚀', "' OR 1=1 --", '{}', 'null', 'c-'.padEnd(18, 'Z')));
const junkJson = fc.oneof(
  fc.json({ maxDepth: 3 }),
  junkString.map((s) => JSON.stringify(s)),
  fc.constantFrom('{', '[]', 'null', '{"environment":"dev","tier":"S","extra":1}', '{"environment":"prod","tier":"XL"}', '{"principals":[],"entitlements":{}}'),
);

interface Malformed {
  route: RouteDefinition;
  path: string;
  query: Record<string, string[]>;
  headers: Record<string, string>;
  body?: string;
}

function malformedRequest(route: RouteDefinition): fc.Arbitrary<Malformed> {
  const pathWith = (value: string) => route.path.replace(/\{\w+\}/g, encodeURIComponent(value) || 'x');
  const validPath = pathWith(route.path.includes('{clusterId}') ? existingClusterId : route.path.includes('{teamId}') ? 'fuzz' : 'j-0000000000000000');
  const unknownName = fc.oneof(fc.constantFrom(...Object.getOwnPropertyNames(Object.prototype)), fc.string({ minLength: 1, maxLength: 12 }));
  const unknownParam = fc.tuple(unknownName.filter((k) => !['limit', 'nextToken', 'status', 'environment'].includes(k)), junkString);
  const kinds: fc.Arbitrary<Malformed>[] = [
    // An unknown query parameter.
    fc.record({ k: unknownParam }).map(({ k }) => ({ route, path: validPath, query: { [k[0]]: [k[1]] }, headers: {}, body: undefined })),
    // Known query parameters with junk values, or repeated.
    fc.record({ limit: junkString.filter((v) => !(Number.isInteger(Number(v)) && Number(v) >= 1 && Number(v) <= 100)), status: junkString }).map(({ limit, status }) => {
      const query: Record<string, string[]> = { limit: [limit] };
      if (route.query) query.status = [status, status];
      return { route, path: validPath, query, headers: {}, body: undefined };
    }),
  ];
  if (route.params) {
    // A path parameter that cannot be an id.
    kinds.push(
      junkString.filter((s) => !/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/.test(s)).map((value) => ({ route, path: pathWith(value), query: {}, headers: {}, body: undefined })),
    );
  }
  if (route.body) {
    kinds.push(
      junkJson.map((body) => ({ route, path: validPath, query: {}, headers: { 'content-type': 'application/json' }, body })),
      fc.record({ type: fc.constantFrom('text/plain', 'application/xml', '', 'application/jsonx'), body: junkJson }).map(({ type, body }) => ({
        route,
        path: validPath,
        query: {},
        headers: { 'content-type': type },
        body,
      })),
      fc.constant({ route, path: validPath, query: {}, headers: { 'content-type': 'application/json' }, body: `{"pad":"${'x'.repeat(70_000)}"}` }),
    );
  } else {
    kinds.push(junkJson.filter((b) => b.trim() !== '').map((body) => ({ route, path: validPath, query: {}, headers: { 'content-type': 'application/json' }, body })));
  }
  if (route.idempotent) {
    kinds.push(
      fc.string({ minLength: 256, maxLength: 300 }).map((key) => ({
        route,
        path: validPath,
        query: {},
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: '{"environment":"dev","tier":"S"}',
      })),
    );
  }
  return fc.oneof(...kinds);
}

/** The answer must be a 4xx problem+json whose document says the same status. */
function expectProblem(answer: Pick<ApiResponse, 'status' | 'headers' | 'body'>): void {
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(Problem.parse(JSON.parse(answer.body)).status).toBe(answer.status);
}

/** The target as a client writes it on the request line. */
const targetOf = (request: Malformed) => {
  const query = new URLSearchParams(Object.entries(request.query).flatMap(([name, values]) => values.map((value) => [name, value] as [string, string]))).toString();
  return query ? `${request.path}?${query}` : request.path;
};

it('answers at least 1,000 malformed requests across every route with 4xx problem+json, through the router and the HTTP server, and writes nothing', async () => {
  const stateBefore = await api.items('state');
  const auditBefore = (await api.items('audit')).length;
  let runs = 0;
  let mutatingCalls = 0;
  let unanswered = 0;
  const statuses = { router: new Map<number, number>(), http: new Map<number, number>() };
  const count = (map: Map<number, number>, status: number) => map.set(status, (map.get(status) ?? 0) + 1);

  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...ROUTES).chain(malformedRequest), async (request) => {
      runs++;
      const principal = request.route.access === 'admin' ? ADMIN : MEMBER;
      const answer = await api.route({
        method: request.route.method,
        path: request.path,
        query: request.query,
        headers: request.headers,
        body: request.body,
        principalArn: principal,
        sourceIp: '198.51.100.7',
        requestId: `fuzz-${runs}`,
      });
      if (request.route.mutating) mutatingCalls++;
      count(statuses.router, answer.status);
      expectProblem(answer);

      const { answer: overHttp } = await edge.send({ method: request.route.method, target: targetOf(request), headers: request.headers, body: request.body }, principal);
      if (!overHttp) {
        unanswered++;
        throw new Error(`no answer over HTTP to ${request.route.method} ${targetOf(request)}`);
      }
      count(statuses.http, overHttp.status);
      expectProblem({ ...overHttp, headers: Object.fromEntries(overHttp.headers) });
      // What passes the edge gets the router's answer, and is audited like the call above.
      if (edge.routed.has(overHttp.headers.get('x-request-id')!)) {
        expect(overHttp.status).toBe(answer.status);
        if (request.route.mutating) mutatingCalls++;
      }
    }),
    { numRuns: 1200 },
  );

  expect(await api.items('state')).toEqual(stateBefore);
  // Refused mutating calls are audited, one record each; nothing else is written.
  expect((await api.items('audit')).length).toBe(auditBefore + mutatingCalls);
  // The server still serves: a well-formed signed request succeeds.
  expect((await edge.send({ method: 'GET', target: '/clusters?environment=dev' }, MEMBER)).answer?.status).toBe(200);
  expect(edge.crashes).toEqual([]);
  expect(edge.warnings).toEqual([]);

  const fivexx = (map: Map<number, number>) => [...map].filter(([status]) => status >= 500).reduce((sum, [, n]) => sum + n, 0);
  const sent = (map: Map<number, number>) => [...map.values()].reduce((sum, n) => sum + n, 0);
  console.log(
    [
      `malformed requests: ${sent(statuses.router)} through the router, ${sent(statuses.http)} through the HTTP server (real sockets, SigV4-signed), ${edge.routed.size} of them passed on to the router`,
      `crashes: ${edge.crashes.length}, unanswered: ${unanswered}, 5xx: ${fivexx(statuses.router)} (router) + ${fivexx(statuses.http)} (HTTP)`,
      `statuses (router): ${JSON.stringify(Object.fromEntries(statuses.router))}`,
      `statuses (HTTP): ${JSON.stringify(Object.fromEntries(statuses.http))}`,
    ].join('\n'),
  );
});
