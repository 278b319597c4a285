import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROUTES } from '../../../lib/contract/routes';
import { ENV } from '../../../lib/contract/function-environment';
import { AUDIT_TABLE_KEYS, STATE_TABLE_KEYS } from '../../../lib/contract/tables';
import { AUDIT_READING_GROUPS, AUDITING_GROUPS, ROUTE_GROUPS, STATE_TABLE_ACTIONS } from '../../../lib/control-plane/api-functions';
import { COLLECTOR_STATE_TABLE_ACTIONS } from '../../../lib/control-plane/usage-collection';
import { USAGE_METRICS } from '../../../lib/contract/usage';
import { expectCleanSynth } from '../../support/compliance-report';
import { platformConfig } from '../../support/fixtures';
import { SynthesizedControlPlane, synthControlPlane } from '../../support/synth-control-plane';
import { asArray, Json, Match, mentions, renderArn } from '../../support/template';

/**
 * One synth of SiciControlPlane as `cdk deploy` makes it, shared by all assertions: the Lambdas
 * bundled with esbuild (and the runner bundle built), and AwsSolutions, NIST 800-53 R5, HIPAA and
 * cfn-guard run. If the compliance checks fail, the template is still read from the output folder,
 * so the template assertions below report on their own.
 */

const config = platformConfig();

let cp: SynthesizedControlPlane;

beforeAll(() => {
  cp = synthControlPlane({ bundling: true, complianceChecks: true });
});

afterAll(() => cp?.remove());

/** Statements of the customer managed policy attached to a function's role. */
function statementsOfFunction(group: string): Json[] {
  const [functionId] = cp.logicalIds('AWS::Lambda::Function', (p) => p.Description === `SICI API: the ${group} routes`);
  return cp.statementsOfRole(cp.resources[functionId].Properties.Role['Fn::GetAtt'][0]);
}

/** The full path of an API Gateway resource, e.g. `/clusters/{clusterId}`, from the resource tree. */
function resourcePath(resourceId: Json): string {
  if (resourceId['Fn::GetAtt']) return ''; // the root resource
  const resource = cp.resources[resourceId.Ref].Properties;
  return `${resourcePath(resource.ParentId)}/${resource.PathPart}`;
}

describe('compliance', () => {
  test('the stack synthesizes with AwsSolutions, NIST 800-53 R5, HIPAA and cfn-guard and no unacknowledged finding', () => {
    expectCleanSynth(cp.synthError, cp.outdir);
  });

  test('the synth needs no context lookup', () => {
    expect(cp.manifest.missing ?? []).toEqual([]);
  });
});

describe('REST API', () => {
  test('one method per route of ROUTES, at its path, and no other', () => {
    const methods = cp.ofType('AWS::ApiGateway::Method').map(([, m]) => `${m.Properties.HttpMethod} ${resourcePath(m.Properties.ResourceId)}`);
    expect(methods.sort()).toEqual(ROUTES.map((route) => `${route.method} ${route.path}`).sort());
  });

  test('every method requires AWS_IAM and no API key, but the engines\' ingest route (its function checks the cluster\'s bearer token)', () => {
    const methods = cp.ofType('AWS::ApiGateway::Method');
    expect(methods.length).toBeGreaterThan(0);
    const open: string[] = [];
    for (const [, method] of methods) {
      const route = ROUTES.find((r) => r.method === method.Properties.HttpMethod && r.path === resourcePath(method.Properties.ResourceId))!;
      expect(method.Properties.AuthorizationType).toBe(route.access === 'cluster' ? 'NONE' : 'AWS_IAM');
      if (method.Properties.AuthorizationType === 'NONE') open.push(route.operationId);
      expect(method.Properties.ApiKeyRequired ?? false).toBe(false);
    }
    expect(open).toEqual(['ingestQueryEvent']);
    expect(cp.logicalIds('AWS::ApiGateway::ApiKey')).toEqual([]);
    expect(cp.logicalIds('AWS::ApiGateway::UsagePlan')).toEqual([]);
  });

  test('each method is a Lambda proxy integration to the function of its route group', () => {
    for (const [, method] of cp.ofType('AWS::ApiGateway::Method')) {
      const route = ROUTES.find((r) => r.method === method.Properties.HttpMethod && r.path === resourcePath(method.Properties.ResourceId))!;
      const [functionId] = cp.logicalIds('AWS::Lambda::Function', (p) => p.Description === `SICI API: the ${route.group} routes`);
      expect(method.Properties.Integration.Type).toBe('AWS_PROXY');
      expect(mentions(method.Properties.Integration.Uri, functionId)).toBe(true);
    }
  });

  test('regional endpoint, request validator, path parameters required', () => {
    cp.template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
    cp.template.resourceCountIs('AWS::ApiGateway::RequestValidator', 1);
    const [getCluster] = cp.ofType('AWS::ApiGateway::Method').filter(
      ([, m]) => m.Properties.HttpMethod === 'GET' && resourcePath(m.Properties.ResourceId) === '/clusters/{clusterId}',
    );
    expect(getCluster[1].Properties.RequestParameters).toEqual({ 'method.request.path.clusterId': true });
    expect(getCluster[1].Properties.RequestValidatorId).toBeDefined();
  });

  test('stage: JSON access logs with the required fields, ERROR execution logs, no data trace, X-Ray, throttling', () => {
    const [[, stage]] = cp.ofType('AWS::ApiGateway::Stage');
    const format = JSON.parse(stage.Properties.AccessLogSetting.Format);
    for (const field of ['requestId', 'ip', 'caller', 'user', 'userArn', 'requestTime', 'httpMethod', 'resourcePath', 'status', 'protocol', 'responseLength']) {
      expect(format).toHaveProperty(field);
    }
    const [accessLogGroup] = cp.logicalIds('AWS::Logs::LogGroup', () => true).filter((id) => mentions(stage.Properties.AccessLogSetting.DestinationArn, id));
    expect(accessLogGroup).toBeDefined();
    expect(stage.Properties.TracingEnabled).toBe(true);
    const all = stage.Properties.MethodSettings.find((s: Json) => s.HttpMethod === '*' && s.ResourcePath === '/*');
    expect(all).toMatchObject({ LoggingLevel: 'ERROR', DataTraceEnabled: false, ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    // Mutating routes have their own, lower, throttle; no method setting turns data trace on.
    expect(stage.Properties.MethodSettings).toHaveLength(1 + ROUTES.filter((r) => r.mutating).length);
    for (const setting of stage.Properties.MethodSettings) {
      expect(setting.DataTraceEnabled).toBe(false);
      expect(setting.ThrottlingRateLimit).toBeLessThanOrEqual(50);
    }
  });

  test('execution logging has an account CloudWatch role and a pre-created, encrypted log group', () => {
    cp.template.resourceCountIs('AWS::ApiGateway::Account', 1);
    const [[, stage]] = cp.ofType('AWS::ApiGateway::Stage');
    const [executionLogs] = cp.ofType('AWS::Logs::LogGroup').filter(([, g]) => JSON.stringify(g.Properties.LogGroupName ?? '').includes('API-Gateway-Execution-Logs_'));
    expect(executionLogs).toBeDefined();
    expect(stage.DependsOn).toEqual(expect.arrayContaining([executionLogs[0]]));
    expect(stage.DependsOn!.some((id) => cp.resources[id].Type === 'AWS::ApiGateway::Account')).toBe(true);
  });

  test('gateway errors are RFC 9457 problem+json bodies', () => {
    const responses = cp.ofType('AWS::ApiGateway::GatewayResponse').map(([, r]) => r.Properties);
    const types = responses.map((r) => r.ResponseType);
    expect(types).toEqual(expect.arrayContaining(['DEFAULT_4XX', 'DEFAULT_5XX', 'MISSING_AUTHENTICATION_TOKEN', 'INVALID_SIGNATURE', 'ACCESS_DENIED', 'THROTTLED', 'WAF_FILTERED']));
    for (const response of responses) {
      expect(response.ResponseParameters['gatewayresponse.header.Content-Type']).toBe("'application/problem+json'");
      // What API Gateway would render, with its variables filled in.
      const body = JSON.parse(
        response.ResponseTemplates['application/json']
          .replace('$context.error.messageString', JSON.stringify('Missing "Authentication" Token'))
          .replace('$context.requestId', 'req-1'),
      );
      expect(body).toMatchObject({ type: expect.stringMatching(/^https:\/\/sici\.dev\/problems\/[a-z-]+$/), title: expect.any(String), detail: expect.any(String) });
      if (response.StatusCode) expect(body.status).toBe(Number(response.StatusCode));
    }
    expect(responses.find((r) => r.ResponseType === 'INVALID_SIGNATURE')).toMatchObject({ StatusCode: '403' });
  });

  test('a regional WAF web ACL with managed rule groups and a rate limit is associated to the stage and logs blocks', () => {
    const [stageId] = cp.logicalIds('AWS::ApiGateway::Stage');
    const [aclId] = cp.logicalIds('AWS::WAFv2::WebACL');
    cp.template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      Rules: Match.arrayWith([
        Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ AggregateKeyType: 'IP' }) } }),
        Match.objectLike({ Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } } }),
        Match.objectLike({ Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' } } }),
      ]),
    });
    const [[, association]] = cp.ofType('AWS::WAFv2::WebACLAssociation');
    expect(mentions(association.Properties.ResourceArn, stageId)).toBe(true);
    expect(mentions(association.Properties.WebACLArn, aclId)).toBe(true);
    cp.template.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 1);
  });
});

describe('tables', () => {
  const tableIds = () => cp.logicalIds('AWS::DynamoDB::Table');
  const stateTableId = () => tableIds().find((id) => id.includes('State'))!;
  const auditTableId = () => tableIds().find((id) => id.includes('Audit'))!;

  test('both tables: on-demand, customer managed KMS, PITR, deletion protection, retained', () => {
    expect(tableIds()).toHaveLength(2);
    for (const id of tableIds()) {
      const table = cp.resources[id];
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: expect.anything() },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      });
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
    }
  });

  test('keys, indexes and TTL come from lib/contract/tables.ts', () => {
    const state = cp.resources[stateTableId()].Properties;
    expect(state.KeySchema).toEqual([
      { AttributeName: STATE_TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: STATE_TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ]);
    expect(state.TimeToLiveSpecification).toEqual({ AttributeName: STATE_TABLE_KEYS.ttlAttribute, Enabled: true });
    const indexes = (table: Json) =>
      table.GlobalSecondaryIndexes.map((i: Json) => ({
        name: i.IndexName,
        partitionKey: i.KeySchema[0].AttributeName,
        sortKey: i.KeySchema[1].AttributeName,
        projection: i.Projection.ProjectionType,
      }));
    expect(indexes(state)).toEqual(STATE_TABLE_KEYS.indexes.map((i) => ({ ...i, projection: 'ALL' })));
    const audit = cp.resources[auditTableId()].Properties;
    expect(indexes(audit)).toEqual(AUDIT_TABLE_KEYS.indexes.map((i) => ({ ...i, projection: 'ALL' })));
    expect(audit.TimeToLiveSpecification).toBeUndefined();
  });

  test('the audit table is append-only: every statement on it is dynamodb:PutItem, but the audit reader\'s Query', () => {
    const auditReaders = AUDIT_READING_GROUPS.map((group) => statementsOfFunction(group));
    const onAudit = cp.allStatements().filter(({ statement }) => mentions(statement.Resource, auditTableId()));
    expect(onAudit.length).toBeGreaterThan(0);
    for (const { statement } of onAudit) {
      expect(statement.Effect).toBe('Allow');
      const reads = auditReaders.some((statements) => statements.some((s) => JSON.stringify(s) === JSON.stringify(statement)));
      expect(asArray(statement.Action)).toEqual([reads ? 'dynamodb:Query' : 'dynamodb:PutItem']);
    }
    // Exactly the groups with mutating routes write audit records; the readers write none.
    for (const group of ROUTE_GROUPS) {
      const writes = statementsOfFunction(group).some((s) => mentions(s.Resource, auditTableId()) && asArray(s.Action).includes('dynamodb:PutItem'));
      expect([group, writes]).toEqual([group, AUDITING_GROUPS.includes(group)]);
      const reads = statementsOfFunction(group).some((s) => mentions(s.Resource, auditTableId()) && asArray(s.Action).includes('dynamodb:Query'));
      expect([group, reads]).toEqual([group, AUDIT_READING_GROUPS.includes(group)]);
    }
  });

  test('each function gets exactly its group’s state table actions; Query names the indexes, never index/*', () => {
    for (const group of ROUTE_GROUPS) {
      const actions = statementsOfFunction(group)
        .filter((s) => mentions(s.Resource, stateTableId()))
        .flatMap((s) => asArray<string>(s.Action));
      expect([group, [...new Set(actions)].sort()]).toEqual([group, [...STATE_TABLE_ACTIONS[group]].sort()]);
    }
    expect(JSON.stringify(cp.resources)).not.toContain('/index/*');
    expect(STATE_TABLE_ACTIONS.jobs).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
  });

  test('both tables are in an AWS Backup plan with an encrypted vault', () => {
    const [[, selection]] = cp.ofType('AWS::Backup::BackupSelection');
    for (const id of tableIds()) expect(mentions(selection.Properties.BackupSelection.Resources, id)).toBe(true);
    cp.template.hasResourceProperties('AWS::Backup::BackupVault', { EncryptionKeyArn: Match.anyValue() });
  });
});

describe('IAM', () => {
  test('no policy statement anywhere allows "*" or "service:*" actions, or NotAction', () => {
    const statements = cp.allStatements();
    expect(statements.length).toBeGreaterThan(0);
    for (const { owner, statement } of statements) {
      const wildcards = asArray<unknown>(statement.Action).filter((a) => typeof a === 'string' && (a === '*' || /^[\w-]+:\*$/.test(a)));
      if (statement.Effect === 'Allow') expect([owner, wildcards, statement.NotAction]).toEqual([owner, [], undefined]);
      // The one kind of Deny with a wildcard: the buckets' TLS-only statement.
      else if (wildcards.length) expect([owner, wildcards, statement.Condition]).toEqual([owner, ['s3:*'], { Bool: { 'aws:SecureTransport': 'false' } }]);
    }
  });

  test('no inline policies, and no AWS managed policy on the function roles', () => {
    // The one inline policy: what CDK gives a distributed Map's state machine (the fleet upgrades) to run its child executions.
    expect(cp.ofType('AWS::IAM::Policy').map(([id]) => id)).toEqual([expect.stringMatching(/^FleetUpgradesStateMachineDistributedMapPolicy/)]);
    for (const [, role] of cp.ofType('AWS::IAM::Role')) expect(role.Properties.Policies).toBeUndefined();
    // Each function (the API's and the workflow's) has a role of its own.
    const functions = cp.ofType('AWS::Lambda::Function');
    const functionRoles = functions.map(([, fn]) => fn.Properties.Role['Fn::GetAtt'][0]);
    expect(new Set(functionRoles).size).toBe(functions.length);
    for (const roleId of functionRoles) expect(cp.resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('KMS key rotates and only AWS services may create grants on it', () => {
    cp.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'kms:CreateGrant',
            Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
          }),
        ]),
      },
    });
  });
});

describe('Lambda functions', () => {
  test('one per route group: Node.js 24 on arm64, X-Ray, reserved concurrency, its own log group, table names in env', () => {
    const functions = cp.ofType('AWS::Lambda::Function').filter(([, fn]) => fn.Properties.Description.startsWith('SICI API: '));
    expect(functions).toHaveLength(ROUTE_GROUPS.length);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        ReservedConcurrentExecutions: expect.any(Number),
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
      const env = fn.Properties.Environment.Variables;
      // The clusters function starts the provisioning workflow (see workflow/provisioning-workflow.test.ts).
      const workflow =
        fn.Properties.Description === 'SICI API: the clusters routes'
          ? [ENV.stateMachineArn]
          : fn.Properties.Description === 'SICI API: the fleet routes'
            ? [ENV.fleetWorkerFunction, ENV.upgradeStateMachineArn]
            : [];
      expect(Object.keys(env).sort()).toEqual([ENV.auditTable, ENV.stateTable, 'NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME', ...workflow].sort());
      expect(env.NODE_OPTIONS).toBe('--enable-source-maps');
    }
  });

  test('the platform configuration is bundled through esbuild define, not an environment variable', () => {
    for (const [, fn] of cp.ofType('AWS::Lambda::Function')) {
      const asset = path.join(cp.outdir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
      const code = fs.readFileSync(path.join(asset, 'index.js'), 'utf8');
      // The reconciler and the drift schedule read no configuration, so esbuild leaves it out.
      const readsConfig = !['SICI provisioning workflow: re-drives', 'SICI fleet: starts the scheduled drift check'].some((start) => fn.Properties.Description.startsWith(start));
      expect([fn.Properties.Description, code.includes(config.admins[0])]).toEqual([fn.Properties.Description, readsConfig]);
      expect(code).not.toContain('SICI_PLATFORM_CONFIG_JSON');
      expect(fs.existsSync(path.join(asset, 'index.js.map'))).toBe(true);
    }
  });

  test('every log group is KMS-encrypted and kept at least a year', () => {
    const groups = cp.ofType('AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThanOrEqual(ROUTE_GROUPS.length + 3); // functions, access, execution, WAF
    for (const [, group] of groups) {
      expect(group.Properties.KmsKeyId).toBeDefined();
      expect(group.Properties.RetentionInDays).toBeGreaterThanOrEqual(365);
    }
  });
});

test('outputs: API URL and both table names', () => {
  cp.template.hasOutput('ApiUrl', {});
  cp.template.hasOutput('StateTableName', {});
  cp.template.hasOutput('AuditTableName', {});
});

test('the API URL is output once, as ApiUrl (RestApi\'s own output is removed)', () => {
  const [apiId] = cp.logicalIds('AWS::ApiGateway::RestApi');
  const withApiUrl = Object.entries<Json>(cp.json.Outputs).filter(([, output]) => mentions(output.Value, apiId));
  expect(withApiUrl.map(([id]) => id)).toEqual(['ApiUrl']);
});

describe('usage', () => {
  const collector = () => cp.ofType('AWS::Lambda::Function').find(([, fn]) => fn.Properties.Description.startsWith('SICI usage: '))!;

  test('the collector runs every hour, one run at a time, without retries, and reads environments only through their reader roles', () => {
    const [fnId, fn] = collector();
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(1);
    const [, rule] = cp.ofType('AWS::Events::Rule').find(([, r]) => mentions(r.Properties.Targets, fnId))!;
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 hour)');
    expect(rule.Properties.Targets[0].RetryPolicy).toMatchObject({ MaximumRetryAttempts: 0 });
    const statements = cp.statementsOfRole(fn.Properties.Role['Fn::GetAtt'][0]);
    const assume = statements.filter((s) => asArray<string>(s.Action).includes('sts:AssumeRole'));
    const accounts = [...new Set(Object.values(config.environments).map((environment) => environment.account))];
    expect(assume.flatMap((s) => asArray(s.Resource)).map(renderArn).sort()).toEqual(accounts.map((account) => `arn:<AWS::Partition>:iam::${account}:role/sici-tenant-reader`).sort());
    // No CloudWatch or Secrets Manager action of its own: those are the reader role's, in the environment account.
    expect(statements.flatMap((s) => asArray<string>(s.Action)).filter((a) => /^(cloudwatch|secretsmanager):/.test(a))).toEqual([]);
    const stateTable = cp.ofType('AWS::DynamoDB::Table').find(([id]) => id.includes('State'))![0];
    const onTable = statements.filter((s) => mentions(s.Resource, stateTable)).flatMap((s) => asArray<string>(s.Action));
    expect([...new Set(onTable)].sort()).toEqual([...COLLECTOR_STATE_TABLE_ACTIONS].sort());
  });

  test('the ingest function may assume the reader roles (a rotated token is read there); the other API functions may not', () => {
    for (const group of ROUTE_GROUPS) {
      const assumes = statementsOfFunction(group).some((s) => asArray<string>(s.Action).includes('sts:AssumeRole'));
      expect([group, assumes]).toEqual([group, group === 'ingest']);
    }
  });

  test('one dashboard per environment, graphing every usage metric per team and cluster', () => {
    const dashboards = cp.ofType('AWS::CloudWatch::Dashboard');
    expect(dashboards.map(([, d]) => d.Properties.DashboardName).sort()).toEqual(Object.keys(config.environments).map((e) => `sici-usage-${e}`).sort());
    for (const [, dashboard] of dashboards) {
      const body = JSON.stringify(dashboard.Properties.DashboardBody);
      for (const metric of [...Object.values(USAGE_METRICS.ingest), ...Object.values(USAGE_METRICS.collector).filter((m) => m !== USAGE_METRICS.collector.gibHours && m !== USAGE_METRICS.collector.clusterHours)]) {
        expect([dashboard.Properties.DashboardName, metric, body.includes(`MetricName=\\\\\\"${metric}\\\\\\"`)]).toEqual([dashboard.Properties.DashboardName, metric, true]);
      }
      expect(body).toContain(`{${USAGE_METRICS.namespace},Environment,TeamId,ClusterId}`);
    }
  });
});
