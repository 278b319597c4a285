import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { loadPlatformConfig } from '../lib/config/load-platform-config';
import type { Cluster } from '../lib/contract/api';
import type { FleetOperation } from '../lib/contract/fleet';
import { newClusterId } from '../lib/contract/ids';
import { putClusterItem } from '../lambda/core/cluster-store';
import { transact } from '../lambda/core/tables';
import { startLocalControlPlane } from '../lambda/local/local-control-plane';
import { SigV4Client } from '../lambda/local/sigv4-client';

export interface FleetShutdownFigures {
  readonly clusters: number;
  /** From the operation's creation to its last endpoint blocked (allBlockedAt − createdAt). */
  readonly allBlockedMs: number;
  /** From the operation's creation to its completion, every cluster SUSPENDED. */
  readonly allSuspendedMs: number;
  /** The route's answer (202), as the admin's client saw it. */
  readonly acceptedMs: number;
}

/**
 * An emergency shutdown of `clusters` simulated ACTIVE clusters in dev through the local control
 * plane: `POST /fleet/shutdown { environment: dev }` over HTTP, SigV4-signed as the admin, carried out
 * by the in-process fleet worker on the local cluster control. The times are the operation's own.
 */
export async function benchFleetShutdown(clusters = 500): Promise<FleetShutdownFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sici-bench-shutdown-'));
  const configFile = 'config/platform.json';
  const plane = await startLocalControlPlane({ config: loadPlatformConfig(configFile), configFile, dataDir, port: 0, holdJobs: true });
  try {
    const limit = pLimit(16);
    const time = new Date().toISOString();
    await Promise.all(
      Array.from({ length: clusters }, (_, n) =>
        limit(() => {
          const cluster: Cluster = {
            clusterId: newClusterId(),
            teamId: n % 2 ? 'team-a' : 'team-b',
            environment: 'dev',
            tier: 'S',
            status: 'ACTIVE',
            endpoint: 'local://simulated',
            createdAt: time,
            updatedAt: time,
          };
          return transact(plane.tables, [putClusterItem(plane.tables, cluster)]);
        }),
      ),
    );
    const admin = new SigV4Client(plane.url, plane.profiles.profiles['sici-admin']);
    const started = performance.now();
    const response = await admin.fetch('POST', '/fleet/shutdown', JSON.stringify({ reason: 'benchmark: emergency shutdown', selector: { environment: 'dev' } }));
    const acceptedMs = Math.round(performance.now() - started);
    const accepted = (await response.json()) as FleetOperation;
    if (response.status !== 202) throw new Error(`shutdown answered ${response.status}: ${JSON.stringify(accepted)}`);
    await plane.fleetWork.idle();
    const done = (await (await admin.fetch('GET', `/fleet/operations/${accepted.operationId}?limit=1`)).json()) as FleetOperation;
    if (done.status !== 'SUCCEEDED' || done.counts.done !== clusters || !done.allBlockedAt || !done.completedAt) {
      throw new Error(`shutdown did not suspend every cluster: ${JSON.stringify({ status: done.status, counts: done.counts })}`);
    }
    const since = (at: string) => new Date(at).getTime() - new Date(done.createdAt).getTime();
    return { clusters, allBlockedMs: since(done.allBlockedAt), allSuspendedMs: since(done.completedAt), acceptedMs };
  } finally {
    await plane.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
