import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { PlatformConfig } from '../../lib/config/platform-config';
import type { ProvisioningJob } from '../../lib/contract/api';
import { ROUTES } from '../../lib/contract/routes';
import { CALLER_TTL_MS, getTeam } from '../core/callers';
import type { JobStarter } from '../core/job-starter';
import { connectTables, type Tables } from '../core/state-store';
import type { Dependencies } from '../api/operation';
import { ALL_OPERATIONS } from '../api/operations';
import { createRouter } from '../api/router';
import { startLocalDynamoDB, LOCAL_DYNAMODB_CREDENTIALS, type LocalDynamoDB } from './local-dynamodb';
import { DEMO_TEAMS, loadOrCreateLocalProfiles, teamPrincipal, type LocalProfiles } from './local-identities';
import { createLocalServer } from './local-server';

export interface LocalControlPlaneOptions {
  readonly config: PlatformConfig;
  /** Folder for dynalite's data and the local credentials; in-memory store when `persist` is false. */
  readonly dataDir: string;
  readonly port?: number;
  readonly host?: string;
  readonly persist?: boolean;
  readonly jobStarter?: JobStarter;
  readonly log?: (line: string) => void;
}

export interface LocalControlPlane {
  readonly url: string;
  readonly port: number;
  readonly profiles: LocalProfiles;
  readonly tables: Tables;
  readonly dynamodb: LocalDynamoDB;
  stop(): Promise<void>;
}

/**
 * The whole control plane on one machine with no AWS account: dynalite for the tables, the
 * same router and operations as the Lambdas, SigV4 checked against local credentials, and two
 * demo teams registered on first start.
 */
export async function startLocalControlPlane(options: LocalControlPlaneOptions): Promise<LocalControlPlane> {
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const dynamodb = await startLocalDynamoDB({ path: options.persist === false ? undefined : join(dataDir, 'dynamodb'), inWorker: true });
  const tables = connectTables(dynamodb.tables.state, dynamodb.tables.audit, {
    endpoint: dynamodb.endpoint,
    region: 'us-east-1',
    credentials: LOCAL_DYNAMODB_CREDENTIALS,
  });
  const admin = options.config.admins[0];
  const profiles = loadOrCreateLocalProfiles(dataDir, admin);

  const deps: Dependencies = {
    tables,
    config: options.config,
    jobStarter: options.jobStarter ?? jobsWaitForWorkflow(log),
    now: () => new Date(),
    callerTtlMs: CALLER_TTL_MS,
    warn: (message, detail) => log(`warning: ${message} ${JSON.stringify(detail)}`),
  };
  const route = createRouter(ROUTES, ALL_OPERATIONS, deps);
  await registerDemoTeams(tables, route, admin, options.config);

  const server: Server = createLocalServer(profiles.byAccessKey, route);
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8787, options.host ?? '127.0.0.1', () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    profiles,
    tables,
    dynamodb,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      tables.doc.destroy();
      await dynamodb.close();
    },
  };
}

/** The provisioning workflow arrives with its own issue; until then accepted jobs wait, visibly, as PENDING. */
function jobsWaitForWorkflow(log: (line: string) => void): JobStarter {
  return {
    async start(job: ProvisioningJob) {
      log(`job ${job.jobId} (${job.operationType} ${job.clusterId}) accepted; it stays PENDING until a workflow runs it`);
    },
  };
}

/** Registers the demo teams through the admin route itself, so the bootstrap is audited like any call. */
async function registerDemoTeams(tables: Tables, route: ReturnType<typeof createRouter>, admin: string, config: PlatformConfig) {
  const environment = config.environments.dev ? 'dev' : (Object.keys(config.environments)[0] as string);
  for (const team of DEMO_TEAMS) {
    if (await getTeam(tables, team)) continue;
    const answer = await route({
      method: 'PUT',
      path: `/teams/${team}`,
      query: {},
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ principals: [teamPrincipal(team)], entitlements: { tiers: ['S', 'M', 'L'], environments: [environment], maxClusters: 10 } }),
      principalArn: admin,
      sourceIp: '127.0.0.1',
      requestId: `bootstrap-${team}`,
    });
    if (answer.status !== 200) throw new Error(`Registering demo team ${team} failed: ${answer.status} ${answer.body}`);
  }
}
