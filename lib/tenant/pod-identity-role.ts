import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface PodIdentityRoleProps {
  /** The EKS cluster's name (known at synth: it follows from the cluster id). */
  readonly clusterName: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly description: string;
  /** @default - a name CloudFormation generates */
  readonly roleName?: string;
  /** @default - no permissions boundary */
  readonly permissionsBoundary?: iam.IManagedPolicy;
}

/**
 * An IAM role that EKS Pod Identity may assume for exactly one service account of one cluster of
 * this account: the trust policy checks the session tags Pod Identity sets.
 */
export class PodIdentityRole extends iam.Role {
  constructor(scope: Construct, id: string, props: PodIdentityRoleProps) {
    super(scope, id, {
      description: props.description,
      roleName: props.roleName,
      permissionsBoundary: props.permissionsBoundary,
      // Pod Identity calls sts:AssumeRole and sts:TagSession; the tags name cluster, namespace and service account.
      assumedBy: new iam.SessionTagsPrincipal(
        new iam.ServicePrincipal('pods.eks.amazonaws.com').withConditions({
          StringEquals: {
            'aws:SourceAccount': Stack.of(scope).account,
            'aws:RequestTag/eks-cluster-name': props.clusterName,
            'aws:RequestTag/kubernetes-namespace': props.namespace,
            'aws:RequestTag/kubernetes-service-account': props.serviceAccount,
          },
        }),
      ),
    });
  }
}
