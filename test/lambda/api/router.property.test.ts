import fc from 'fast-check';
import { Problem } from '../../../lib/contract/api';
import { ROUTES, type RouteDefinition } from '../../../lib/contract/routes';
import { ADMIN, ApiHarness, principalOf } from '../../support/api-harness';

/**
 * Random and malformed requests to every route, from a registered caller with the right to call
 * it (so validation, not authorization, is what is tested): every answer must be a 4xx
 * problem+json, never a 5xx, and the state table must not change.
 */

const MEMBER = principalOf('fuzz-member');
let api: ApiHarness;
let existingClusterId: string;

beforeAll(async () => {
  api = await ApiHarness.start();
  await api.registerTeam('fuzz', [MEMBER], { tiers: ['S'], environments: ['dev'], maxClusters: 1 });
  existingClusterId = (await api.call(MEMBER, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } })).json.cluster.clusterId;
});
afterAll(() => api.stop());

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
  const unknownParam = fc.tuple(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !['limit', 'nextToken', 'status', 'environment'].includes(k)), junkString);
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

it('answers at least 1,000 malformed requests across every route with 4xx problem+json and writes nothing', async () => {
  const stateBefore = await api.items('state');
  const auditBefore = (await api.items('audit')).length;
  let mutatingCalls = 0;
  const statuses = new Map<number, number>();

  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...ROUTES).chain(malformedRequest), async (request) => {
      const answer = await api.route({
        method: request.route.method,
        path: request.path,
        query: request.query,
        headers: request.headers,
        body: request.body,
        principalArn: request.route.access === 'admin' ? ADMIN : MEMBER,
        sourceIp: '198.51.100.7',
        requestId: `fuzz-${mutatingCalls}-${Math.random()}`,
      });
      if (request.route.mutating) mutatingCalls++;
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.headers['content-type']).toBe('application/problem+json');
      const problem = Problem.parse(JSON.parse(answer.body));
      expect(problem.status).toBe(answer.status);
    }),
    { numRuns: 1200 },
  );

  expect(await api.items('state')).toEqual(stateBefore);
  // Refused mutating calls are audited, one record each; nothing else is written.
  expect((await api.items('audit')).length).toBe(auditBefore + mutatingCalls);
  expect([...statuses.keys()].every((status) => status >= 400 && status < 500)).toBe(true);
});
