import { readFileSync } from 'node:fs';
import { OPENAPI_FILE } from '../../../bin/openapi';
import { openApiDocument } from '../../../lib/contract/openapi';
import { ROUTES } from '../../../lib/contract/routes';
import { version } from '../../../package.json';

/** The parts of the document these tests read. */
type Paths = Record<string, Record<string, { operationId: string; responses: Record<string, { content: Record<string, unknown> }> }>>;

describe('the OpenAPI document', () => {
  const generated = openApiDocument(version);

  it('is committed as generated from the zod schemas (run `npm run openapi` when this fails)', () => {
    const committed = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(generated)));
  });

  it('has every route of the route table with its success answer and problem+json errors', () => {
    for (const route of ROUTES) {
      const operation = (generated.paths as Paths)[route.path][route.method.toLowerCase()];
      expect(operation.operationId).toBe(route.operationId);
      expect(Object.keys(operation.responses)).toContain(String(route.success.status));
      expect(operation.responses['400'].content['application/problem+json']).toBeDefined();
    }
  });

  it('rejects unknown fields in request bodies (additionalProperties: false)', () => {
    const schemas = (generated.components as { schemas: Record<string, { additionalProperties?: unknown }> }).schemas;
    expect(schemas.CreateClusterRequest.additionalProperties).toBe(false);
    expect(schemas.PutTeamRequest.additionalProperties).toBe(false);
  });
});
