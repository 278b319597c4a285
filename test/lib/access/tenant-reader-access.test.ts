import { policyDocument, type PolicyStatement } from '../../../lib/access/policy-document';
import { starburstRoleArn } from '../../../lib/contract/tenant-spec';
import { TENANT_READER_ROLE_NAME } from '../../../lib/contract/workflow';
import { tenantReaderRolePolicy } from '../../../lib/control-plane/workflow/provisioning-workflow';
import { platformConfig } from '../../support/fixtures';
import { ALL_DATASOURCES, ENVIRONMENT_ACCOUNTS, TENANTS, type GeneratedTenant } from './generated-tenants';
import { decide, tally, validation, type Request } from './simulate';
import { synthesizeStarburstRole, type StarburstRoleDocuments } from './starburst-role-documents';

/**
 * The environment account's `sici-tenant-reader` role and the clusters' Starburst roles, through
 * the IAM policy simulator: the reader may assume the Starburst roles of its own account and no
 * other role, and a Starburst role's trust admits the reader of its own account and no other
 * principal of any account (besides EKS Pod Identity for the engine's pods).
 */

const REGION = 'us-east-1';
const config = platformConfig();
const environmentOf = (account: string) => ({ ...config.environments.dev!, account, region: REGION });

const readerArnOf = (account: string) => `arn:aws:iam::${account}:role/${TENANT_READER_ROLE_NAME}`;
const readerSessionOf = (account: string) => `arn:aws:sts::${account}:assumed-role/${TENANT_READER_ROLE_NAME}/sici-probe-ds-0123456789abcdef`;
const readerPolicyOf = (account: string): PolicyStatement[] => tenantReaderRolePolicy(environmentOf(account)).toJSON().Statement;
const starburstOf = (tenant: GeneratedTenant) => starburstRoleArn(tenant.clusterId, { account: tenant.account, region: REGION });

/** A trust policy that leaves the decision to the caller's account, to look at the caller's policy alone. */
const delegatingTrust = (account: string) =>
  policyDocument([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: ['sts:AssumeRole', 'sts:TagSession'] }]);
/** An identity policy that allows any AssumeRole, to look at a trust policy alone. */
const ANY_ASSUME: PolicyStatement[] = [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'], Resource: '*' }];

const assume = (principal: string, roleArn: string, action = 'sts:AssumeRole'): Request => ({
  principal,
  action,
  resource: roleArn,
  resourceAccount: roleArn.split(':')[4],
});

describe("the tenant reader's policy", () => {
  // Reading a Starburst role (iam:GetRole and its policies) is allowed: drift detection of the tenant stack reads it.
  const OTHER_ACTIONS = ['sts:TagSession', 'iam:PassRole', 'iam:UpdateAssumeRolePolicy', 'iam:AttachRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRole'];

  test('allows AssumeRole on every Starburst role of its own account, and on no other role', async () => {
    const counts = { allowed: 0, denied: 0, expectedDenied: 0 };
    for (const account of ENVIRONMENT_ACCOUNTS) {
      const identity = readerPolicyOf(account);
      const decideFor = async (roleArn: string, action = 'sts:AssumeRole') =>
        decide(assume(readerSessionOf(account), roleArn, action), { identity, resource: delegatingTrust(account) });
      for (const tenant of TENANTS) {
        const decision = await decideFor(starburstOf(tenant));
        expect({ tenant: tenant.index, decision }).toEqual({ tenant: tenant.index, decision: tenant.account === account ? 'Allowed' : 'ImplicitlyDenied' });
        if (decision === 'Allowed') counts.allowed++;
      }
      const others = [
        ...ALL_DATASOURCES.map(({ ds }) => ds.roleArn),
        readerArnOf(account),
        `arn:aws:iam::${account}:role/cdk-hnb659fds-deploy-role-${account}-${REGION}`,
        `arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${REGION}`,
        `arn:aws:iam::${account}:role/TenantStack-${TENANTS[0].clusterId}-StarburstRoleABCDEF-0123456789AB`,
        `arn:aws:iam::${account}:role/sici-${TENANTS[0].clusterId}-admin`,
        `arn:aws:iam::${account}:role/platform/sici-${TENANTS[0].clusterId}-starburst`,
        `arn:aws:iam::${account}:role/sici-tenant-starburst`,
      ];
      counts.expectedDenied += others.length + OTHER_ACTIONS.length;
      for (const roleArn of others) {
        expect({ roleArn, decision: await decideFor(roleArn) }).toEqual({ roleArn, decision: 'ImplicitlyDenied' });
        counts.denied++;
      }
      // Nothing else on a Starburst role: no session tags, no passing it, no changing it; reading it, for drift detection.
      const own = starburstOf(TENANTS.find((t) => t.account === account)!);
      expect({ action: 'iam:GetRole', decision: await decideFor(own, 'iam:GetRole') }).toEqual({ action: 'iam:GetRole', decision: 'Allowed' });
      for (const action of OTHER_ACTIONS) {
        expect({ action, decision: await decideFor(own, action) }).toEqual({ action, decision: 'ImplicitlyDenied' });
        counts.denied++;
      }
    }
    expect(counts.allowed).toBe(TENANTS.length);
    expect(counts.denied).toBe(counts.expectedDenied);
  });
});

describe("a Starburst role's trust policy (as StarburstRole synthesizes it)", () => {
  // Two tenants of each environment account.
  const tenants = ENVIRONMENT_ACCOUNTS.flatMap((account) => TENANTS.filter((t) => t.account === account).slice(0, 2));
  let roles: Map<GeneratedTenant, StarburstRoleDocuments>;
  beforeAll(() => {
    roles = new Map(tenants.map((t) => [t, synthesizeStarburstRole({ clusterId: t.clusterId, account: t.account, region: REGION, datasources: t.datasources })]));
  });

  test('admits the tenant reader of its own account, and no other principal of that account or of another', async () => {
    for (const tenant of tenants) {
      const role = roles.get(tenant)!;
      expect(role.roleArn).toBe(starburstOf(tenant));
      const trustOnly = (principal: string, action?: string) => decide(assume(principal, role.roleArn, action), { identity: ANY_ASSUME, resource: role.trust });
      expect(await trustOnly(readerSessionOf(tenant.account))).toBe('Allowed');
      // The reader's sessions carry no tags, and may not add any.
      expect(await trustOnly(readerSessionOf(tenant.account), 'sts:TagSession')).toBe('ImplicitlyDenied');
      const strangers = [
        ...ENVIRONMENT_ACCOUNTS.filter((a) => a !== tenant.account).map(readerSessionOf),
        `arn:aws:sts::${tenant.account}:assumed-role/${TENANT_READER_ROLE_NAME}-copy/someone`,
        `arn:aws:sts::${tenant.account}:assumed-role/cdk-hnb659fds-cfn-exec-role-${tenant.account}-${REGION}/deploy`,
        `arn:aws:sts::${tenant.account}:assumed-role/${role.roleName}/itself`,
        `arn:aws:iam::${tenant.account}:user/admin`,
        `arn:aws:sts::999999999999:assumed-role/SiciControlPlane-WorkflowStepsRole/sici-workflow`,
        ...tenant.datasources.map((ds) => `arn:aws:sts::${ds.externalAccountId}:assumed-role/DataEngineer/someone`),
      ];
      for (const principal of strangers) expect({ principal, decision: await trustOnly(principal) }).toEqual({ principal, decision: 'ImplicitlyDenied' });
    }
  });

  test("still admits EKS Pod Identity for the engine's service account of its own cluster only", async () => {
    for (const tenant of tenants) {
      const role = roles.get(tenant)!;
      const podIdentity = (clusterName: string): Request => ({
        ...assume('pods.eks.amazonaws.com', role.roleArn),
        context: {
          'aws:SourceAccount': tenant.account,
          'aws:RequestTag/eks-cluster-name': clusterName,
          'aws:RequestTag/kubernetes-namespace': 'starburst',
          'aws:RequestTag/kubernetes-service-account': 'starburst',
        },
      });
      expect(await decide(podIdentity(`sici-${tenant.clusterId}`), { resource: role.trust })).toBe('Allowed');
      expect(await decide(podIdentity('sici-c-zzzzzzzzzzzzzzzz'), { resource: role.trust })).toBe('ImplicitlyDenied');
    }
  });

  test("both sides: a reader assumes exactly the Starburst roles of its own account", async () => {
    for (const tenant of tenants) {
      const role = roles.get(tenant)!;
      for (const account of ENVIRONMENT_ACCOUNTS) {
        const decision = await decide(assume(readerSessionOf(account), role.roleArn), { identity: readerPolicyOf(account), resource: role.trust });
        expect({ tenant: tenant.index, account, decision }).toEqual({ tenant: tenant.index, account, decision: account === tenant.account ? 'Allowed' : 'ImplicitlyDenied' });
      }
    }
  });
});

afterAll(() => {
  process.stdout.write(`tenant reader: ${tally.evaluated} simulated requests, ${tally.allowed} allowed, ${tally.denied} denied (${validation.validatedRuns} of them also validated)\n`);
});
