import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';
import { Problem } from './api';
import { ROUTES, type RouteDefinition, type RouteGroup } from './routes';

/** The OpenAPI 3.1 document of SICI's API, generated from the route table and its zod schemas. */

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: a body, query string, header or path parameter does not match its schema',
  401: "No bearer token, or not an ingest token of the cluster in the path",
  403: 'Not authenticated (unknown principal), not allowed (admin route), or not entitled (tier, environment, quota)',
  404: 'Does not exist, or belongs to another team',
  405: 'The path does not take this method',
  409: 'Conflicts with the current state (e.g. a job already in flight)',
  413: 'Body larger than 64 KiB (on any route; a route that takes no body refuses any body with 400)',
  415: 'Body is not application/json',
  422: 'Idempotency-Key reused with a different request, or a fleet selector or upgrade target that cannot be acted on (the detail says why)',
  500: 'The request could not be completed; it is safe to retry (quote the requestId to the platform team)',
  503: 'The fleet worker or the upgrade state machine is not configured where this API runs: nothing was recorded',
};

/** One tag per route group (the Lambda that serves it), in the order of the route table. */
const TAG_DESCRIPTIONS: Readonly<Record<RouteGroup, string>> = {
  clusters: "A team's clusters: create, list, resize and delete them, follow their events, and add, list and remove their S3 datasources with the setup the data owner applies",
  usage: "A cluster's usage and estimated cost, its query history, and the platform's monthly chargeback per team",
  ingest: "The route a tenant cluster's engine reports completed queries to, authenticated by the cluster's ingest token instead of SigV4",
  jobs: 'The provisioning jobs that every create, update, delete and datasource change runs as: their status, steps and errors',
  teams: 'The team registry (platform admins): principals, entitlements and the identity provider groups with their query roles',
  fleet: "The platform team's operations over many clusters: suspension and resumption, emergency shutdown, upgrades in waves, drift detection",
  audit: 'The append-only audit trail of every mutating call, allowed or refused (platform admins)',
};

export function openApiDocument(version: string) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'sigv4', {
    type: 'apiKey',
    name: 'Authorization',
    in: 'header',
    description: 'AWS Signature Version 4 (service execute-api), as API Gateway AWS_IAM authorization requires.',
  });
  registry.registerComponent('securitySchemes', 'clusterIngestToken', {
    type: 'http',
    scheme: 'bearer',
    description: "A tenant cluster's ingest token (generated per cluster; its engine's http event listener sends it).",
  });
  for (const route of ROUTES) {
    const cluster = route.access === 'cluster';
    const errors = [400, ...(cluster ? [] : [403]), 413, ...('body' in route ? [415] : []), ...route.errors, 500].sort();
    registry.registerPath({
      operationId: route.operationId,
      method: route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete',
      path: route.path,
      summary: route.summary,
      description: (route as RouteDefinition).description,
      tags: [route.group],
      security: [cluster ? { clusterIngestToken: [] } : { sigv4: [] }],
      request: {
        ...('params' in route ? { params: route.params } : {}),
        ...('query' in route ? { query: route.query } : {}),
        ...('idempotent' in route ? { headers: z.object({ 'Idempotency-Key': z.string().min(1).max(255).optional() }) } : {}),
        ...('body' in route ? { body: { required: true, content: { 'application/json': { schema: route.body } } } } : {}),
      },
      responses: {
        [route.success.status]: {
          description: route.success.description,
          ...(route.success.status === 202 ? { headers: { Location: { schema: { type: 'string' }, description: 'The job to follow' } } } : {}),
          content: {
            'application/json': { schema: route.success.schema },
            ...('csv' in route ? { 'text/csv': { schema: { type: 'string', description: 'RFC 4180, with a header row' } } } : {}),
          },
        },
        ...Object.fromEntries(
          [...new Set(errors)].map((status) => [status, { description: ERROR_DESCRIPTIONS[status], content: { 'application/problem+json': { schema: Problem } } }]),
        ),
      },
    });
  }
  const groups = [...new Set(ROUTES.map((route) => route.group))];
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'SICI API',
      version,
      description: 'Starburst Infrastructure & Control Interface: governed, dedicated Starburst clusters for application teams.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [
      {
        url: 'https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}',
        description: 'The deployed control plane (the SiciControlPlane stack output ApiUrl); SigV4 with service execute-api in its region',
        variables: {
          restApiId: { default: 'abcdef1234', description: 'The REST API id' },
          region: { default: 'us-east-1', description: 'The control plane region' },
          stage: { default: 'v1', description: 'The stage' },
        },
      },
      { url: 'http://127.0.0.1:8787', description: 'The local control plane (npm start); SigV4 with service execute-api, region us-east-1' },
    ],
    tags: groups.map((group) => ({ name: group, description: TAG_DESCRIPTIONS[group] })),
  });
}
