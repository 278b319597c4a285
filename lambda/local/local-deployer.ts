import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pLimit from 'p-limit';
import type { PlatformConfig } from '../../lib/config/platform-config';
// The local host runs the CDK app itself, as the deploy runner does: compiled, from the project's cache.
import { cachedCompiledApp } from '../../lib/control-plane/workflow/compiled-app';
import { starburstRoleArn, tenantStackName } from '../../lib/contract/tenant-spec';
import { RUNNER_ENV, RunnerAction, type StartBuildParameters } from '../../lib/contract/workflow';
import type { Tables } from '../core/tables';
import type { SpecStore, TenantOutputs, TenantOutputsReader } from '../workflow/ports';
import { PermanentError, TransientError } from '../workflow/workflow-errors';
import { recordEvent } from '../core/event-store';

const run = promisify(execFile);

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

/** What CodeBuild's StartBuild.sync answers; the state machine keeps the build id and status. */
export interface BuildResult {
  Build: { Id: string; Arn: string; BuildStatus: 'SUCCEEDED'; ProjectName: string };
}

/**
 * The local stand-in for the CodeBuild runner. Instead of `cdk deploy` it runs the same CDK app on
 * the cluster's TenantSpec (`bin/app.ts -c tenantSpec=…`), with every compliance check, keeps the
 * template under the data folder, and says in the cluster's events that nothing reached AWS. The
 * endpoint it reports starts with `local://`.
 */
export class LocalDeployer implements TenantOutputsReader {
  /** Synths run two at a time (each takes a core), as CodeBuild caps concurrent builds. */
  private readonly slots = pLimit(2);
  private compiledApp?: string;

  constructor(private readonly options: LocalDeployerOptions) {}

  /** The handler of the state machine's CodeBuild task states. */
  async runBuild(parameters: StartBuildParameters): Promise<BuildResult> {
    const env = new Map(parameters.EnvironmentVariablesOverride.map((v) => [v.Name, v.Value]));
    const action = RunnerAction.parse(env.get(RUNNER_ENV.action));
    const clusterId = env.get(RUNNER_ENV.clusterId);
    const jobId = env.get(RUNNER_ENV.jobId);
    if (!clusterId || !jobId) throw new PermanentError(`The runner needs ${RUNNER_ENV.clusterId} and ${RUNNER_ENV.jobId}`);
    await this.slots(() => (action === 'deploy' ? this.deploy(clusterId, jobId) : this.destroy(clusterId, jobId)));
    const id = `local:${jobId}`;
    return { Build: { Id: id, Arn: `arn:aws:codebuild:local:000000000000:build/${id}`, BuildStatus: 'SUCCEEDED', ProjectName: parameters.ProjectName ?? 'local' } };
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

  private async deploy(clusterId: string, jobId: string): Promise<void> {
    const job = { clusterId, jobId };
    const location = await this.options.specs.latest(clusterId);
    if (!location) throw new PermanentError(`Cluster ${clusterId} has no TenantSpec to deploy`);
    const spec = await this.options.specs.get(location);
    const folder = join(this.clusterFolder(clusterId), jobId);
    mkdirSync(folder, { recursive: true });
    const specFile = join(folder, 'tenant-spec.json');
    writeFileSync(specFile, JSON.stringify(spec, null, 2));
    const stackName = tenantStackName(clusterId);
    await recordEvent(this.options, job, 'DEPLOY_STARTED', `Local deploy: synthesizing ${stackName} from TenantSpec version ${location.version} with every compliance check; nothing is deployed to AWS`);

    const outdir = join(folder, 'cdk.out');
    const started = Date.now();
    try {
      await run(process.execPath, [this.app()], {
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          CDK_OUTDIR: outdir,
          // The context the CDK CLI would pass (cdk.json's feature flags) and the spec. Nothing is
          // deployed: assets are neither bundled nor staged, only the template is kept.
          CDK_CONTEXT_JSON: JSON.stringify({
            ...CDK_JSON_CONTEXT,
            tenantSpec: specFile,
            platformConfig: resolve(this.options.configFile),
            'aws:cdk:bundling-stacks': [],
            'aws:cdk:disable-asset-staging': true,
          }),
        },
        maxBuffer: 32 * 1024 * 1024,
      });
    } catch (error) {
      const output = `${(error as { stdout?: string }).stdout ?? ''}\n${(error as { stderr?: string }).stderr ?? ''}`;
      const findings = output.split('\n').filter((line) => /ERROR|Error:|is not a valid/.test(line)).slice(0, 5).join(' | ');
      await recordEvent(this.options, job, 'DEPLOY_FAILED', `Local deploy: synthesis of ${stackName} failed: ${findings || 'see the local log'}`);
      throw new PermanentError(`Synthesis of ${stackName} failed: ${findings || (error as Error).message}`.slice(0, 1000));
    }
    const templateFile = join(outdir, `${stackName}.template.json`);
    const template = JSON.parse(readFileSync(templateFile, 'utf8')) as { Resources: Record<string, unknown> };
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    await recordEvent(
      this.options,
      job,
      'STACK_SYNTHESIZED',
      `Local deploy: ${stackName} synthesized in ${seconds} s, ${Object.keys(template.Resources).length} resources, 0 unacknowledged findings ` +
        `(cdk-nag AwsSolutions, NIST 800-53 R5, HIPAA Security, cfn-guard); template kept at ${templateFile}; not deployed`,
    );
    writeFileSync(join(this.clusterFolder(clusterId), 'template.json'), JSON.stringify(template));
    const environment = this.options.config.environments[spec.environment];
    const outputs: TenantOutputs = {
      queryEndpoint: `local://${spec.queryEndpoint.hostname}`,
      ...(environment ? { starburstRoleArn: starburstRoleArn(clusterId, environment) } : {}),
    };
    writeFileSync(join(this.clusterFolder(clusterId), 'outputs.json'), JSON.stringify(outputs, null, 2));
  }

  private async destroy(clusterId: string, jobId: string): Promise<void> {
    rmSync(join(this.clusterFolder(clusterId), 'outputs.json'), { force: true });
    rmSync(join(this.clusterFolder(clusterId), 'template.json'), { force: true });
    await recordEvent(
      this.options,
      { clusterId, jobId },
      'STACK_DESTROYED',
      `Local destroy: ${tenantStackName(clusterId)} was never deployed to AWS; its synthesized templates stay under ${this.clusterFolder(clusterId)} for the record`,
    );
  }
}
