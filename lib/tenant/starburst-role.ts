import { Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { tenantAssumeBoundaryStatements, tenantAssumeStatements, tenantTagSessionStatements } from '../access/tenant-assume-policy';
import { starburstRoleName, type TenantDatasource } from '../contract/tenant-spec';
import { TENANT_READER_ROLE_NAME } from '../contract/workflow';
import { PodIdentityRole } from './pod-identity-role';
import { ENGINE_NAMESPACE, ENGINE_SERVICE_ACCOUNT } from './engine-names';

export interface StarburstRoleProps {
  /** Names the role (`starburstRoleName`): the data owners' trust policies name it before it exists. */
  readonly clusterId: string;
  readonly cluster: eks.ICluster;
  /** The cluster's name, known at synth (the trust policy compares it with Pod Identity's session tag). */
  readonly clusterName: string;
  /** The approved datasources; the role may assume each one's role, only with its ExternalId. */
  readonly datasources: TenantDatasource[];
  /**
   * The secrets the stack generates for the engine (ingest token, shared secret for internal
   * communication), all encrypted with `secretsKey`; read through the Secrets Store CSI driver.
   */
  readonly engineSecrets: secretsmanager.ISecret[];
  readonly secretsKey: kms.IKey;
  /**
   * The platform's secrets the engine reads, by ARN: the identity provider's client secret and, for
   * Starburst, the licence. Encrypted with a key of the platform's (`aws/secretsmanager`, or a key
   * whose policy admits this role through Secrets Manager), not with `secretsKey`.
   * @default - none
   */
  readonly platformSecretArns?: string[];
}

/**
 * The one IAM role of the engine's pods (EKS Pod Identity, service account `starburst/starburst`).
 * It holds exactly one `sts:AssumeRole` statement per datasource, each bound to that datasource's
 * ExternalId, plus the read of exactly the engine's secrets (its ingest token and shared secret, the
 * platform's identity provider client secret and licence); a permissions boundary created here caps
 * it at the same set, so that no later attachment can widen it.
 *
 * Its trust also admits this account's `sici-tenant-reader` role, through which the control plane
 * checks a new datasource's access as the engine will use it (with a session policy that keeps it
 * to that datasource's AssumeRole). No `sts:TagSession` for it: the reader's sessions carry no tags.
 */
export class StarburstRole extends Construct {
  readonly role: iam.Role;
  readonly boundary: iam.ManagedPolicy;
  /** The role's only policy (a managed policy, so that it is versioned and auditable on its own). */
  readonly policy: iam.ManagedPolicy;
  readonly association: eks.CfnPodIdentityAssociation;

  constructor(scope: Construct, id: string, props: StarburstRoleProps) {
    super(scope, id);
    const region = Stack.of(this).region;

    const generated = props.engineSecrets.map((secret) => secret.secretArn);
    const readSecrets = [
      new iam.PolicyStatement({
        sid: 'ReadEngineSecrets',
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [...generated, ...(props.platformSecretArns ?? [])],
      }),
      new iam.PolicyStatement({
        sid: 'DecryptEngineSecrets',
        actions: ['kms:Decrypt'],
        resources: [props.secretsKey.keyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': `secretsmanager.${region}.amazonaws.com`,
            'kms:EncryptionContext:SecretARN': generated,
          },
        },
      }),
    ];

    this.boundary = new iam.ManagedPolicy(this, 'PermissionsBoundary', {
      description: `Permissions boundary of the Starburst role of ${props.clusterName}`,
      statements: [
        ...[...tenantAssumeBoundaryStatements(props.datasources), ...tenantTagSessionStatements(props.datasources)].map((s) => iam.PolicyStatement.fromJson(s)),
        ...readSecrets,
      ],
    });

    this.role = new PodIdentityRole(this, 'Role', {
      roleName: starburstRoleName(props.clusterId),
      description: `Starburst pods of ${props.clusterName}: assume approved datasource roles with their ExternalId`,
      clusterName: props.clusterName,
      namespace: ENGINE_NAMESPACE,
      serviceAccount: ENGINE_SERVICE_ACCOUNT,
      permissionsBoundary: this.boundary,
    });
    const tenantReader = Stack.of(this).formatArn({ service: 'iam', region: '', resource: 'role', resourceName: TENANT_READER_ROLE_NAME });
    this.role.assumeRolePolicy!.addStatements(
      new iam.PolicyStatement({ sid: 'TenantReaderValidatesAccess', actions: ['sts:AssumeRole'], principals: [new iam.ArnPrincipal(tenantReader)] }),
    );

    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Starburst pods of ${props.clusterName}: one statement per approved datasource, and the engine's secrets`,
      // The AssumeRole statements come from the one generator the data owners' documents are tested against.
      // Pod Identity's session tags are transitive: the chained AssumeRole needs sts:TagSession on the same roles.
      statements: [
        ...[...tenantAssumeStatements(props.datasources), ...tenantTagSessionStatements(props.datasources)].map((s) => iam.PolicyStatement.fromJson(s)),
        ...readSecrets,
      ],
    });
    this.role.addManagedPolicy(this.policy);

    this.association = new eks.CfnPodIdentityAssociation(this, 'PodIdentityAssociation', {
      clusterName: props.cluster.clusterName,
      namespace: ENGINE_NAMESPACE,
      serviceAccount: ENGINE_SERVICE_ACCOUNT,
      roleArn: this.role.roleArn,
    });
  }
}
