import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pLimit from 'p-limit';
import type { PlatformConfig } from '../../lib/config/platform-config';
// The local host runs the CDK app itself, as the deploy runner does: compiled, from the project's cache.
import { cachedCompiledApp } from '../../lib/control-plane/workflow/compiled-app';
import { starburstRoleArn, tenantStackName } from '../../lib/contract/tenant-spec';
import { RUNNER_ENV, RunnerAction, type StartBuildParameters } from '../../lib/contract/workflow';
import type { IngestTokenSource } from '../core/ingest-tokens';
import type { Tables } from '../core/tables';
import type { SpecStore, TenantOutputs, TenantOutputsReader } from '../workflow/ports';
import { PermanentError, TransientError } from '../workflow/workflow-errors';
import { recordEvent } from '../core/event-store';

const PROJECT_ROOT = resolve(__dirname, '../..');
const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> }).context ?? {};

export interface LocalDeployerOptions {
  /** Where each cluster's synthesized deployments and its outputs are kept. */
  readonly folder: string;
  /** The platform configuration file the app synthesizes with. */
  readonly configFile: string;
  /** The same configuration, parsed: the environments' accounts name the roles the stack would create. */
  readonly config: PlatformConfig;
  readonly specs: SpecStore;
  readonly tables: Tables;
  readonly now: () => Date;
}

/** A policy statement as a synthesized template holds it. */
export type TemplateStatement = { Sid?: string; Effect?: string; Action?: string | string[]; Resource?: unknown; Condition?: Record<string, Record<string, unknown>> };

/** A synthesized template, as far as the local host reads it (resource types, and policy documents). */
export interface DeployedTemplate {
  Resources: Record<string, { Type: string; Properties?: { PolicyDocument?: { Statement?: TemplateStatement[] } } }>;
}

/** What is kept of one job's synth beside its template (`synth.json` in the job's folder). */
export interface SynthSummary {
  readonly stack: string;
  readonly specVersion: string;
  readonly resources: number;
  readonly seconds: number;
  /** Per check (cdk-nag pack, cfn-guard, CloudFormation validation), as the synth's validation report gives it. */
  readonly checks: Record<string, { conclusion: string; violations: number; acknowledged: number }>;
}

/** Synths that run at once (each takes a core), as CodeBuild caps concurrent builds. */
export const LOCAL_BUILD_CONCURRENCY = 2;

/** What CodeBuild's StartBuild.sync answers; the state machine keeps the build id and status. */
export interface BuildResult {
  Build: { Id: string; Arn: string; BuildStatus: 'SUCCEEDED'; ProjectName: string };
}

/**
 * The local stand-in for the CodeBuild runner. Instead of `cdk deploy` it runs the same CDK app on
 * the cluster's TenantSpec (`bin/app.ts -c tenantSpec=…`), with every compliance check, keeps the
 * template under the data folder, and says in the cluster's events that nothing reached AWS. The
 * endpoint it reports starts with `local://`; the ingest token it gives the cluster (as the stack's
 * secret does in AWS) is a file beside the templates.
 */
export class LocalDeployer implements TenantOutputsReader, IngestTokenSource {
  private readonly slots = pLimit(LOCAL_BUILD_CONCURRENCY);
  /** Running synths, each the leader of its own process group (the synth and the cfn-guard it runs). */
  private readonly synths = new Set<ChildProcess>();
  private stopped = false;
  private compiledApp?: string;

  constructor(private readonly options: LocalDeployerOptions) {}

  /** The handler of the state machine's CodeBuild task states. */
  async runBuild(parameters: StartBuildParameters): Promise<BuildResult> {
    const env = new Map(parameters.EnvironmentVariablesOverride.map((v) => [v.Name, v.Value]));
    const action = RunnerAction.parse(env.get(RUNNER_ENV.action));
    const clusterId = env.get(RUNNER_ENV.clusterId);
    const jobId = env.get(RUNNER_ENV.jobId);
    if (!clusterId || !jobId) throw new PermanentError(`The runner needs ${RUNNER_ENV.clusterId} and ${RUNNER_ENV.jobId}`);
    await this.slots(() => {
      if (this.stopped) throw stoppedError();
      return action === 'deploy' ? this.deploy(clusterId, jobId) : this.destroy(clusterId, jobId);
    });
    const id = `local:${jobId}`;
    return { Build: { Id: id, Arn: `arn:aws:codebuild:local:000000000000:build/${id}`, BuildStatus: 'SUCCEEDED', ProjectName: parameters.ProjectName ?? 'local' } };
  }

  /**
   * Starts no synth any more, ends the running ones (SIGTERM to each process group) and resolves
   * once every process of theirs is gone.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.synths].map((synth) => endProcessGroup(synth)));
  }

  /** Kills the running synths at once (SIGKILL to their process groups): for an exit that cannot wait. */
  kill(): void {
    this.stopped = true;
    for (const synth of this.synths) signalGroup(synth, 'SIGKILL');
  }

  async read(spec: { clusterId: string }): Promise<TenantOutputs> {
    const file = join(this.clusterFolder(spec.clusterId), 'outputs.json');
    if (!existsSync(file)) throw new TransientError(`${tenantStackName(spec.clusterId)} has not been deployed locally`);
    return JSON.parse(readFileSync(file, 'utf8')) as TenantOutputs;
  }

  /** The template of the cluster's last deploy: what is "deployed" locally. */
  deployedTemplate(clusterId: string): DeployedTemplate {
    const file = join(this.clusterFolder(clusterId), 'template.json');
    if (!existsSync(file)) throw new TransientError(`${tenantStackName(clusterId)} has not been deployed locally`);
    return JSON.parse(readFileSync(file, 'utf8')) as DeployedTemplate;
  }

  /** The compiled CDK app every deploy runs: compiled once per version of the sources, on first use. */
  private app(): string {
    return (this.compiledApp ??= cachedCompiledApp(PROJECT_ROOT));
  }

  private clusterFolder(clusterId: string): string {
    return join(this.options.folder, clusterId);
  }

  /**
   * Synthesizes the cluster's stack in the job's folder and keeps only its template and a summary
   * there (`<stack>.template.json`, `synth.json`); the rest of `cdk.out` goes.
   */
  private async deploy(clusterId: string, jobId: string): Promise<void> {
    const job = { clusterId, jobId };
    const location = await this.options.specs.latest(clusterId);
    if (!location) throw new PermanentError(`Cluster ${clusterId} has no TenantSpec to deploy`);
    const spec = await this.options.specs.get(location);
    const folder = join(this.clusterFolder(clusterId), jobId);
    const outdir = join(folder, 'cdk.out');
    rmSync(outdir, { recursive: true, force: true });
    mkdirSync(outdir, { recursive: true });
    const specFile = join(outdir, 'tenant-spec.json');
    writeFileSync(specFile, JSON.stringify(spec, null, 2));
    const stackName = tenantStackName(clusterId);
    await recordEvent(this.options, job, 'DEPLOY_STARTED', `Local deploy: synthesizing ${stackName} from TenantSpec version ${location.version} with every compliance check; nothing is deployed to AWS`);

    const started = Date.now();
    let template: DeployedTemplate;
    let checks: SynthSummary['checks'];
    try {
      await this.synthesize(outdir, {
        // The context the CDK CLI would pass (cdk.json's feature flags) and the spec. Nothing is
        // deployed: assets are neither bundled nor staged, only the template is kept.
        CDK_CONTEXT_JSON: JSON.stringify({
          ...CDK_JSON_CONTEXT,
          tenantSpec: specFile,
          platformConfig: resolve(this.options.configFile),
          'aws:cdk:bundling-stacks': [],
          'aws:cdk:disable-asset-staging': true,
        }),
      });
      template = JSON.parse(readFileSync(join(outdir, `${stackName}.template.json`), 'utf8')) as DeployedTemplate;
      checks = checksOf(join(outdir, 'validation-report.json'));
    } catch (error) {
      if (this.stopped) throw stoppedError();
      const output = (error as { output?: string }).output ?? '';
      const findings = output.split('\n').filter((line) => /ERROR|Error:|is not a valid/.test(line)).slice(0, 5).join(' | ');
      await recordEvent(this.options, job, 'DEPLOY_FAILED', `Local deploy: synthesis of ${stackName} failed: ${findings || 'see the local log'}`);
      throw new PermanentError(`Synthesis of ${stackName} failed: ${findings || (error as Error).message}`.slice(0, 1000));
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
    const seconds = Number(((Date.now() - started) / 1000).toFixed(1));
    const templateFile = join(folder, `${stackName}.template.json`);
    const resources = Object.keys(template.Resources).length;
    const summary: SynthSummary = { stack: stackName, specVersion: location.version, resources, seconds, checks };
    writeAtomically(templateFile, JSON.stringify(template));
    writeAtomically(join(folder, 'synth.json'), JSON.stringify(summary, null, 2));
    await recordEvent(
      this.options,
      job,
      'STACK_SYNTHESIZED',
      `Local deploy: ${stackName} synthesized in ${seconds} s, ${resources} resources, 0 unacknowledged findings ` +
        `(cdk-nag AwsSolutions, NIST 800-53 R5, HIPAA Security, cfn-guard); template kept at ${templateFile}; not deployed; ` +
        `the engine's ingest token is kept at ${this.ingestTokenFile(clusterId)}`,
    );
    writeAtomically(join(this.clusterFolder(clusterId), 'template.json'), JSON.stringify(template));
    const environment = this.options.config.environments[spec.environment];
    const outputs: TenantOutputs = {
      queryEndpoint: `local://${spec.queryEndpoint.hostname}`,
      ...(environment ? { starburstRoleArn: starburstRoleArn(clusterId, environment) } : {}),
    };
    writeAtomically(join(this.clusterFolder(clusterId), 'outputs.json'), JSON.stringify(outputs, null, 2));
    // As the stack's secret in AWS: generated once, at the first deploy, and kept by later ones.
    if (!existsSync(this.ingestTokenFile(clusterId))) writeFileSync(this.ingestTokenFile(clusterId), randomBytes(48).toString('base64url'), { mode: 0o600 });
  }

  /** The cluster's ingest token, where its engine would read it (the tenant stack's secret in AWS). */
  async currentToken(cluster: { clusterId: string }): Promise<string | undefined> {
    const file = this.ingestTokenFile(cluster.clusterId);
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  }

  /** The file of the cluster's ingest token: what its engine's http event listener would send as bearer token. */
  ingestTokenFile(clusterId: string): string {
    return join(this.clusterFolder(clusterId), 'ingest-token');
  }

  /** Runs the compiled app into `outdir` in its own process group, so that stopping it ends the cfn-guard it runs too. */
  private synthesize(outdir: string, env: Record<string, string>): Promise<void> {
    if (this.stopped) return Promise.reject(stoppedError());
    const synth = spawn(process.execPath, [this.app()], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env, CDK_OUTDIR: outdir },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.synths.add(synth);
    let output = '';
    const keep = (chunk: Buffer) => {
      if (output.length < 32 * 1024 * 1024) output += chunk.toString();
    };
    synth.stdout.on('data', keep);
    synth.stderr.on('data', keep);
    return new Promise((resolveSynth, reject) => {
      synth.once('error', reject);
      synth.once('close', (code, signal) => {
        this.synths.delete(synth);
        if (code === 0) resolveSynth();
        else reject(Object.assign(new Error(`the synth exited with ${signal ?? code}`), { output }));
      });
    });
  }

  private async destroy(clusterId: string, jobId: string): Promise<void> {
    rmSync(join(this.clusterFolder(clusterId), 'outputs.json'), { force: true });
    rmSync(join(this.clusterFolder(clusterId), 'template.json'), { force: true });
    rmSync(this.ingestTokenFile(clusterId), { force: true });
    await recordEvent(
      this.options,
      { clusterId, jobId },
      'STACK_DESTROYED',
      `Local destroy: ${tenantStackName(clusterId)} was never deployed to AWS; its synthesized templates stay under ${this.clusterFolder(clusterId)} for the record`,
    );
  }
}

function stoppedError(): Error {
  return new Error('The local control plane is stopping: the build did not run to its end; its job resumes at the next start');
}

/** The synth's validation report, check by check. */
function checksOf(reportFile: string): SynthSummary['checks'] {
  if (!existsSync(reportFile)) return {};
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
    pluginReports?: { pluginName: string; conclusion: string; violations?: unknown[]; suppressedViolations?: unknown[] }[];
  };
  return Object.fromEntries(
    (report.pluginReports ?? []).map((plugin) => [
      plugin.pluginName,
      { conclusion: plugin.conclusion, violations: plugin.violations?.length ?? 0, acknowledged: plugin.suppressedViolations?.length ?? 0 },
    ]),
  );
}

/** A file written whole or not at all, so that a stop in the middle leaves the last complete one. */
function writeAtomically(file: string, content: string): void {
  writeFileSync(`${file}.partial`, content);
  renameSync(`${file}.partial`, file);
}

/** Signals every process of the group `leader` leads (0: none, only checks that one is left). */
function signalGroup(leader: ChildProcess, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-leader.pid!, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

/**
 * SIGTERM to the group, then waits until no process of it is left (its leader's `close` is not
 * enough: a cfn-guard it ran may outlive it); SIGKILL for what still runs after a few seconds.
 */
async function endProcessGroup(leader: ChildProcess): Promise<void> {
  signalGroup(leader, 'SIGTERM');
  const killAfter = Date.now() + 5_000;
  while (signalGroup(leader, Date.now() > killAfter ? 'SIGKILL' : 0)) await new Promise((wait) => setTimeout(wait, 20));
}
