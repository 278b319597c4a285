import { loadPlatformConfig } from '../../../lib/config/load-platform-config';
import type { EnvironmentConfig } from '../../../lib/config/platform-config';
import type { Cluster, ClusterStatus } from '../../../lib/contract/api';
import { ingestTokenSecretName } from '../../../lib/contract/tenant-spec';
import { tenantReaderRolePolicy } from '../../../lib/control-plane/workflow/provisioning-workflow';
import { getClusterRecord, putClusterItem } from '../../../lambda/core/cluster-store';
import { authenticateCluster, ingestTokenDigest, recordIngestToken } from '../../../lambda/core/ingest-tokens';
import { SecretsManagerIngestTokens } from '../../../lambda/core/secrets-manager-ingest-tokens';
import { connectTables, transact, type Tables } from '../../../lambda/core/tables';
import { LOCAL_DYNAMODB_CREDENTIALS } from '../../../lambda/local/local-dynamodb';
import { startLocalTables } from '../../support/local-tables';
import { CONTROL_PLANE_ACCOUNT, FakeUsageAws } from '../workflow/fake-usage-aws';

/**
 * A cluster's current ingest token read where its tenant stack keeps it, with the real Secrets
 * Manager and STS SDK clients against AWS faked at the HTTP boundary (the reader role's policy
 * decided by the IAM policy simulator), and the rotation the ingest route allows over dynalite: a
 * rotated token works at once, the one before it until the next deploy.
 */

const config = loadPlatformConfig('config/platform.json');
const dev: EnvironmentConfig = config.environments.dev!; // config/platform.json has it
const INGEST_FUNCTION = `arn:aws:sts::${CONTROL_PLANE_ACCOUNT}:assumed-role/sici-ingest/ingest`;
const readerArn = (environment: EnvironmentConfig) => `arn:aws:iam::${environment.account}:role/sici-tenant-reader`;
const OLD = 'old-token-0123456789abcdef0123456789abcdef';
const NEW = 'new-token-fedcba9876543210fedcba9876543210';

let local: Awaited<ReturnType<typeof startLocalTables>>;
let tables: Tables;
beforeAll(async () => {
  local = await startLocalTables();
  tables = local.tables;
});
const hosts: Tables[] = [];
afterAll(async () => {
  hosts.forEach((host) => host.doc.destroy());
  await local.stop();
});

let counter = 0;
async function cluster(status: ClusterStatus = 'ACTIVE'): Promise<Cluster> {
  const now = '2026-11-20T08:00:00.000Z';
  const created: Cluster = { clusterId: `c-${String(++counter).padStart(16, '0')}`, teamId: 'tokens', environment: 'dev', tier: 'S', status, endpoint: null, createdAt: now, updatedAt: now };
  await transact(tables, [putClusterItem(tables, created)]);
  return created;
}

/** AWS with dev's reader (its policy `statements`, the generated one by default) and a clock the source reads. */
function world(statements?: Parameters<FakeUsageAws['addReader']>[1]) {
  const fake = new FakeUsageAws();
  const credentials = fake.addFunction(INGEST_FUNCTION, [dev]);
  fake.addReader(dev, statements);
  const clock = { now: Date.parse('2026-11-20T09:00:00.000Z') };
  const source = new SecretsManagerIngestTokens(config, { requestHandler: fake, credentials, refreshAfterMs: 10_000, now: () => clock.now });
  const setSecret = (clusterId: string, token: string) => fake.secrets.set(`${dev.account}/${ingestTokenSecretName(clusterId)}`, token);
  return { fake, source, clock, setSecret };
}

/** A host that authenticated nothing yet (a new Lambda instance): its own connection, so none of the warm host's recent answers. */
function coldHost(): Tables {
  const host = connectTables(local.dynamodb.tables.state, local.dynamodb.tables.audit, { endpoint: local.dynamodb.endpoint, region: 'us-east-1', credentials: LOCAL_DYNAMODB_CREDENTIALS });
  hosts.push(host);
  return host;
}

describe('the ingest token in Secrets Manager', () => {
  it('is read from the cluster’s secret in its environment account, through that account’s reader role', async () => {
    const c = await cluster();
    const { fake, source, setSecret } = world();
    setSecret(c.clusterId, NEW);
    await expect(source.currentToken(c)).resolves.toBe(NEW);
    expect(fake.secretCalls).toEqual([`sici/${c.clusterId}/ingest-token`]);
    const assumed = fake.sts.calls.filter((call) => call.action === 'AssumeRole').map((call) => [call.principal, call.params.RoleArn, call.status]);
    expect(assumed).toEqual([[INGEST_FUNCTION, readerArn(dev), 200]]);
  });

  it('is none for a cluster without a secret (not deployed yet, or destroyed) or an environment no longer configured', async () => {
    const { fake, source } = world();
    await expect(source.currentToken({ clusterId: 'c-0000000000009999', environment: 'dev' })).resolves.toBeUndefined();
    await expect(source.currentToken({ clusterId: 'c-0000000000009999', environment: 'staging' })).resolves.toBeUndefined();
    expect(fake.secretCalls).toEqual(['sici/c-0000000000009999/ingest-token']);
  });

  it('fails when the reader may not read it (the simulator decides on the role’s policy)', async () => {
    const c = await cluster();
    const withoutSecrets = tenantReaderRolePolicy(dev).toJSON().Statement.filter((statement: { Action: string }) => statement.Action !== 'secretsmanager:GetSecretValue');
    const { source, setSecret } = world(withoutSecrets);
    setSecret(c.clusterId, NEW);
    await expect(source.currentToken(c)).rejects.toThrow(`${readerArn(dev)} is not authorized to perform: secretsmanager:GetSecretValue`);
  });

  it('is read at most once per cluster in refreshAfterMs, and read again after it', async () => {
    const c = await cluster();
    const { fake, source, clock, setSecret } = world();
    setSecret(c.clusterId, OLD);
    await expect(source.currentToken(c)).resolves.toBe(OLD);
    setSecret(c.clusterId, NEW);
    clock.now += 9_999;
    await expect(source.currentToken(c)).resolves.toBe(OLD);
    clock.now += 1;
    await expect(source.currentToken(c)).resolves.toBe(NEW);
    expect(fake.secretCalls).toHaveLength(2);
  });
});

describe('rotation, as the ingest route authenticates a cluster', () => {
  it('accepts a rotated token at once, the previous one until the next deploy, and then only the new one', async () => {
    const c = await cluster();
    const { fake, source, setSecret } = world();
    const bearer = (token: string) => `Bearer ${token}`;
    const caller = { kind: 'cluster', principal: `cluster/${c.clusterId}`, clusterId: c.clusterId, teamId: 'tokens', environment: 'dev' };

    // A deploy gave the cluster OLD: known by its digest, no secret read.
    setSecret(c.clusterId, OLD);
    await recordIngestToken(tables, c.clusterId, OLD);
    await expect(authenticateCluster(tables, c.clusterId, bearer(OLD), source)).resolves.toEqual(caller);
    expect(fake.secretCalls).toEqual([]);

    // Rotated in Secrets Manager: the engine's first event with NEW is accepted, and from then on NEW is known.
    setSecret(c.clusterId, NEW);
    await expect(authenticateCluster(tables, c.clusterId, bearer(NEW), source)).resolves.toEqual(caller);
    expect(fake.secretCalls).toEqual([ingestTokenSecretName(c.clusterId)]);
    expect((await getClusterRecord(tables, c.clusterId))?.ingestTokenDigests).toEqual([ingestTokenDigest(OLD), ingestTokenDigest(NEW)]);
    // An engine not yet restarted still sends OLD: accepted, on a host that never saw it too.
    await expect(authenticateCluster(coldHost(), c.clusterId, bearer(OLD), source)).resolves.toEqual(caller);

    // The next deploy gives the cluster NEW: OLD is refused from then on, NEW needs no read.
    await recordIngestToken(tables, c.clusterId, NEW);
    const afterDeploy = coldHost();
    const reads = fake.secretCalls.length;
    await expect(authenticateCluster(afterDeploy, c.clusterId, bearer(OLD), source)).resolves.toBeUndefined();
    await expect(authenticateCluster(afterDeploy, c.clusterId, bearer(NEW), source)).resolves.toEqual(caller);
    expect((await getClusterRecord(tables, c.clusterId))?.ingestTokenDigests).toEqual([ingestTokenDigest(NEW)]);
    expect(fake.secretCalls).toHaveLength(reads); // OLD's refusal looked at the secret read moments ago, not at Secrets Manager
  });

  it('refuses another cluster’s token, a forged one and any token of a DELETED cluster, recording nothing', async () => {
    const [mine, theirs, gone] = [await cluster(), await cluster(), await cluster('DELETED')];
    const { source, setSecret } = world();
    for (const [c, token] of [[mine, OLD], [theirs, NEW], [gone, NEW]] as const) {
      setSecret(c.clusterId, token);
      await recordIngestToken(tables, c.clusterId, token);
    }
    await expect(authenticateCluster(tables, mine.clusterId, `Bearer ${NEW}`, source)).resolves.toBeUndefined();
    await expect(authenticateCluster(tables, mine.clusterId, 'Bearer forged-forged-forged-forged', source)).resolves.toBeUndefined();
    await expect(authenticateCluster(tables, gone.clusterId, `Bearer ${NEW}`, source)).resolves.toBeUndefined();
    expect((await getClusterRecord(tables, mine.clusterId))?.ingestTokenDigests).toEqual([ingestTokenDigest(OLD)]);
  });
});
