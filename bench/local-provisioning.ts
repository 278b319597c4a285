import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalProcess } from '../lambda/local/local-process';
import { SigV4Client } from '../lambda/local/sigv4-client';

export interface ProvisioningFigures {
  createToActiveMs: number;
  deleteToDeletedMs: number;
}

/** Wall time of a cluster's CREATE job (to ACTIVE) and DELETE job (to DELETED) in the local control plane. */
export async function benchLocalProvisioning(): Promise<ProvisioningFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sici-bench-provisioning-'));
  const plane = await startLocalProcess(dataDir);
  try {
    const profiles = JSON.parse(readFileSync(join(dataDir, 'identities.json'), 'utf8'));
    const client = new SigV4Client(plane.url, profiles['sici-team-a']);
    const call = async (method: string, path: string, body?: object) => {
      const response = await client.fetch(method, path, body && JSON.stringify(body));
      return (await response.json()) as any;
    };
    const until = async (clusterId: string, status: string) => {
      for (;;) {
        const cluster = await call('GET', `/clusters/${clusterId}`);
        if (cluster.status === status) return;
        if (cluster.status === 'FAILED') throw new Error(`cluster ${clusterId} FAILED: ${JSON.stringify(await call('GET', `/clusters/${clusterId}/events?limit=50`))}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    let started = performance.now();
    const accepted = await call('POST', '/clusters', { environment: 'dev', tier: 'M' });
    await until(accepted.cluster.clusterId, 'ACTIVE');
    const createToActiveMs = performance.now() - started;
    started = performance.now();
    await call('DELETE', `/clusters/${accepted.cluster.clusterId}`);
    await until(accepted.cluster.clusterId, 'DELETED');
    return { createToActiveMs, deleteToDeletedMs: performance.now() - started };
  } finally {
    await plane.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
