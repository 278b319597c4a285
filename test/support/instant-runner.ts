import { RUNNER_ENV, type StartBuildParameters } from '../../lib/contract/workflow';
import type { BuildResult } from '../../lambda/local/local-deployer';
import type { TenantOutputs, TenantOutputsReader } from '../../lambda/workflow/ports';

/**
 * A stand-in for the CodeBuild runner (an AWS service with no local implementation) that answers
 * at once: it records each build and reports the outputs a deployed stack would. The real local
 * deployer, which synthesizes TenantStack, is exercised by the end-to-end tests.
 */
export class InstantRunner implements TenantOutputsReader {
  readonly builds: { action: string; clusterId: string; jobId: string }[] = [];
  private readonly deployed = new Set<string>();

  async runBuild(parameters: StartBuildParameters): Promise<BuildResult> {
    const env = Object.fromEntries(parameters.EnvironmentVariablesOverride.map((v) => [v.Name, v.Value]));
    const build = { action: env[RUNNER_ENV.action], clusterId: env[RUNNER_ENV.clusterId], jobId: env[RUNNER_ENV.jobId] };
    this.builds.push(build);
    if (build.action === 'deploy') this.deployed.add(build.clusterId);
    else this.deployed.delete(build.clusterId);
    return { Build: { Id: `instant:${build.jobId}`, Arn: `arn:aws:codebuild:us-east-1:000000000000:build/instant:${build.jobId}`, BuildStatus: 'SUCCEEDED', ProjectName: 'instant' } };
  }

  async read(spec: { clusterId: string }): Promise<TenantOutputs> {
    if (!this.deployed.has(spec.clusterId)) throw new Error(`${spec.clusterId} is not deployed`);
    return { queryEndpoint: `local://${spec.clusterId}.instant`, vpcId: 'vpc-instant', eksClusterArn: `arn:aws:eks:us-east-1:000000000000:cluster/sici-${spec.clusterId}` };
  }
}
