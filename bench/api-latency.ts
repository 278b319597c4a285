import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { nativeSha256 } from '../lambda/local/sigv4-verifier';

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
 * as `npm start` runs it, in its own process with its data on disk; the clients run here.
 */
export async function benchApiLatency(concurrency = 16, requestsPerClient = 60): Promise<LatencyFigures[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sici-bench-'));
  const server = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bin/local.ts'], {
    env: { ...process.env, PORT: '0', SICI_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      server.stdout!.on('data', (chunk) => {
        output += chunk;
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match) resolve(match[1]);
      });
      server.once('exit', (code) => reject(new Error(`local control plane exited with ${code}`)));
    });
    const plane = { url, profiles: { profiles: JSON.parse(readFileSync(join(dataDir, 'identities.json'), 'utf8')) } };
    const teamA = plane.profiles.profiles['sici-team-a'];
    const admin = plane.profiles.profiles['sici-admin'];
    const signerFor = (profile: { accessKeyId: string; secretAccessKey: string }) =>
      new SignatureV4({ service: 'execute-api', region: 'us-east-1', credentials: profile, sha256: nativeSha256 });
    const send = async (signer: SignatureV4, method: string, path: string, body?: string) => {
      const url = new URL(path, plane.url);
      const signed = await signer.sign(
        new HttpRequest({
          method,
          protocol: 'http:',
          hostname: url.hostname,
          port: Number(url.port),
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: { host: url.host, ...(body ? { 'content-type': 'application/json' } : {}) },
          body,
        }),
      );
      const response = await fetch(url, { method, headers: signed.headers as Record<string, string>, body });
      await response.arrayBuffer();
      return response.status;
    };

    // Room for every cluster the benchmark creates.
    const principals = [teamA.principalArn];
    await send(signerFor(admin), 'PUT', '/teams/team-a', JSON.stringify({ principals, entitlements: { tiers: ['S', 'M', 'L'], environments: ['dev'], maxClusters: 1000 } }));

    const signer = signerFor(teamA);
    const routes: { route: string; call: () => Promise<number>; expected: number }[] = [
      { route: 'POST /clusters', call: () => send(signer, 'POST', '/clusters', '{"environment":"dev","tier":"S"}'), expected: 202 },
      { route: 'GET /clusters', call: () => send(signer, 'GET', '/clusters?limit=25'), expected: 200 },
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
    server.kill('SIGINT');
    await new Promise((resolve) => server.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
