import { ownerRolePolicy, ownerRoleTrustPolicy } from '../../../lib/access/owner-documents';
import { policyDocument, type PolicyDocument, type PolicyStatement } from '../../../lib/access/policy-document';
import type { TenantDatasource, TenantSpec } from '../../../lib/contract/tenant-spec';
import { TENANT_READER_ROLE_NAME } from '../../../lib/contract/workflow';
import { tenantReaderRolePolicy } from '../../../lib/control-plane/workflow/provisioning-workflow';
import { StsS3AccessProbe, type AwsClientOptions } from '../../../lambda/workflow/sts-s3-access-probe';
import { synthesizeStarburstRole, type StarburstRoleDocuments } from '../../lib/access/starburst-role-documents';
import { platformConfig } from '../../support/fixtures';
import { FakeAws } from './fake-aws';

/**
 * A cluster's AWS world at the SDK boundary (`FakeAws`): the workflow function's credentials, the
 * environment's tenant reader, the cluster's Starburst role as `StarburstRole` synthesizes it, and
 * each datasource's owner role and bucket as the setup generates them (or as a test breaks them);
 * with the real `StsS3AccessProbe` pointed at it.
 */

const config = platformConfig();
export const ENVIRONMENT = config.environments.dev!;
export const CONTROL_PLANE_ACCOUNT = '999999999999';
export const WORKFLOW_FUNCTION = `arn:aws:sts::${CONTROL_PLANE_ACCOUNT}:assumed-role/SiciControlPlane-WorkflowStepsRole/sici-workflow`;
export const READER_ARN = `arn:aws:iam::${ENVIRONMENT.account}:role/${TENANT_READER_ROLE_NAME}`;

/** What the data owner set up for a datasource; each part defaults to the generated document. */
export interface OwnerSetup {
  /** `null`: the owner has not created the role. */
  readonly trust?: PolicyDocument | null;
  readonly permissions?: PolicyStatement[];
  readonly bucketPolicy?: PolicyDocument;
}

/** What the world needs of a TenantSpec. */
export type ClusterSide = Pick<TenantSpec, 'clusterId' | 'datasources'>;

const starburstRoles = new Map<string, StarburstRoleDocuments>();
export function starburstRoleOf(spec: ClusterSide): StarburstRoleDocuments {
  const key = JSON.stringify([spec.clusterId, spec.datasources]);
  if (!starburstRoles.has(key)) {
    starburstRoles.set(key, synthesizeStarburstRole({ clusterId: spec.clusterId, ...ENVIRONMENT, datasources: spec.datasources }));
  }
  return starburstRoles.get(key)!;
}

export const ownerAccess = (ds: TenantDatasource) => ({
  bucketArn: ds.bucketArn,
  prefixes: ds.prefixes,
  accessMode: ds.accessMode,
  externalAccountId: ds.externalAccountId,
  region: ds.region,
});

export interface WorldOptions {
  readonly owner?: (ds: TenantDatasource) => OwnerSetup;
  /** Changes the Starburst role as deployed (e.g. a cluster deployed before its trust admitted the reader). */
  readonly starburst?: (role: StarburstRoleDocuments) => StarburstRoleDocuments;
  readonly withoutReader?: boolean;
  readonly client?: AwsClientOptions;
}

export function awsWorld(spec: ClusterSide, options: WorldOptions = {}) {
  const fake = new FakeAws();
  const credentials = fake.addCaller(WORKFLOW_FUNCTION, [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: READER_ARN }]);
  if (!options.withoutReader) {
    fake.addRole({
      arn: READER_ARN,
      trust: policyDocument([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${CONTROL_PLANE_ACCOUNT}:root` }, Action: 'sts:AssumeRole' }]),
      identity: tenantReaderRolePolicy(ENVIRONMENT).toJSON().Statement,
    });
  }
  const starburst = (options.starburst ?? ((role) => role))(starburstRoleOf(spec));
  fake.addRole({ arn: starburst.roleArn, trust: starburst.trust, identity: starburst.identity, boundary: starburst.boundary });
  for (const ds of spec.datasources) {
    const setup = options.owner?.(ds) ?? {};
    if (setup.trust !== null) {
      fake.addRole({
        arn: ds.roleArn,
        trust: setup.trust ?? ownerRoleTrustPolicy({ starburstRoleArn: starburst.roleArn, externalId: ds.externalId }),
        identity: setup.permissions ?? ownerRolePolicy(ownerAccess(ds)).Statement,
      });
    }
    fake.addBucket({ arn: ds.bucketArn, account: ds.externalAccountId, policy: setup.bucketPolicy });
  }
  const probe = new StsS3AccessProbe({ requestHandler: fake, credentials, ...options.client });
  const check = (ds: TenantDatasource) =>
    probe.check({ clusterId: spec.clusterId, environment: ENVIRONMENT, starburstRoleArn: starburst.roleArn, datasource: ds });
  return { fake, check, starburst };
}
