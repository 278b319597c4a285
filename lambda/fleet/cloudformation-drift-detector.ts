import { setTimeout as sleep } from 'node:timers/promises';
import {
  CloudFormationClient,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  DetectStackDriftCommand,
  type DescribeStackDriftDetectionStatusCommandOutput,
  type StackResourceDrift,
} from '@aws-sdk/client-cloudformation';
import type { EnvironmentConfig } from '../../lib/config/platform-config';
import type { DriftedResource } from '../../lib/contract/api';
import { tenantStackName } from '../../lib/contract/tenant-spec';
import type { ClusterRecord } from '../core/cluster-store';
import type { DetectedDrift } from '../core/drift-classification';
import { tenantReaderCredentials, type AwsClientOptions } from '../core/tenant-reader';
import type { DriftDetector } from './drift-check';

export interface CloudFormationDriftDetectorOptions extends AwsClientOptions {
  /** How long to wait between looks at a detection in progress. @default 5000 */
  readonly pollIntervalMs?: number;
  /** Looks at a detection before it is given up as UNKNOWN. @default 60 (five minutes at the default interval) */
  readonly maxPolls?: number;
  /** How to wait (tests pass one that does not). @default a timer */
  readonly wait?: (ms: number) => Promise<unknown>;
}

/**
 * Drift of a tenant stack (`TenantStack-<clusterId>`) from CloudFormation, in the cluster's
 * environment account through its `sici-tenant-reader` role: DetectStackDrift, then
 * DescribeStackDriftDetectionStatus until the detection ends, then (when drifted)
 * DescribeStackResourceDrifts over all its pages for the MODIFIED and DELETED resources.
 */
export class CloudFormationDriftDetector implements DriftDetector {
  private readonly clients = new Map<string, CloudFormationClient>();

  constructor(private readonly options: CloudFormationDriftDetectorOptions = {}) {}

  async detect(cluster: ClusterRecord, environment: EnvironmentConfig): Promise<DetectedDrift> {
    const cloudFormation = this.client(environment);
    const stackName = tenantStackName(cluster.clusterId);
    const { StackDriftDetectionId: detectionId } = await cloudFormation.send(new DetectStackDriftCommand({ StackName: stackName }));
    if (!detectionId) return { status: 'UNKNOWN', detail: `DetectStackDrift of ${stackName} returned no detection id` };

    let status: DescribeStackDriftDetectionStatusCommandOutput | undefined;
    const maxPolls = this.options.maxPolls ?? 60;
    for (let poll = 0; poll < maxPolls; poll++) {
      status = await cloudFormation.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: detectionId }));
      if (status.DetectionStatus !== 'DETECTION_IN_PROGRESS') break;
      await (this.options.wait ?? sleep)(this.options.pollIntervalMs ?? 5000);
    }
    if (!status || status.DetectionStatus === 'DETECTION_IN_PROGRESS') {
      return { status: 'UNKNOWN', detail: `drift detection ${detectionId} of ${stackName} still in progress after ${maxPolls} looks` };
    }
    const reason = status.DetectionStatusReason ? `: ${status.DetectionStatusReason}` : '';
    // DETECTION_FAILED: some resources could not be checked; those that could are reported.
    if (status.StackDriftStatus === 'DRIFTED') {
      const resources = await this.driftedResources(cloudFormation, stackName);
      return { status: 'DRIFTED', resources, ...(status.DetectionStatus === 'DETECTION_FAILED' ? { detail: `detection incomplete${reason}` } : {}) };
    }
    if (status.DetectionStatus === 'DETECTION_FAILED') return { status: 'UNKNOWN', detail: `drift detection of ${stackName} failed${reason}` };
    if (status.StackDriftStatus === 'IN_SYNC') return { status: 'IN_SYNC' };
    return { status: 'UNKNOWN', detail: `drift detection of ${stackName} ended ${status.StackDriftStatus ?? 'without a drift status'}${reason}` };
  }

  private async driftedResources(cloudFormation: CloudFormationClient, stackName: string): Promise<DriftedResource[]> {
    const resources: DriftedResource[] = [];
    let nextToken: string | undefined;
    do {
      const page = await cloudFormation.send(
        new DescribeStackResourceDriftsCommand({ StackName: stackName, StackResourceDriftStatusFilters: ['MODIFIED', 'DELETED'], NextToken: nextToken }),
      );
      resources.push(...(page.StackResourceDrifts ?? []).flatMap(toDriftedResource));
      nextToken = page.NextToken;
    } while (nextToken);
    return resources;
  }

  private client(environment: EnvironmentConfig): CloudFormationClient {
    const key = `${environment.account}/${environment.region}`;
    let client = this.clients.get(key);
    if (!client) {
      const credentials = tenantReaderCredentials(environment, 'sici-drift-check', this.options);
      client = new CloudFormationClient({ region: environment.region, credentials, requestHandler: this.options.requestHandler });
      this.clients.set(key, client);
    }
    return client;
  }
}

function toDriftedResource(drift: StackResourceDrift): DriftedResource[] {
  const status = drift.StackResourceDriftStatus;
  if ((status !== 'MODIFIED' && status !== 'DELETED') || !drift.LogicalResourceId || !drift.ResourceType) return [];
  return [
    {
      logicalId: drift.LogicalResourceId,
      ...(drift.PhysicalResourceId ? { physicalId: drift.PhysicalResourceId } : {}),
      resourceType: drift.ResourceType,
      status,
      properties: (drift.PropertyDifferences ?? []).flatMap((difference) =>
        difference.PropertyPath && difference.DifferenceType
          ? [
              {
                path: difference.PropertyPath,
                ...(difference.ExpectedValue !== undefined ? { expected: difference.ExpectedValue } : {}),
                ...(difference.ActualValue !== undefined ? { actual: difference.ActualValue } : {}),
                difference: difference.DifferenceType,
              },
            ]
          : [],
      ),
    },
  ];
}
