import type { Cluster, ClusterDrift } from '../../../lib/contract/api';
import { DriftReport, FleetClusterPage, FleetOperationAccepted } from '../../../lib/contract/fleet';
import { newClusterId } from '../../../lib/contract/ids';
import type { EngineConfig } from '../../../lib/contract/platform-names';
import { clusterKey, putClusterItem } from '../../../lambda/core/cluster-store';
import { getFleetOperationRecord } from '../../../lambda/core/fleet-operation-store';
import type { FleetWorkStarter } from '../../../lambda/core/fleet-work';
import { SOURCE_VERSION } from '../../../lambda/core/source-version';
import { transact } from '../../../lambda/core/tables';
import { runDriftCheck, type DriftDetector } from '../../../lambda/fleet/drift-check';
import { ADMIN, ApiHarness, principalOf } from '../../support/api-harness';

/**
 * The platform team's view of the fleet through the router over dynalite: every team's clusters by
 * index Queries (fleet index, team index), their filters and paging, version skew, drift checks on
 * demand and the fleet's drift report; team principals are refused.
 */

let api: ApiHarness;
const TEAM_PRINCIPAL = principalOf('fleet-view-alice');
const seeded = new Map<string, Cluster>();

/** Pins one minor chart version and three Trino releases behind the platform's. */
let olderPins: EngineConfig;
/** The platform's tag, rebuilt: another digest. */
let rebuiltPins: EngineConfig;

async function seed(teamId: string, environment: 'dev' | 'test' | 'prod', minute: number, fields: Record<string, unknown> = {}): Promise<Cluster> {
  const time = new Date(Date.UTC(2026, 10, 1, 0, minute)).toISOString();
  const cluster: Cluster = { clusterId: newClusterId(), teamId, environment, tier: minute % 2 ? 'M' : 'S', status: 'ACTIVE', endpoint: null, createdAt: time, updatedAt: time };
  await transact(api.tables, [putClusterItem(api.tables, cluster)]);
  await api.setFields(clusterKey(cluster.clusterId), { enginePins: api.deps.config.engine, sourceVersion: SOURCE_VERSION, ...fields });
  seeded.set(cluster.clusterId, cluster);
  return cluster;
}

const drift = (status: ClusterDrift['status']): ClusterDrift => ({ status, checkedAt: '2026-11-29T00:00:00.000Z', resources: [], ...(status === 'UNKNOWN' ? { detail: 'AccessDenied' } : {}) });

let ids: Record<string, string>;
beforeAll(async () => {
  api = await ApiHarness.start();
  await api.registerTeam('fleet-view-a', [TEAM_PRINCIPAL]);
  const engine = api.deps.config.engine;
  olderPins = { ...engine, chart: { ...engine.chart, version: '476.0.0' }, image: { ...engine.image, tag: '473-e.2', digest: `sha256:${'1'.repeat(64)}` } };
  rebuiltPins = { ...engine, image: { ...engine.image, digest: `sha256:${'2'.repeat(64)}` } };
  const a1 = await seed('fleet-view-a', 'dev', 1);
  const a2 = await seed('fleet-view-a', 'test', 2, { enginePins: olderPins, drift: drift('DRIFTED') });
  const b1 = await seed('fleet-view-b', 'dev', 3, { drift: drift('IN_SYNC') });
  const b2 = await seed('fleet-view-b', 'dev', 4, { sourceVersion: '0.0.9', drift: drift('UNKNOWN') });
  const c1 = await seed('fleet-view-c', 'prod', 5, { enginePins: rebuiltPins });
  const c2 = await seed('fleet-view-c', 'test', 6, { status: 'DELETED', drift: drift('DRIFTED') });
  const c3 = await seed('fleet-view-c', 'dev', 7, { status: 'SUSPENDED' });
  ids = { a1: a1.clusterId, a2: a2.clusterId, b1: b1.clusterId, b2: b2.clusterId, c1: c1.clusterId, c2: c2.clusterId, c3: c3.clusterId };
});
afterAll(() => api.stop());

const nameOf = (clusterId: string) => Object.entries(ids).find(([, id]) => id === clusterId)?.[0] ?? clusterId;

/** Every page of GET /fleet/clusters with `query`, by the cluster names of this file. */
async function listAll(query: Record<string, string>, limit = '2'): Promise<{ names: string[]; pages: number }> {
  const names: string[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const answer = await api.call(ADMIN, 'GET', '/fleet/clusters', { query: { ...query, limit, ...(nextToken ? { nextToken } : {}) } });
    expect(answer.status).toBe(200);
    FleetClusterPage.parse(answer.json);
    names.push(...answer.json.items.map((cluster: { clusterId: string }) => nameOf(cluster.clusterId)).filter((name: string) => name in ids));
    nextToken = answer.json.nextToken;
    pages++;
  } while (nextToken);
  return { names, pages };
}

describe('GET /fleet/clusters', () => {
  it("lists every team's clusters, by environment and newest first, a page at a time without repeats", async () => {
    const { names, pages } = await listAll({});
    // The fleet index sorts `<environment>#<createdAt>`; read backwards: test, prod, dev, newest first in each.
    expect(names).toEqual(['c2', 'a2', 'c1', 'c3', 'b2', 'b1', 'a1']);
    expect(pages).toBeGreaterThanOrEqual(4);
  });

  it.each([
    [{ environment: 'dev' }, ['c3', 'b2', 'b1', 'a1']],
    [{ teamId: 'fleet-view-c' }, ['c3', 'c2', 'c1']],
    [{ teamId: 'fleet-view-c', environment: 'test' }, ['c2']],
    [{ tier: 'M' }, ['c1', 'c3', 'b1', 'a1']],
    [{ status: 'SUSPENDED' }, ['c3']],
    [{ trinoRelease: '473' }, ['a2']],
    [{ trinoRelease: '476' }, ['c2', 'c1', 'c3', 'b2', 'b1', 'a1']],
    [{ drifted: 'true' }, ['c2', 'a2']],
    [{ drifted: 'false' }, ['b1']],
    [{ behind: 'true' }, ['a2', 'c1', 'b2']],
    [{ behind: 'false' }, ['c2', 'c3', 'b1', 'a1']],
    [{ environment: 'dev', behind: 'true', drifted: 'false' }, []],
    [{ teamId: 'fleet-view-b', behind: 'true' }, ['b2']],
  ])('filters %j, over pages of one', async (query, expected) => {
    expect((await listAll(query, '1')).names).toEqual(expected);
  });

  it('shows version skew: Trino releases and chart versions behind, the same tag rebuilt, the source version behind', async () => {
    const answer = await api.call(ADMIN, 'GET', '/fleet/clusters', { query: { limit: '100' } });
    const byName = new Map(answer.json.items.map((cluster: { clusterId: string }) => [nameOf(cluster.clusterId), cluster]));
    const engine = api.deps.config.engine;
    expect((byName.get('a1') as { skew: unknown }).skew).toEqual({ behind: false });
    expect(byName.get('a2')).toMatchObject({
      engine: { kind: engine.kind, chartVersion: '476.0.0', imageTag: '473-e.2', trinoRelease: 473 },
      drift: { status: 'DRIFTED' },
      skew: {
        behind: true,
        engine: { trinoReleasesBehind: 3, chartBehind: '1 minor', sameImageRebuilt: false, current: { chartVersion: engine.chart.version, imageTag: engine.image.tag, trinoRelease: 476 } },
      },
    });
    expect(byName.get('c1')).toMatchObject({ skew: { behind: true, engine: { trinoReleasesBehind: 0, sameImageRebuilt: true } } });
    expect((byName.get('c1') as { skew: { engine: object } }).skew.engine).not.toHaveProperty('chartBehind');
    expect(byName.get('b2')).toMatchObject({ sourceVersion: '0.0.9', skew: { behind: true, source: { current: SOURCE_VERSION, cluster: '0.0.9' } } });
  });

  it('a new cluster is in the fleet index from its creation', async () => {
    const created = await api.call(TEAM_PRINCIPAL, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } });
    expect(created.status).toBe(202);
    const answer = await api.call(ADMIN, 'GET', '/fleet/clusters', { query: { environment: 'dev', limit: '1' } });
    expect(answer.json.items.map((cluster: { clusterId: string }) => cluster.clusterId)).toEqual([created.json.cluster.clusterId]);
    expect(answer.json.items[0]).toMatchObject({ status: 'PROVISIONING', teamId: 'fleet-view-a', skew: { behind: false } });
  });

  it("refuses a token from another index's query, and unknown filters, naming the field", async () => {
    const teamPage = await api.call(ADMIN, 'GET', '/fleet/clusters', { query: { teamId: 'fleet-view-c', limit: '1' } });
    expect(teamPage.json.nextToken).toBeDefined();
    const forged = await api.call(ADMIN, 'GET', '/fleet/clusters', { query: { nextToken: teamPage.json.nextToken } });
    expect(forged.status).toBe(400);
    expect(forged.json.errors).toEqual([expect.objectContaining({ field: 'query.nextToken' })]);
    const unknown = await api.call(ADMIN, 'GET', '/fleet/clusters', { query: { drifted: 'yes' } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.errors.map((error: { field: string }) => error.field)).toEqual(['query.drifted']);
  });
});

describe('drift checks and the drift report', () => {
  /** Detects drift from a table of clusters' results: the real detectors are tested at the SDK boundary (test/lambda/fleet). */
  class RecordedDetector implements DriftDetector {
    readonly checked: string[] = [];
    async detect(cluster: { clusterId: string }) {
      this.checked.push(cluster.clusterId);
      return cluster.clusterId === ids.b1
        ? { status: 'DRIFTED' as const, resources: [{ logicalId: 'StarburstRole9C1B2D3E', resourceType: 'AWS::IAM::Role', status: 'MODIFIED' as const, properties: [] }] }
        : { status: 'IN_SYNC' as const };
    }
  }

  it('without a fleet worker the route answers 503 and records nothing', async () => {
    const answer = await api.call(ADMIN, 'POST', '/fleet/drift', { body: { selector: { all: true } } });
    expect(answer.status).toBe(503);
    expect((await api.items('state')).filter((item) => item.itemType === 'fleetOperation')).toEqual([]);
  });

  it('POST /fleet/drift checks the ACTIVE and SUSPENDED clusters of the selection; GET /clusters/{id} and GET /fleet/drift show the results', async () => {
    const detector = new RecordedDetector();
    const started: string[] = [];
    const fleetWork: FleetWorkStarter = {
      async start(operation) {
        started.push(operation.operationId);
        const record = (await getFleetOperationRecord(api.tables, operation.operationId))!;
        await runDriftCheck({ tables: api.tables, config: api.deps.config, now: () => new Date(), detector }, record);
      },
    };
    Object.assign(api.deps, { fleetWork });
    try {
      const nothing = await api.call(ADMIN, 'POST', '/fleet/drift', { body: { selector: { teamId: 'no-such-team' } } });
      expect(nothing.status).toBe(422);
      expect(nothing.json.errors).toEqual([expect.objectContaining({ field: 'body.selector' })]);

      const answer = await api.call(ADMIN, 'POST', '/fleet/drift', { body: { selector: { environment: 'dev' } } });
      expect(answer.status).toBe(202);
      FleetOperationAccepted.parse(answer.json);
      expect(answer.headers.location).toBe(`/fleet/operations/${answer.json.operationId}`);
      expect(answer.json).toMatchObject({ kind: 'DRIFT_CHECK', selector: { environment: 'dev' } });
      expect(started).toEqual([answer.json.operationId]);
      // dev: a1, b1, b2, c3 (SUSPENDED) and the cluster created above, which is PROVISIONING: not checked.
      expect(detector.checked.map(nameOf).sort()).toEqual(['a1', 'b1', 'b2', 'c3']);

      const b1 = await api.call(TEAM_PRINCIPAL, 'GET', `/clusters/${ids.a1}`);
      expect(b1.json.drift).toMatchObject({ status: 'IN_SYNC', operationId: answer.json.operationId });

      const audit = (await api.items('audit')).filter((item) => item.action === 'startDriftCheck');
      expect(audit.map((item) => [item.outcome, item.status])).toEqual(expect.arrayContaining([['SUCCEEDED', 202], ['REFUSED', 422]]));
      expect(audit.find((item) => item.outcome === 'SUCCEEDED')!.metadata).toMatchObject({ operationId: answer.json.operationId, selector: { environment: 'dev' }, matched: 4 });

      const report = await api.call(ADMIN, 'GET', '/fleet/drift', { query: { limit: '100' } });
      expect(report.status).toBe(200);
      DriftReport.parse(report.json);
      // Live clusters: a1, a2 (DRIFTED), b1 (now DRIFTED), b2, c1 (never checked), c3, and the new one (never checked); c2 is DELETED.
      expect(report.json.counts).toEqual({ inSync: 3, drifted: 2, unknown: 0, neverChecked: 2, behind: 3 });
      expect(report.json.lastCheck).toEqual({ operationId: answer.json.operationId, createdAt: answer.json.createdAt, status: 'SUCCEEDED' });
      expect(report.json.items.map((cluster: { clusterId: string }) => nameOf(cluster.clusterId))).toEqual(['a2', 'c1', 'b2', 'b1']);

      const firstPage = await api.call(ADMIN, 'GET', '/fleet/drift', { query: { limit: '1' } });
      expect(firstPage.json.items).toHaveLength(1);
      expect(firstPage.json.nextToken).toBeDefined();
    } finally {
      Object.assign(api.deps, { fleetWork: undefined });
    }
  });
});

describe('team principals', () => {
  it.each([
    ['GET', '/fleet/clusters', undefined],
    ['GET', '/fleet/drift', undefined],
    ['POST', '/fleet/drift', { selector: { all: true } }],
    ['GET', '/audit', undefined],
  ])('%s %s is 403', async (method, path, body) => {
    const answer = await api.call(TEAM_PRINCIPAL, method, path, body ? { body } : {});
    expect(answer.status).toBe(403);
    expect(answer.headers['content-type']).toBe('application/problem+json');
  });
});
