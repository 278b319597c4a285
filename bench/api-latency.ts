import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalProcess } from '../lambda/local/local-process';
import type { LocalIdentity } from '../lambda/local/sigv4-verifier';
import { SigV4Client } from '../lambda/local/sigv4-client';

export interface LatencyFigures {
  route: string;
  requests: number;
  concurrency: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  throughputPerSecond: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/**
 * Latency of the local control plane's API over real HTTP with SigV4-signed requests from the
 * SDK signer, at `concurrency` clients each sending requests back to back. The control plane runs
 * as `npm start` runs it, in its own process with its data on disk, with jobs held; the clients run here.
 */
export async function benchApiLatency(concurrency = 16, requestsPerClient = 60): Promise<LatencyFigures[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sici-bench-'));
  // The API alone, as its Lambdas run in AWS: the workflow (here local synths) would share these 2 cores.
  const plane = await startLocalProcess(dataDir, { args: ['--hold-jobs', '--quiet'] });
  try {
    const profiles = JSON.parse(readFileSync(join(dataDir, 'identities.json'), 'utf8')) as Record<string, LocalIdentity>;
    const admin = new SigV4Client(plane.url, profiles['sici-admin']);
    const teamA = new SigV4Client(plane.url, profiles['sici-team-a']);
    const send = async (client: SigV4Client, method: string, path: string, body?: string) => {
      const response = await client.fetch(method, path, body);
      await response.arrayBuffer();
      return response.status;
    };

    // Room for every cluster the benchmark creates.
    const entitlements = { tiers: ['S', 'M', 'L'], environments: ['dev'], maxClusters: 1000 };
    await send(admin, 'PUT', '/teams/team-a', JSON.stringify({ principals: [profiles['sici-team-a'].principalArn], entitlements }));

    const routes = [
      { route: 'POST /clusters', call: () => send(teamA, 'POST', '/clusters', '{"environment":"dev","tier":"S"}'), expected: 202 },
      { route: 'GET /clusters', call: () => send(teamA, 'GET', '/clusters?limit=25'), expected: 200 },
    ];
    const figures: LatencyFigures[] = [];
    for (const { route, call, expected } of routes) {
      for (let i = 0; i < concurrency; i++) await call(); // warm-up
      const latencies: number[] = [];
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          for (let i = 0; i < requestsPerClient; i++) {
            const t0 = performance.now();
            const status = await call();
            latencies.push(performance.now() - t0);
            if (status !== expected) throw new Error(`${route} answered ${status}, expected ${expected}`);
          }
        }),
      );
      const elapsed = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      figures.push({
        route,
        requests: latencies.length,
        concurrency,
        p50Ms: +percentile(latencies, 50).toFixed(1),
        p99Ms: +percentile(latencies, 99).toFixed(1),
        maxMs: +latencies[latencies.length - 1].toFixed(1),
        throughputPerSecond: Math.round(latencies.length / elapsed),
      });
    }
    return figures;
  } finally {
    await plane.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
