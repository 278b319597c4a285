import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../compliance/compliance';
import { ManagedPolicyRole } from './managed-policy-role';

/** API Gateway writes the execution logs of stage `<stage>` of REST API `<id>` to `API-Gateway-Execution-Logs_<id>/<stage>`. */
export const EXECUTION_LOG_GROUP_PREFIX = 'API-Gateway-Execution-Logs_';

export interface ApiGatewayLoggingRoleProps {
  /**
   * What happens to the role and the account setting when they leave the stack. The setting is
   * account-wide (one per region), so other REST APIs may rely on it.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The account-level role through which API Gateway writes REST API execution logs
 * (`AWS::ApiGateway::Account`), which stage execution logging needs.
 *
 * cdk.json sets `@aws-cdk/aws-apigateway:disableCloudWatchRole`, and `cloudWatchRole: true`
 * would attach the AWS managed AmazonAPIGatewayPushToCloudWatchLogs policy (logs on every log
 * group of the account). This role has its own customer managed policy with the same actions,
 * limited to execution log groups (`API-Gateway-Execution-Logs_*`). Because the setting is
 * account-wide, the scope is every REST API's execution logs in this account and region, not
 * only this API's: another API of the account that relies on the setting keeps working.
 */
export class ApiGatewayLoggingRole extends Construct {
  public readonly role: ManagedPolicyRole;
  public readonly account: CfnAccount;

  constructor(scope: Construct, id: string, props: ApiGatewayLoggingRoleProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroupArn = (name: string) =>
      stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

    this.role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway (account setting): writes REST API execution logs',
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:DescribeLogStreams', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:GetLogEvents', 'logs:FilterLogEvents'],
        resources: [logGroupArn(`${EXECUTION_LOG_GROUP_PREFIX}*`), logGroupArn(`${EXECUTION_LOG_GROUP_PREFIX}*:log-stream:*`)],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        // Lists log groups: only grantable on all log groups of the account and region.
        actions: ['logs:DescribeLogGroups'],
        resources: [logGroupArn('*')],
      }),
    );

    this.account = new CfnAccount(this, 'Account', { cloudWatchRoleArn: this.role.roleArn });
    this.account.node.addDependency(this.role);

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.role.applyRemovalPolicy(removalPolicy);
    this.role.policy?.applyRemovalPolicy(removalPolicy);
    this.account.applyRemovalPolicy(removalPolicy);

    const reason =
      'Account-wide API Gateway logging role: API Gateway writes the execution logs of every REST API of the account to log groups named API-Gateway-Execution-Logs_<apiId>/<stage>, so the role is scoped to that name prefix, not to one API.';
    acknowledgeFindings(this.role, {
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:${EXECUTION_LOG_GROUP_PREFIX}*]`]: reason,
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:${EXECUTION_LOG_GROUP_PREFIX}*:log-stream:*]`]: reason,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*]':
        'logs:DescribeLogGroups (which API Gateway calls before writing execution logs) lists log groups and accepts no narrower resource than log-group:* of the account and region; it reads names and settings, no log data.',
    });
  }
}
