import { ownerRoleTrustPolicy } from '../../../lib/access/owner-documents';
import { policyDocument } from '../../../lib/access/policy-document';
import { tenantAssumeBoundaryStatements, tenantAssumeStatements, tenantTagSessionStatements } from '../../../lib/access/tenant-assume-policy';
import { ALL_DATASOURCES, ENVIRONMENT_ACCOUNTS, OWNER_ACCOUNTS, TENANTS, type GeneratedTenant, type OwnedDatasource } from './generated-tenants';
import { decide, tally, validation, type Request } from './simulate';

/**
 * Cross-account AssumeRole of every generated tenant's Starburst role into every datasource role
 * of every tenant, through the IAM policy simulator: the tenant side alone, the owner's trust policy
 * alone, and both together as AWS evaluates a cross-account call.
 */

const assumeRequest = (tenant: GeneratedTenant, target: OwnedDatasource, externalId?: string): Request => ({
  principal: tenant.starburstSessionArn,
  action: 'sts:AssumeRole',
  resource: target.ds.roleArn,
  resourceAccount: target.ds.externalAccountId,
  context: externalId === undefined ? {} : { 'sts:ExternalId': externalId },
});

const tenantPolicies = (tenant: GeneratedTenant) => ({
  identity: tenantAssumeStatements(tenant.datasources),
  boundary: tenantAssumeBoundaryStatements(tenant.datasources),
});

const trustOf = (target: OwnedDatasource) =>
  ownerRoleTrustPolicy({ starburstRoleArn: target.tenant.starburstRoleArn, externalId: target.ds.externalId });

/** A trust policy that leaves the decision to the caller's account, to look at the tenant side alone. */
const delegatingTrust = (account: string) =>
  policyDocument([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: ['sts:AssumeRole', 'sts:TagSession'] }]);

/** An identity policy that allows any AssumeRole, to look at the owner's trust policy alone. */
const ANY_ASSUME = [{ Effect: 'Allow' as const, Action: ['sts:AssumeRole', 'sts:TagSession'], Resource: '*' }];

/** Another datasource's ExternalId (of the same tenant if it has one, else of the next tenant). */
function otherExternalId(target: OwnedDatasource): string {
  const sibling = target.tenant.datasources.find((ds) => ds.id !== target.ds.id);
  if (sibling) return sibling.externalId;
  return TENANTS[(target.tenant.index + 1) % TENANTS.length].datasources[0].externalId;
}

test('the generated tenants cover what the simulations need', () => {
  expect(TENANTS).toHaveLength(20);
  const counts = TENANTS.map((t) => t.datasources.length);
  expect(Math.min(...counts)).toBe(1);
  expect(Math.max(...counts)).toBe(3);
  expect(new Set(ALL_DATASOURCES.map(({ ds }) => ds.id)).size).toBe(ALL_DATASOURCES.length);
  expect(new Set(ALL_DATASOURCES.map(({ ds }) => ds.externalId)).size).toBe(ALL_DATASOURCES.length);
  expect(new Set(ALL_DATASOURCES.map(({ ds }) => ds.accessMode))).toEqual(new Set(['read-only', 'read-write']));
  // Tenants share environment accounts, owner accounts and buckets: the denials below are not just account mismatches.
  for (const account of ENVIRONMENT_ACCOUNTS) expect(TENANTS.filter((t) => t.account === account).length).toBeGreaterThan(1);
  for (const owner of OWNER_ACCOUNTS) {
    expect(new Set(ALL_DATASOURCES.filter(({ ds }) => ds.externalAccountId === owner).map(({ tenant }) => tenant.index)).size).toBeGreaterThan(1);
  }
  const tenantsPerBucket = new Map<string, Set<number>>();
  for (const { tenant, ds } of ALL_DATASOURCES) tenantsPerBucket.set(ds.bucketArn, (tenantsPerBucket.get(ds.bucketArn) ?? new Set()).add(tenant.index));
  expect([...tenantsPerBucket.values()].some((tenants) => tenants.size > 1)).toBe(true);
});

describe('tenant side: the Starburst role policy (and its boundary) alone', () => {
  test('each Starburst role may assume exactly its own datasource roles, each only with its ExternalId', async () => {
    let ownAllowed = 0;
    let crossAllowed = 0;
    let crossEvaluated = 0;
    for (const tenant of TENANTS) {
      for (const target of ALL_DATASOURCES) {
        const own = target.tenant === tenant;
        const decision = await decide(assumeRequest(tenant, target, target.ds.externalId), {
          ...tenantPolicies(tenant),
          resource: delegatingTrust(tenant.account),
        });
        if (own) {
          expect(decision).toBe('Allowed');
          ownAllowed++;
        } else {
          crossEvaluated++;
          if (decision === 'Allowed') crossAllowed++;
        }
      }
      for (const target of ALL_DATASOURCES.filter((d) => d.tenant === tenant)) {
        const policies = { ...tenantPolicies(tenant), resource: delegatingTrust(tenant.account) };
        expect(await decide(assumeRequest(tenant, target), policies)).toBe('ImplicitlyDenied');
        expect(await decide(assumeRequest(tenant, target, otherExternalId(target)), policies)).toBe('ImplicitlyDenied');
        expect(await decide(assumeRequest(tenant, target, target.ds.externalId.toUpperCase()), policies)).toBe('ImplicitlyDenied');
      }
    }
    expect(ownAllowed).toBe(ALL_DATASOURCES.length);
    expect(crossEvaluated).toBe(TENANTS.length * ALL_DATASOURCES.length - ALL_DATASOURCES.length);
    expect(crossAllowed).toBe(0);
  });

  test('sts:TagSession comes only from tenantTagSessionStatements, and only on its own datasource roles', async () => {
    for (const tenant of TENANTS) {
      for (const target of ALL_DATASOURCES) {
        const request = { ...assumeRequest(tenant, target), action: 'sts:TagSession' };
        const resource = delegatingTrust(tenant.account);
        expect(await decide(request, { identity: tenantAssumeStatements(tenant.datasources), resource })).toBe('ImplicitlyDenied');
        const withTags = await decide(request, { identity: tenantTagSessionStatements(tenant.datasources), resource });
        expect(withTags).toBe(target.tenant === tenant ? 'Allowed' : 'ImplicitlyDenied');
      }
    }
  });
});

describe("owner side: the datasource role's trust policy alone", () => {
  test('only the Starburst role of the datasource\'s own cluster may assume it, with the ExternalId', async () => {
    let crossAllowed = 0;
    for (const target of ALL_DATASOURCES) {
      const resource = trustOf(target);
      for (const tenant of TENANTS) {
        // Every other tenant's Starburst role, even holding the right ExternalId and any AssumeRole permission.
        const decision = await decide(assumeRequest(tenant, target, target.ds.externalId), { identity: ANY_ASSUME, resource });
        if (tenant === target.tenant) expect(decision).toBe('Allowed');
        else if (decision === 'Allowed') crossAllowed++;
      }
      const own = target.tenant;
      expect(await decide(assumeRequest(own, target), { identity: ANY_ASSUME, resource })).toBe('ImplicitlyDenied');
      expect(await decide(assumeRequest(own, target, otherExternalId(target)), { identity: ANY_ASSUME, resource })).toBe('ImplicitlyDenied');
      // Nobody else: another role of the same environment account, the role itself called directly by a
      // user, a role of the owner's own account.
      const strangers = [
        `arn:aws:sts::${own.account}:assumed-role/TenantStack-c-zzzzzzzzzzzzzzzz-Admin/someone`,
        `arn:aws:iam::${own.account}:user/admin`,
        `arn:aws:sts::${target.ds.externalAccountId}:assumed-role/DataEngineer/someone`,
      ];
      for (const principal of strangers) {
        const request = { ...assumeRequest(own, target, target.ds.externalId), principal };
        expect(await decide(request, { identity: ANY_ASSUME, resource })).toBe('ImplicitlyDenied');
      }
      // TagSession: the own Starburst role only (no ExternalId in its request context).
      for (const tenant of TENANTS) {
        const decision = await decide({ ...assumeRequest(tenant, target), action: 'sts:TagSession' }, { identity: ANY_ASSUME, resource });
        expect(decision).toBe(tenant === target.tenant ? 'Allowed' : 'ImplicitlyDenied');
      }
    }
    expect(crossAllowed).toBe(0);
  });
});

describe('both sides, as AWS evaluates the cross-account call', () => {
  test('across all tenants: allowed exactly for own datasource roles with the right ExternalId, 0 cross-tenant allows', async () => {
    const counts = { allowed: 0, denied: 0, crossTenantAllowed: 0, evaluated: 0 };
    for (const tenant of TENANTS) {
      for (const target of ALL_DATASOURCES) {
        const policies = { ...tenantPolicies(tenant), resource: trustOf(target) };
        const own = target.tenant === tenant;
        const tries = new Set([target.ds.externalId, undefined, otherExternalId(target), tenant.datasources[0].externalId]);
        for (const externalId of tries) {
          const decision = await decide(assumeRequest(tenant, target, externalId), policies);
          counts.evaluated++;
          const expected = own && externalId === target.ds.externalId ? 'Allowed' : 'ImplicitlyDenied';
          expect({ tenant: tenant.index, role: target.ds.roleArn, externalId, decision }).toEqual({
            tenant: tenant.index,
            role: target.ds.roleArn,
            externalId,
            decision: expected,
          });
          if (decision === 'Allowed') {
            counts.allowed++;
            if (!own) counts.crossTenantAllowed++;
          } else {
            counts.denied++;
          }
        }
      }
    }
    expect(counts.crossTenantAllowed).toBe(0);
    expect(counts.allowed).toBe(ALL_DATASOURCES.length);
    expect(counts.allowed + counts.denied).toBe(counts.evaluated);
    expect(counts.evaluated).toBeGreaterThan(TENANTS.length * ALL_DATASOURCES.length * 3);
  });
});

afterAll(() => {
  // One line for the record: how many simulated decisions this file made.
  process.stdout.write(`cross-account assume: ${tally.evaluated} simulated requests, ${tally.allowed} allowed, ${tally.denied} denied (${validation.validatedRuns} of them also validated)\n`);
});
