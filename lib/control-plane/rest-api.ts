import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  IRequestValidator,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodDeploymentOptions,
  MethodLoggingLevel,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct, IDependable } from 'constructs';
import { acknowledgeFindings } from '../compliance/compliance';
import { PROBLEM_TYPE_BASE } from '../contract/api';
import { ROUTES, RouteDefinition, RouteGroup } from '../contract/routes';
import { EXECUTION_LOG_GROUP_PREFIX } from './api-gateway-logging-role';

/** Base of the `type` URI of every problem the API answers (the same base as the Lambdas' problems). */

export interface Throttle {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Requests allowed in a burst above the rate. */
  readonly burstLimit: number;
}

export interface ControlPlaneRestApiProps {
  /** The function serving each route group. */
  readonly functions: Record<RouteGroup, IFunction>;

  /** The key of the access and execution log groups. */
  readonly encryptionKey: IKey;

  /**
   * Construct that sets the account-level CloudWatch role of API Gateway; the stage is deployed
   * after it, since execution logging fails without it.
   *
   * @default - the account setting is managed elsewhere
   */
  readonly accountLoggingRole?: IDependable;

  /** @default 'v1' */
  readonly stageName?: string;

  /** Stage-wide throttling of all methods. @default 50 requests/s, bursts of 100 */
  readonly throttle?: Throttle;

  /**
   * Throttling of each mutating route (creating and deleting clusters, registering teams): they
   * start provisioning work, so they get a lower ceiling than reads.
   *
   * @default 10 requests/s, bursts of 20
   */
  readonly mutatingRouteThrottle?: Throttle;

  /** Retention of the access and execution logs. @default one year */
  readonly logRetention?: RetentionDays;

  /** @default RemovalPolicy.RETAIN for the log groups */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The control plane's REST API, made from the route table `ROUTES` (never from a second list):
 * one resource per path, one method per route, each a Lambda proxy integration to its group's
 * function. Regional endpoint; AWS_IAM (SigV4) authorization on every method, present and
 * future, but the engines' ingest route (access `cluster`: a bearer token its function checks); no API keys, no CORS preflight (callers are SigV4 clients, not browsers).
 *
 * The stage has JSON access logs and ERROR execution logs (both KMS-encrypted, the execution log
 * group created here so that it is encrypted and expires), no data trace, X-Ray tracing, and
 * throttling. Errors raised by the gateway itself (unsigned or badly signed requests, throttling,
 * WAF blocks, timeouts) are answered as RFC 9457 `application/problem+json`, like the Lambdas'.
 */
export class ControlPlaneRestApi extends Construct {
  public readonly api: RestApi;
  public readonly accessLogGroup: LogGroup;
  public readonly executionLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ControlPlaneRestApiProps) {
    super(scope, id);
    const stageName = props.stageName ?? 'v1';
    const throttle = props.throttle ?? { rateLimit: 50, burstLimit: 100 };
    const mutatingThrottle = props.mutatingRouteThrottle ?? { rateLimit: 10, burstLimit: 20 };
    const logRetention = props.logRetention ?? RetentionDays.ONE_YEAR;
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      encryptionKey: props.encryptionKey,
      retention: logRetention,
      removalPolicy: logRemovalPolicy,
    });

    const methodLogging: MethodDeploymentOptions = {
      loggingLevel: MethodLoggingLevel.ERROR,
      dataTraceEnabled: false,
      metricsEnabled: true,
    };

    this.api = new RestApi(this, 'Api', {
      description: 'SICI control plane: clusters, jobs and teams (SigV4-signed callers only)',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      cloudWatchRole: false,
      deploy: true,
      deployOptions: {
        stageName,
        description: `SICI control plane API, stage ${stageName}`,
        tracingEnabled: true,
        ...methodLogging,
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: accessLogFormat(),
        methodOptions: Object.fromEntries(
          ROUTES.filter((route) => route.mutating).map((route) => [
            `${route.path}/${route.method}`,
            { ...methodLogging, throttlingRateLimit: mutatingThrottle.rateLimit, throttlingBurstLimit: mutatingThrottle.burstLimit },
          ]),
        ),
      },
    });

    // RestApi always adds the URL as an output of its own (no prop turns it off); the stack outputs it once, as ApiUrl.
    for (const output of this.api.node.children.filter((child) => child instanceof CfnOutput)) {
      this.api.node.tryRemoveChild(output.node.id);
    }

    // Execution logs: API Gateway would create this group itself, unencrypted and kept forever.
    this.executionLogGroup = new LogGroup(this, 'ExecutionLogs', {
      logGroupName: `${EXECUTION_LOG_GROUP_PREFIX}${this.api.restApiId}/${stageName}`,
      encryptionKey: props.encryptionKey,
      retention: logRetention,
      removalPolicy: logRemovalPolicy,
    });
    this.api.deploymentStage.node.addDependency(this.executionLogGroup);
    if (props.accountLoggingRole) this.api.deploymentStage.node.addDependency(props.accountLoggingRole);

    // Path parameters must be present (API Gateway routing guarantees it); bodies and query strings
    // are parsed by the routes' zod schemas in the Lambdas, so no gateway model repeats them.
    // validateRequestBody only acts on methods with a request model, and no method has one.
    const validator = this.api.addRequestValidator('RequestValidator', {
      requestValidatorName: 'path-parameters',
      validateRequestParameters: true,
      validateRequestBody: true,
    });

    const integrations = new Map<RouteGroup, LambdaIntegration>();
    for (const route of ROUTES as readonly RouteDefinition[]) {
      let integration = integrations.get(route.group);
      if (!integration) {
        integration = new LambdaIntegration(props.functions[route.group], { proxy: true, allowTestInvoke: false });
        integrations.set(route.group, integration);
      }
      this.addRoute(route, integration, validator);
    }

    this.addProblemResponses();

    acknowledgeFindings(this.api, {
      'AwsSolutions-COG4':
        'Callers are IAM principals (SigV4, AWS_IAM on every method) mapped to teams by the team registry; there are no Cognito users to authorize.',
    });
    acknowledgeFindings(this.api.deploymentStage, {
      'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted':
        'No stage cache: every answer depends on the calling principal (team scope) and on state that changes between calls (job and cluster status); a cache keyed by path would serve one team data to another. With no cache there is nothing to encrypt.',
      'HIPAA.Security-APIGWCacheEnabledAndEncrypted':
        'No stage cache: every answer depends on the calling principal (team scope) and on state that changes between calls (job and cluster status); a cache keyed by path would serve one team data to another. With no cache there is nothing to encrypt.',
      'NIST.800.53.R5-APIGWSSLEnabled':
        'A stage client certificate authenticates API Gateway to HTTP backends; every integration here is a Lambda proxy invoked by API Gateway through IAM, which never sees a client certificate. Callers reach the stage over TLS only.',
      'HIPAA.Security-APIGWSSLEnabled':
        'A stage client certificate authenticates API Gateway to HTTP backends; every integration here is a Lambda proxy invoked by API Gateway through IAM, which never sees a client certificate. Callers reach the stage over TLS only.',
    });
  }

  /** The stage's URL, e.g. `https://<id>.execute-api.<region>.amazonaws.com/v1/`. */
  public get url(): string {
    return this.api.url;
  }

  private addRoute(route: RouteDefinition, integration: LambdaIntegration, validator: IRequestValidator): void {
    const resource = this.api.root.resourceForPath(route.path);
    const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
    // A cluster's engine cannot sign with SigV4: its route is authenticated by the cluster's ingest token, in its function.
    const authorizationType = route.access === 'cluster' ? AuthorizationType.NONE : AuthorizationType.IAM;
    const method = resource.addMethod(route.method, integration, {
      operationName: route.operationId,
      authorizationType,
      requestValidator: validator,
      requestParameters: Object.fromEntries(pathParameters.map((name) => [`method.request.path.${name}`, true])),
    });
    if (route.access === 'cluster') {
      const reason =
        "The engines' ingest route: Trino's http event listener sends a bearer token, not a SigV4 signature. The route's function authenticates every call against the SHA-256 digests of that cluster's ingest tokens (constant-time compare) before reading the body, answers 401 otherwise and audits the refusal; the cluster counted is the token's. WAF and the stage throttling cover it as every other method.";
      acknowledgeFindings(method, { 'AwsSolutions-APIG4': reason, 'AwsSolutions-COG4': reason });
    }
    acknowledgeFindings(method, {
      'cfn-guard:lambda_function_public_access_prohibited_check':
        "The method's Lambda permission is for apigateway.amazonaws.com with a SourceArn naming this API, stage, method and path (execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path>); the guard rule accepts only a literal string or a plain Ref/GetAtt there, and an environment-agnostic stack can only build that ARN with Fn::Join. cdk-nag's LambdaFunctionPublicAccessProhibited checks the same and passes.",
    });
  }

  /** Every error the gateway raises itself becomes an RFC 9457 problem, typed like the Lambdas' ones. */
  private addProblemResponses(): void {
    for (const response of GATEWAY_PROBLEMS) {
      this.api.addGatewayResponse(`Problem${response.type.responseType}`, {
        type: response.type,
        statusCode: response.status === undefined ? undefined : String(response.status),
        responseHeaders: { 'Content-Type': "'application/problem+json'" },
        templates: { 'application/json': problemTemplate(response) },
      });
    }
  }
}

/** One gateway response type and the problem it is answered with. */
interface GatewayProblem {
  readonly type: ResponseType;
  /** The status code; undefined for the DEFAULT_4XX/5XX catch-alls, whose status varies. */
  readonly status?: number;
  /** The last segment of the problem's `type` URI. */
  readonly slug: string;
  readonly title: string;
  /** A fixed detail; by default the gateway's own message (`$context.error.message`). */
  readonly detail?: string;
}

const unauthenticated = { slug: 'unauthenticated', title: 'Not authenticated' };

/** The gateway errors SICI answers, with the slugs the Lambdas use for the same situations. */
const GATEWAY_PROBLEMS: readonly GatewayProblem[] = [
  // Unsigned request, or a method/path that is not a route: API Gateway answers both alike.
  {
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    status: 403,
    ...unauthenticated,
    detail: 'The request carries no AWS SigV4 signature, or its method and path are not a route of this API.',
  },
  { type: ResponseType.INVALID_SIGNATURE, status: 403, ...unauthenticated },
  { type: ResponseType.EXPIRED_TOKEN, status: 403, ...unauthenticated },
  { type: ResponseType.UNAUTHORIZED, status: 401, ...unauthenticated },
  { type: ResponseType.ACCESS_DENIED, status: 403, slug: 'forbidden', title: 'Forbidden' },
  { type: ResponseType.WAF_FILTERED, status: 403, slug: 'request-blocked', title: 'Request blocked' },
  { type: ResponseType.BAD_REQUEST_PARAMETERS, status: 400, slug: 'bad-request', title: 'Bad request' },
  { type: ResponseType.BAD_REQUEST_BODY, status: 400, slug: 'bad-request', title: 'Bad request' },
  { type: ResponseType.REQUEST_TOO_LARGE, status: 413, slug: 'payload-too-large', title: 'Payload too large' },
  { type: ResponseType.UNSUPPORTED_MEDIA_TYPE, status: 415, slug: 'unsupported-media-type', title: 'Unsupported media type' },
  { type: ResponseType.RESOURCE_NOT_FOUND, status: 404, slug: 'no-such-route', title: 'No such route' },
  { type: ResponseType.THROTTLED, status: 429, slug: 'throttled', title: 'Too many requests' },
  { type: ResponseType.QUOTA_EXCEEDED, status: 429, slug: 'throttled', title: 'Too many requests' },
  { type: ResponseType.INTEGRATION_TIMEOUT, status: 504, slug: 'timeout', title: 'Timed out' },
  { type: ResponseType.INTEGRATION_FAILURE, status: 502, slug: 'internal', title: 'Internal error' },
  { type: ResponseType.DEFAULT_4XX, slug: 'request-refused', title: 'Request refused' },
  { type: ResponseType.DEFAULT_5XX, slug: 'internal', title: 'Internal error' },
];

/**
 * The body of a gateway problem. `$context.error.messageString` is the gateway's message as a
 * quoted, escaped JSON string, so the body stays valid JSON whatever the message says.
 */
function problemTemplate(problem: GatewayProblem): string {
  const members = [
    `"type":"${PROBLEM_TYPE_BASE}${problem.slug}"`,
    `"title":"${problem.title}"`,
    ...(problem.status === undefined ? [] : [`"status":${problem.status}`]),
    problem.detail === undefined ? '"detail":$context.error.messageString' : `"detail":${JSON.stringify(problem.detail)}`,
    '"requestId":"$context.requestId"',
  ];
  return `{${members.join(',')}}`;
}

/** The access log line: one JSON object per request. */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: AccessLogField.contextRequestId(),
      ip: AccessLogField.contextIdentitySourceIp(),
      caller: AccessLogField.contextIdentityCaller(),
      user: AccessLogField.contextIdentityUser(),
      userArn: AccessLogField.contextIdentityUserArn(),
      requestTime: AccessLogField.contextRequestTime(),
      httpMethod: AccessLogField.contextHttpMethod(),
      resourcePath: AccessLogField.contextResourcePath(),
      status: AccessLogField.contextStatus(),
      protocol: AccessLogField.contextProtocol(),
      responseLength: AccessLogField.contextResponseLength(),
      responseLatency: AccessLogField.contextResponseLatency(),
      errorMessage: AccessLogField.contextErrorMessage(),
      wafStatus: AccessLogField.contextWafResponseCode(),
    }),
  );
}
