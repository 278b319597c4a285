import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Stage } from 'aws-cdk-lib/aws-apigateway';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface ApiWebAclProps {
  /** The REST API stage the web ACL protects. */
  readonly stage: Stage;

  /** The key of the WAF log group. */
  readonly encryptionKey: IKey;

  /**
   * Requests one client IP may send in `rateLimitWindowSeconds` before WAF blocks it.
   *
   * @default 1000 (in 5 minutes: above any SigV4 client or CLI polling a job; below a flood)
   */
  readonly rateLimitPerIp?: number;

  /** @default 300 seconds */
  readonly rateLimitWindowSeconds?: 60 | 120 | 300 | 600;

  /** @default one year */
  readonly logRetention?: RetentionDays;

  /** @default RemovalPolicy.RETAIN for the log group */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** The AWS managed rule groups the web ACL evaluates, in order. */
const MANAGED_RULE_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
] as const;

/**
 * A regional WAFv2 web ACL in front of the API's stage: a per-IP rate limit, then AWS managed
 * rule groups (IP reputation, the common rule set, known bad inputs). Requests WAF blocks or
 * counts are logged to a KMS-encrypted log group (allowed ones are in the API access log
 * already), with the SigV4 `authorization` header and the session token redacted.
 */
export class ApiWebAcl extends Construct {
  public readonly webAcl: CfnWebACL;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ApiWebAclProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const metricPrefix = 'SiciApi';
    const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `${metricPrefix}${metricName}`,
    });

    const rateLimit: CfnWebACL.RuleProperty = {
      name: 'RateLimitPerIp',
      priority: 0,
      action: { block: {} },
      statement: {
        rateBasedStatement: {
          aggregateKeyType: 'IP',
          limit: props.rateLimitPerIp ?? 1000,
          evaluationWindowSec: props.rateLimitWindowSeconds ?? 300,
        },
      },
      visibilityConfig: visibility('RateLimitPerIp'),
    };
    const managedRules = MANAGED_RULE_GROUPS.map(
      (name, index): CfnWebACL.RuleProperty => ({
        name,
        priority: index + 1,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
        visibilityConfig: visibility(name),
      }),
    );

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      description: 'SICI control plane REST API',
      defaultAction: { allow: {} },
      rules: [rateLimit, ...managedRules],
      visibilityConfig: visibility('WebAcl'),
    });

    new CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });

    // WAF delivers only to log groups named aws-waf-logs-*, given by an ARN without the ':*' suffix.
    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `aws-waf-logs-${stack.stackName}-api`,
      encryptionKey: props.encryptionKey,
      retention: props.logRetention ?? RetentionDays.ONE_YEAR,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    new CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [
        stack.formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: this.logGroup.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'x-amz-security-token' } }],
      loggingFilter: {
        DefaultBehavior: 'DROP',
        Filters: [
          {
            Behavior: 'KEEP',
            Requirement: 'MEETS_ANY',
            Conditions: [{ ActionCondition: { Action: 'BLOCK' } }, { ActionCondition: { Action: 'COUNT' } }],
          },
        ],
      },
    });
  }
}
