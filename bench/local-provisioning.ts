import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster, JobAccepted, ProvisioningJob } from '../lib/contract/api';
import { startLocalProcess } from '../lambda/local/local-process';
import type { LocalIdentity } from '../lambda/local/sigv4-verifier';
import { SigV4Client } from '../lambda/local/sigv4-client';

export interface ProvisioningFigures {
  createToActiveMs: number;
  addDatasourceToActiveMs: number;
  removeDatasourceToDeletedMs: number;
  deleteToDeletedMs: number;
  /** What the cluster and its four jobs add to the data folder, in bytes, by part of it (after the process stopped). */
  dataFolderPerCluster: { total: number; byPart: Record<string, number> };
}

/**
 * Wall time of a cluster's jobs in the local control plane: CREATE (to ACTIVE), ADD_DATASOURCE (to
 * an ACTIVE datasource), REMOVE_DATASOURCE (to DELETED) and DELETE (to DELETED); and what the
 * cluster and those jobs leave in the data folder.
 */
export async function benchLocalProvisioning(): Promise<ProvisioningFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sici-bench-provisioning-'));
  // The folder as a first start leaves it (tables created, demo teams registered), after a stop.
  await (await startLocalProcess(dataDir)).stop();
  const before = sizesByPart(dataDir);
  const plane = await startLocalProcess(dataDir);
  try {
    const profiles = JSON.parse(readFileSync(join(dataDir, 'identities.json'), 'utf8')) as Record<string, LocalIdentity>;
    const client = new SigV4Client(plane.url, profiles['sici-team-a']);
    /** The response's JSON document, taken to be a `T` (the API's contract types). */
    const call = async <T = unknown>(method: string, path: string, body?: object): Promise<T> => {
      const response = await client.fetch(method, path, body && JSON.stringify(body));
      return (await response.json()) as T;
    };
    const until = async (clusterId: string, status: string) => {
      for (;;) {
        const cluster = await call<Cluster>('GET', `/clusters/${clusterId}`);
        if (cluster.status === status) return;
        if (cluster.status === 'FAILED') throw new Error(`cluster ${clusterId} FAILED: ${JSON.stringify(await call('GET', `/clusters/${clusterId}/events?limit=50`))}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    let started = performance.now();
    const accepted = await call<JobAccepted>('POST', '/clusters', { environment: 'dev', tier: 'M' });
    await until(accepted.cluster.clusterId, 'ACTIVE');
    const createToActiveMs = performance.now() - started;
    const clusterId = accepted.cluster.clusterId;
    const untilJob = async (jobId: string) => {
      for (;;) {
        const job = await call<ProvisioningJob>('GET', `/jobs/${jobId}`);
        if (job.status === 'SUCCEEDED') return;
        if (job.status === 'FAILED') throw new Error(`job ${jobId} FAILED: ${JSON.stringify(job.errorDetails)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    started = performance.now();
    const added = await call<JobAccepted>('POST', `/clusters/${clusterId}/datasources`, {
      type: 's3-iceberg',
      externalAccountId: '210987654321',
      bucketArn: 'arn:aws:s3:::bench-lake',
      prefixes: ['events/'],
      region: 'us-east-1',
    });
    await untilJob(added.jobId);
    const addDatasourceToActiveMs = performance.now() - started;
    if (!added.datasource) throw new Error(`ADD_DATASOURCE job ${added.jobId} was accepted without its datasource`);
    started = performance.now();
    const removed = await call<JobAccepted>('DELETE', `/clusters/${clusterId}/datasources/${added.datasource.datasourceId}`);
    await untilJob(removed.jobId);
    const removeDatasourceToDeletedMs = performance.now() - started;
    started = performance.now();
    await call('DELETE', `/clusters/${accepted.cluster.clusterId}`);
    await until(accepted.cluster.clusterId, 'DELETED');
    const deleteToDeletedMs = performance.now() - started;
    await plane.stop();
    const after = sizesByPart(dataDir);
    const byPart = Object.fromEntries(Object.entries(after).map(([part, bytes]) => [part, bytes - (before[part] ?? 0)]));
    const dataFolderPerCluster = { total: Object.values(byPart).reduce((sum, bytes) => sum + bytes, 0), byPart };
    return { createToActiveMs, addDatasourceToActiveMs, removeDatasourceToDeletedMs, deleteToDeletedMs, dataFolderPerCluster };
  } finally {
    await plane.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Bytes of the files under each entry of `folder` (apparent sizes). */
function sizesByPart(folder: string): Record<string, number> {
  const bytes = (path: string): number => {
    const stat = statSync(path);
    return stat.isDirectory() ? readdirSync(path).reduce((sum, entry) => sum + bytes(join(path, entry)), 0) : stat.size;
  };
  return Object.fromEntries(readdirSync(folder).map((entry) => [entry, bytes(join(folder, entry))]));
}
