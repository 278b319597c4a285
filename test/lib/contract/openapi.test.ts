import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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

const run = promisify(execFile);
const REDOCLY = require.resolve('@redocly/cli/bin/cli.js');
const API_REFERENCE_FILE = 'docs/api-reference.html';

/** Redocly CLI as `npx redocly` runs it here (redocly.yaml: the recommended rules, telemetry off): its stdout, whatever its exit code. */
async function redocly(...args: string[]): Promise<string> {
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
  try {
    return (await run(process.execPath, [REDOCLY, ...args], { env, maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (error) {
    return (error as { stdout: string }).stdout;
  }
}

type LintReport = { totals: { errors: number; warnings: number }; problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[] };
const lint = async (file: string): Promise<LintReport> => JSON.parse(await redocly('lint', file, '--format=json')) as LintReport;
const findings = (report: LintReport) => report.problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);

describe('the API reference', () => {
  const generated = JSON.parse(JSON.stringify(openApiDocument(version))) as Record<string, unknown>;

  it("passes Redocly's recommended rules with no error and no warning", async () => {
    const report = await lint(OPENAPI_FILE);
    expect(findings(report)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('would fail those rules without its servers, its licence or a summary', async () => {
    const broken = structuredClone(generated) as { servers?: unknown; info: { license?: unknown }; paths: Record<string, Record<string, { summary?: string }>> };
    delete broken.servers;
    delete broken.info.license;
    delete broken.paths['/clusters'].post.summary;
    const file = join(mkdtempSync(join(tmpdir(), 'sici-openapi-')), 'openapi.json');
    writeFileSync(file, JSON.stringify(broken));
    const report = await lint(file);
    expect(report.problems.map((p) => p.ruleId).sort()).toEqual(['info-license', 'no-empty-servers', 'operation-summary']);
  });

  it('describes every operation and declares the tag of each route group, with its description', () => {
    const paths = generated.paths as Record<string, Record<string, { description?: string; tags: string[] }>>;
    const tags = generated.tags as { name: string; description: string }[];
    for (const route of ROUTES) {
      const operation = paths[route.path][route.method.toLowerCase()];
      expect([route.operationId, typeof operation.description, operation.description !== route.summary]).toEqual([route.operationId, 'string', true]);
      expect(operation.tags).toEqual([route.group]);
    }
    expect(tags.map((tag) => tag.name).sort()).toEqual([...new Set(ROUTES.map((route) => route.group))].sort());
    for (const tag of tags) expect(tag.description.length).toBeGreaterThan(20);
  });

  it(`is built into ${API_REFERENCE_FILE}, one page that is current with the document (run \`npm run api-docs\` when this fails)`, async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sici-api-docs-')), 'api-reference.html');
    await redocly('build-docs', OPENAPI_FILE, '--inlineBundle', '--output', file);
    const built = readFileSync(file, 'utf8');
    for (const route of ROUTES) expect(built).toContain(route.operationId);
    expect(readFileSync(API_REFERENCE_FILE, 'utf8') === built).toBe(true);
  });
});
