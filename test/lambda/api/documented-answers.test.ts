import { openApiDocument } from '../../../lib/contract/openapi';
import { ROUTES, type RouteDefinition } from '../../../lib/contract/routes';
import { MAX_BODY_BYTES } from '../../../lambda/api/http';
import { ADMIN, ApiHarness, principalOf, type CallOptions } from '../../support/api-harness';

/**
 * Every answer the router gives an operation is one docs/openapi.json documents for it. Each route
 * is provoked in every way a request can go wrong before or around its operation.
 */

const TEAM = principalOf('documented');
const documented = openApiDocument('test').paths!;

let api: ApiHarness;
beforeAll(async () => {
  api = await ApiHarness.start();
  await api.registerTeam('documented', [TEAM]);
});
afterAll(() => api.stop());

/** A path of the route with each parameter as given. */
const pathOf = (route: RouteDefinition, value: (name: string) => string) => route.path.replace(/\{(\w+)\}/g, (_, name: string) => value(name));
const WELL_FORMED_IDS: Record<string, string> = { clusterId: 'c-0000000000000000', datasourceId: 'ds-0000000000000000', jobId: 'j-0000000000000000', teamId: 'no-such-team' };

function provocations(route: RouteDefinition): Array<[string, string | undefined, string, CallOptions]> {
  const caller = route.access === 'admin' ? ADMIN : TEAM;
  const path = pathOf(route, (name) => WELL_FORMED_IDS[name]);
  const body = route.body ? { body: {} } : {};
  return [
    ['unknown principal', principalOf('stranger'), path, body],
    ['the other kind of caller', route.access === 'admin' ? TEAM : ADMIN, path, body],
    ['an unknown query parameter', caller, path, { ...body, query: { colour: 'red' } }],
    ['a body over the limit', caller, path, { rawBody: 'x'.repeat(MAX_BODY_BYTES + 1) }],
    ['a body that is not JSON', caller, path, { rawBody: '{oops' }],
    ['a body of another media type', caller, path, { rawBody: '{}', headers: { 'content-type': 'text/plain' } }],
    ['a body that fails the schema', caller, path, { body: { unknown: true } }],
    ['no body', caller, path, {}],
    ['ids SICI does not issue', caller, pathOf(route, (name) => `${name}-${'x'.repeat(300)}`), body],
    ['well-formed ids of nothing', caller, path, body],
    ['a malformed Idempotency-Key', caller, path, { ...body, headers: { 'idempotency-key': 'é' } }],
  ];
}

test.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))('%s answers only what its operation documents', async (_, route) => {
  const operation = (documented[route.path] as Record<string, { responses: Record<string, unknown> }>)[route.method.toLowerCase()];
  const allowed = new Set(Object.keys(operation.responses).map(Number));
  const answers: string[] = [];
  for (const [what, principal, path, options] of provocations(route)) {
    const answer = await api.call(principal, route.method, path, options);
    if (!allowed.has(answer.status)) answers.push(`${what}: ${answer.status}`);
  }
  expect(answers).toEqual([]);
});
