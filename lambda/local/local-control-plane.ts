import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { PlatformConfig } from '../../lib/config/platform-config';
import { ROUTES } from '../../lib/contract/routes';
import { CALLER_TTL_MS } from '../core/callers';
import { getTeam } from '../core/team-store';
import type { JobStarter } from '../core/job-starter';
import { connectTables, type Tables } from '../core/tables';
import type { Dependencies } from '../api/operation';
import { ALL_OPERATIONS } from '../api/all-operations';
import { createRouter } from '../api/router';
import { startLocalDynamoDB, LOCAL_DYNAMODB_CREDENTIALS, type LocalDynamoDB } from './local-dynamodb';
import { DEMO_TEAMS, loadOrCreateLocalProfiles, teamPrincipal, type LocalProfiles } from './local-identities';
import { collectNodeUsage } from '../workflow/usage-collector';
import type { WorkflowDependencies } from '../workflow/workflow-steps';
import { FileSpecStore } from './file-spec-store';
import { LocalAccessProbe } from './local-access-probe';
import { LocalDeployer } from './local-deployer';
import { LocalNodeMetrics } from './local-node-metrics';
import { createLocalServer } from './local-server';
import { LocalUpgrades } from './local-upgrades';
import { LocalWorkflow } from './local-workflow';
import { synthesizedUpgradeDefinition } from './upgrade-definition';
import { LocalClusterControl } from './local-cluster-control';
import { LocalDriftDetector } from './local-drift-detector';
import { LocalFleetWork } from './local-fleet-work';
import { autoSuspendIdleClusters } from '../fleet/auto-suspend';
import { reconcileFleet } from '../workflow/fleet-reconciler';
import { synthesizedWorkflowDefinition } from './workflow-definition';

/** How often the local control plane collects node usage (the scheduled collector's job in AWS). */
const NODE_USAGE_COLLECTION_MS = 60_000;
/** How often the local control plane looks for idle clusters to suspend (the auto-suspend schedule's job in AWS). */
const AUTO_SUSPEND_CHECK_MS = 5 * 60_000;

export interface LocalControlPlaneOptions {
  readonly config: PlatformConfig;
  /** The file `config` was read from: the local deployer synthesizes tenants with it. */
  readonly configFile: string;
  /** Folder for dynalite's data, the local credentials, TenantSpecs and synthesized deployments. */
  readonly dataDir: string;
  readonly port?: number;
  readonly host?: string;
  /**
   * Accept jobs but do not run them: they stay PENDING until a start without this (used to
   * measure the API alone, as in AWS, where the workflow runs elsewhere).
   */
  readonly holdJobs?: boolean;
  readonly log?: (line: string) => void;
  /** Receives one line per request, in the format of API Gateway's access log. @default none */
  readonly accessLog?: (line: string) => void;
}

export interface LocalControlPlane {
  readonly url: string;
  readonly port: number;
  readonly profiles: LocalProfiles;
  readonly tables: Tables;
  readonly dynamodb: LocalDynamoDB;
  readonly workflow?: LocalWorkflow;
  /** Runs fleet operations (shutdown, resume) in this process, on `clusterControl`. */
  readonly fleetWork: LocalFleetWork;
  /** The blocked endpoints and node counts of the local clusters (under `<dataDir>/cluster-control`). */
  readonly clusterControl: LocalClusterControl;
  /**
   * Stops promptly: no new request or job; the running executions are abandoned where they are
   * (they resume at the next start) and their synths ended; requests in flight are answered; then
   * the tables close.
   */
  stop(): Promise<void>;
  /** Kills the local synths at once (SIGKILL), for an exit that cannot wait for `stop`. */
  kill(): void;
}

/**
 * The whole control plane on one machine with no AWS account: dynalite for the tables, the
 * same router and operations as the Lambdas, SigV4 checked against local credentials (each local
 * cluster's ingest token on the engines' ingest route), the workflow with its reconciler and the
 * node-usage collector, and two demo teams registered on first start.
 */
export async function startLocalControlPlane(options: LocalControlPlaneOptions): Promise<LocalControlPlane> {
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const dynamodb = await startLocalDynamoDB({ path: join(dataDir, 'dynamodb'), inWorker: true });
  const tables = connectTables(dynamodb.tables.state, dynamodb.tables.audit, {
    endpoint: dynamodb.endpoint,
    region: 'us-east-1',
    credentials: LOCAL_DYNAMODB_CREDENTIALS,
  });
  const admin = options.config.admins[0];
  const profiles = loadOrCreateLocalProfiles(dataDir, admin);

  const now = () => new Date();
  const specs = new FileSpecStore(join(dataDir, 'specs'));
  const deployer = new LocalDeployer({ folder: join(dataDir, 'deployments'), configFile: options.configFile, config: options.config, specs, tables, now });
  const access = new LocalAccessProbe((clusterId) => deployer.deployedTemplate(clusterId));
  const workflowDeps: WorkflowDependencies = { tables, config: options.config, specs, outputs: deployer, access, ingestTokens: deployer, now };
  const workflow = options.holdJobs
    ? undefined
    : new LocalWorkflow({ definition: await synthesizedWorkflowDefinition(options.config), deps: workflowDeps, deployer, log });
  const clusterControl = new LocalClusterControl(join(dataDir, 'cluster-control'), now);
  const drift = new LocalDriftDetector((clusterId) => deployer.deployedTemplate(clusterId));
  const fleetWork = new LocalFleetWork({ tables, config: options.config, control: clusterControl, drift, now, pollIntervalMs: 500 }, log);
  const heldJobs: JobStarter = { start: async (job) => log(`job ${job.jobId} held (PENDING): jobs are not run while --hold-jobs is on`) };
  const upgrades = new LocalUpgrades({
    definition: synthesizedUpgradeDefinition(),
    deps: { tables, config: options.config, jobStarter: workflow ?? heldJobs, now, warn: (message, detail) => log(`warning: ${message} ${JSON.stringify(detail)}`) },
    log,
  });

  const deps: Dependencies = {
    tables,
    config: options.config,
    jobStarter: workflow ?? heldJobs,
    now,
    callerTtlMs: CALLER_TTL_MS,
    ingestTokens: deployer,
    fleetWork,
    upgrades,
    warn: (message, detail) => log(`warning: ${message} ${JSON.stringify(detail)}`),
  };
  const route = createRouter(ROUTES, ALL_OPERATIONS, deps);
  await registerDemoTeams(tables, route, admin, options.config);

  // What the last run left in flight goes on: accepted jobs start, running ones resume.
  let reconciler: NodeJS.Timeout | undefined;
  let collector: NodeJS.Timeout | undefined;
  let collecting: Promise<unknown> = Promise.resolve();
  if (workflow) {
    const { started, resumed } = await workflow.resume();
    if (started.length || resumed.length) log(`at start: started ${started.length} accepted job(s), resumed ${resumed.length} running job(s)`);
    reconciler = setInterval(() => void workflow.reconcile().catch((error) => log(`reconciler: ${error}`)), 60_000).unref();
    // The node-usage collector, on nodes modeled from each cluster's tier (nothing runs locally).
    const nodeMetrics = new LocalNodeMetrics(options.config);
    const collect = () => {
      collecting = collectNodeUsage({ tables, config: options.config, nodeMetrics, now }).catch((error) => log(`node-usage collector: ${error}`));
    };
    collect();
    collector = setInterval(collect, NODE_USAGE_COLLECTION_MS).unref();
  }
  // Fleet operations and upgrade runs the last run left in flight lost their worker or execution with it: they go on.
  const fleet = await reconcileFleet({ tables, now, fleetWork, upgrades }, { fleetStalledAfterMs: 0 });
  if (fleet.fleetOperationsRestarted.length || fleet.upgradesRestarted.length || fleet.upgradesHalted.length) {
    log(`at start: resumed ${fleet.fleetOperationsRestarted.length} fleet operation(s), restarted ${fleet.upgradesRestarted.length} upgrade run(s), halted ${fleet.upgradesHalted.length}`);
  }
  const autoSuspend = setInterval(
    () => void autoSuspendIdleClusters({ tables, config: options.config, fleetWork, now }).catch((error) => log(`auto-suspend: ${error}`)),
    AUTO_SUSPEND_CHECK_MS,
  ).unref();

  // Requests in flight are answered before the tables close.
  const requests = new Set<Promise<unknown>>();
  const tracked: typeof route = (request) => {
    const answer = route(request);
    requests.add(answer);
    const forget = () => requests.delete(answer);
    void answer.then(forget, forget);
    return answer;
  };
  const server: Server = createLocalServer(profiles.byAccessKey, tracked, { accessLog: options.accessLog, warn: (message) => log(`warning: ${message}`) });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8787, options.host ?? '127.0.0.1', () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    profiles,
    tables,
    dynamodb,
    workflow,
    fleetWork,
    clusterControl,
    stop() {
      return (stopped ??= (async () => {
        clearInterval(reconciler);
        clearInterval(collector);
        clearInterval(autoSuspend);
        const closed = new Promise<void>((done) => server.close(() => done()));
        server.closeIdleConnections();
        upgrades.stop();
        await workflow?.stop();
        await Promise.allSettled([...requests, collecting]);
        server.closeAllConnections();
        await closed;
        tables.doc.destroy();
        await dynamodb.close();
      })());
    },
    kill() {
      deployer.kill();
    },
  };
}

/** Registers the demo teams through the admin route itself, so the bootstrap is audited like any call. */
async function registerDemoTeams(tables: Tables, route: ReturnType<typeof createRouter>, admin: string, config: PlatformConfig) {
  const environment = config.environments.dev ? 'dev' : Object.keys(config.environments)[0];
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
