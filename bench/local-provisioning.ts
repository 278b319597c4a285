import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
}

/**
 * Wall time of a cluster's jobs in the local control plane: CREATE (to ACTIVE), ADD_DATASOURCE (to
 * an ACTIVE datasource), REMOVE_DATASOURCE (to DELETED) and DELETE (to DELETED).
 */
export async function benchLocalProvisioning(): Promise<ProvisioningFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sici-bench-provisioning-'));
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
    return { createToActiveMs, addDatasourceToActiveMs, removeDatasourceToDeletedMs, deleteToDeletedMs: performance.now() - started };
  } finally {
    await plane.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
