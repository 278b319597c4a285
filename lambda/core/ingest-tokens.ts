import { createHash, timingSafeEqual } from 'node:crypto';
import type { ClusterCaller } from './callers';
import { clusterKey, getClusterRecord } from './cluster-store';
import { updateIf, type Tables } from './tables';

/**
 * A cluster's ingest tokens, as the control plane holds them: SHA-256 digests on the cluster's
 * item, never the token itself. The workflow records the digest of the token a deploy gives the
 * cluster; a token that was rotated since is looked up where it lives (`IngestTokenSource`) and
 * accepted at once, while the previous one keeps working until the next deploy records anew.
 */

/** Where a cluster's current ingest token lives: its tenant stack's secret in AWS, the local deployer's file locally. */
export interface IngestTokenSource {
  currentToken(cluster: { clusterId: string; environment: string }): Promise<string | undefined>;
}


export function ingestTokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const BEARER = /^Bearer ([\x21-\x7e]{16,512})$/;

const sameDigest = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * How long a host reuses a cluster it authenticated with a token, sparing the cluster's read on each
 * event of the ingest route: a token replaced by a deploy, or a cluster DELETED, is refused on a warm
 * host within this time. Refusals are never reused.
 */
export const AUTHENTICATED_CLUSTER_TTL_MS = 5000;
const MAX_AUTHENTICATED = 1000;
const authenticated = new WeakMap<Tables, Map<string, { caller: ClusterCaller; expires: number }>>();

/**
 * The cluster a bearer token authenticates, if it is one of that cluster's ingest tokens. The cluster
 * an event counts for is the token's cluster: the one named in the path, only when the token is its.
 */
export async function authenticateCluster(
  tables: Tables,
  clusterId: string,
  authorization: string | undefined,
  source?: IngestTokenSource,
): Promise<ClusterCaller | undefined> {
  const token = BEARER.exec(authorization ?? '')?.[1];
  if (!token) return undefined;
  const digest = ingestTokenDigest(token);
  let recent = authenticated.get(tables);
  if (!recent) authenticated.set(tables, (recent = new Map<string, { caller: ClusterCaller; expires: number }>()));
  const key = `${clusterId}#${digest}`;
  const hit = recent.get(key);
  if (hit && hit.expires > Date.now()) return hit.caller;
  const caller = await authenticate(tables, clusterId, digest, source);
  if (caller) {
    if (recent.size >= MAX_AUTHENTICATED) recent.delete(recent.keys().next().value!);
    recent.set(key, { caller, expires: Date.now() + AUTHENTICATED_CLUSTER_TTL_MS });
  }
  return caller;
}

async function authenticate(tables: Tables, clusterId: string, digest: string, source?: IngestTokenSource): Promise<ClusterCaller | undefined> {
  const cluster = await getClusterRecord(tables, clusterId);
  if (!cluster || cluster.status === 'DELETED') return undefined;
  const caller: ClusterCaller = {
    kind: 'cluster',
    principal: `cluster/${cluster.clusterId}`,
    clusterId: cluster.clusterId,
    teamId: cluster.teamId,
    environment: cluster.environment,
  };
  if ((cluster.ingestTokenDigests ?? []).some((known) => sameDigest(known, digest))) return caller;
  const current = await source?.currentToken(cluster);
  if (current === undefined || !sameDigest(ingestTokenDigest(current), digest)) return undefined;
  // Rotated since the last deploy: accepted from now on, beside the previous token.
  await updateIf(tables, {
    Key: clusterKey(cluster.clusterId),
    UpdateExpression: 'SET ingestTokenDigests = list_append(if_not_exists(ingestTokenDigests, :none), :digest)',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':none': [], ':digest': [digest] },
  });
  return caller;
}

/** A deploy gave the cluster `token`: from now on it is the cluster's one ingest token. */
export async function recordIngestToken(tables: Tables, clusterId: string, token: string): Promise<void> {
  await updateIf(tables, {
    Key: clusterKey(clusterId),
    UpdateExpression: 'SET ingestTokenDigests = :digests',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':digests': [ingestTokenDigest(token)] },
  });
}
