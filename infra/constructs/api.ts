import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import {
  AuthenticationError,
  type ErrorEnvelope,
  GatewayTimeoutError,
  InternalError,
  InvalidRequestError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  type TaskenvError,
  toErrorResponse,
} from '#domain/errors';
import { type HttpFunctionName, routes } from '#shared/routes';

/** The stage every URL starts with (`https://<id>.execute-api.<region>.amazonaws.com/prod/api/v1/…`). */
export const STAGE_NAME = 'prod';

export interface ApiProps {
  /** The function behind each `function` of the route table. */
  readonly functions: Readonly<Record<HttpFunctionName, lambda.IFunction>>;
  /** The REQUEST authorizer (API key → principal). */
  readonly authorizer: lambda.IFunction;
  /**
   * How long an authorizer result is cached per `Authorization` header value.
   * @default Duration.minutes(5)
   */
  readonly authorizerCacheTtl?: Duration;
  /** @default 100 requests per second */
  readonly throttleRateLimit?: number;
  /** @default 200 requests */
  readonly throttleBurstLimit?: number;
  /**
   * Put an AWS WAF web ACL with a per-IP rate-based rule in front of the stage.
   * @default false
   */
  readonly waf?: boolean;
  /**
   * Requests per source IP per 5 minutes before the WAF rule blocks.
   * @default 2000
   */
  readonly wafRateLimit?: number;
  /** @default false */
  readonly tracing?: boolean;
  /**
   * Retention of the access and execution log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Create the account-wide role API Gateway writes CloudWatch logs with. Logging needs it once
   * per account and region.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
}

/** One error answer of API Gateway itself, in the canonical envelope (`docs/api.md`). */
export interface GatewayError {
  readonly status: number;
  /** The envelope, as the handlers' one error mapping (`toErrorResponse`) writes it. */
  readonly body: ErrorEnvelope;
  /** Extra response headers, as literal values. */
  readonly headers: Readonly<Record<string, string>>;
}

/** What the handlers would answer for `error`: API Gateway's own errors use the same mapping. */
const asGatewayError = (error: TaskenvError): GatewayError => {
  const { statusCode, body, headers } = toErrorResponse(error);
  return { status: statusCode, body, headers };
};

const routeNotFound = asGatewayError(new NotFoundError('Route not found'));
const authenticationFailed = asGatewayError(new AuthenticationError());
const internal = asGatewayError(new InternalError('Internal server error'));
const tooManyRequests = asGatewayError(new RateLimitError('Too many requests', 1));

/**
 * What each gateway response becomes. Every type API Gateway has is listed, so none answers in
 * API Gateway's own `{"message": …}` shape; the two defaults catch types added in the future.
 */
export const GATEWAY_ERRORS: Readonly<Record<string, GatewayError>> = {
  DEFAULT_4XX: asGatewayError(new InvalidRequestError('Bad request')),
  DEFAULT_5XX: internal,
  // An unknown path or method: API Gateway reports a missing token; to a client it is a 404 route.
  MISSING_AUTHENTICATION_TOKEN: routeNotFound,
  RESOURCE_NOT_FOUND: routeNotFound,
  UNAUTHORIZED: authenticationFailed,
  EXPIRED_TOKEN: authenticationFailed,
  INVALID_SIGNATURE: authenticationFailed,
  INVALID_API_KEY: authenticationFailed,
  ACCESS_DENIED: asGatewayError(new PermissionError('Access denied')),
  WAF_FILTERED: asGatewayError(new PermissionError('Request blocked')),
  THROTTLED: tooManyRequests,
  QUOTA_EXCEEDED: tooManyRequests,
  // API Gateway's own 10 MB limit; the handlers answer the same for bodies over 256 KiB.
  REQUEST_TOO_LARGE: asGatewayError(new InvalidRequestError('Request body is too large')),
  UNSUPPORTED_MEDIA_TYPE: asGatewayError(new InvalidRequestError('Content-Type must be application/json')),
  BAD_REQUEST_BODY: asGatewayError(new InvalidRequestError('Malformed request body')),
  BAD_REQUEST_PARAMETERS: asGatewayError(new InvalidRequestError('Malformed request parameters')),
  AUTHORIZER_FAILURE: internal,
  AUTHORIZER_CONFIGURATION_ERROR: internal,
  API_CONFIGURATION_ERROR: internal,
  INTEGRATION_FAILURE: internal,
  INTEGRATION_TIMEOUT: asGatewayError(new GatewayTimeoutError('Integration timed out')),
};

/**
 * Access log line: JSON, one per request. `status` and the numbers are unquoted so CloudWatch
 * metric filters can compare them (the launch-failure metric counts `status = 502`).
 */
const ACCESS_LOG_FORMAT = `{${[
  '"requestId":"$context.requestId"',
  '"ip":"$context.identity.sourceIp"',
  '"requestTime":"$context.requestTime"',
  '"httpMethod":"$context.httpMethod"',
  '"resourcePath":"$context.resourcePath"',
  '"path":"$context.path"',
  '"status":$context.status',
  '"responseLength":"$context.responseLength"',
  '"responseLatency":$context.responseLatency',
  '"integrationLatency":"$context.integration.latency"',
  '"errorType":"$context.error.responseType"',
  '"authorizerError":"$context.authorizer.error"',
  '"keyId":"$context.authorizer.principalId"',
  '"userAgent":"$context.identity.userAgent"',
  '"wafStatus":"$context.waf.status"',
].join(',')}}`;

/**
 * The public HTTP API: a regional REST API whose resources and methods are the shared route
 * table, a cached Lambda REQUEST authorizer on every route but the public documentation and
 * health routes, stage throttling, JSON access logs, and every API Gateway error rewritten to
 * the canonical envelope.
 *
 * Request bodies are not validated here: the handlers validate them with the route table's zod
 * schemas, so every error carries the envelope with its `errors[]`. API Gateway also cannot
 * limit a body below its own 10 MB; the handlers refuse bodies over 256 KiB with a 400.
 */
export class Api extends Construct {
  readonly restApi: apigateway.RestApi;
  readonly stage: apigateway.Stage;
  readonly accessLogGroup: logs.LogGroup;
  readonly executionLogGroup: logs.LogGroup;
  readonly authorizer: apigateway.RequestAuthorizer;
  readonly webAcl: wafv2.CfnWebACL | undefined;
  /** The base URL clients use, without a trailing slash. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const removalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;
    const cloudWatchRole = props.cloudWatchRole ?? true;

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogGroup', { retention, removalPolicy });
    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      restApiName: `${stack.stackName}-api`,
      description: 'taskenv: per-task sandbox environments',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      cloudWatchRole,
      ...(cloudWatchRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      deployOptions: {
        stageName: STAGE_NAME,
        throttlingRateLimit: props.throttleRateLimit ?? 100,
        throttlingBurstLimit: props.throttleBurstLimit ?? 200,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigateway.AccessLogFormat.custom(ACCESS_LOG_FORMAT),
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        // Never log bodies: they carry secrets and execute tokens.
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: props.tracing === true,
      },
    });
    this.stage = this.restApi.deploymentStage;
    this.url = `https://${this.restApi.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/${STAGE_NAME}`;

    // API Gateway creates the execution log group on first use, without a retention; creating
    // it first (the name is API Gateway's fixed scheme) gives it one.
    this.executionLogGroup = new logs.LogGroup(this, 'ExecutionLogGroup', {
      logGroupName: `API-Gateway-Execution-Logs_${this.restApi.restApiId}/${STAGE_NAME}`,
      retention,
      removalPolicy,
    });
    this.stage.node.addDependency(this.executionLogGroup);

    this.authorizer = new apigateway.RequestAuthorizer(this, 'Authorizer', {
      handler: props.authorizer,
      identitySources: [apigateway.IdentitySource.header('Authorization')],
      resultsCacheTtl: props.authorizerCacheTtl ?? Duration.minutes(5),
    });

    const integrations = new Map<lambda.IFunction, apigateway.LambdaIntegration>();
    for (const route of routes) {
      const handler = props.functions[route.function];
      let integration = integrations.get(handler);
      if (integration === undefined) {
        // allowTestInvoke: false keeps the function policy to one statement per route.
        integration = new apigateway.LambdaIntegration(handler, { allowTestInvoke: false });
        integrations.set(handler, integration);
      }
      const method = this.restApi.root
        .resourceForPath(route.path)
        .addMethod(
          route.method,
          integration,
          route.auth
            ? { authorizer: this.authorizer, authorizationType: apigateway.AuthorizationType.CUSTOM }
            : { authorizationType: apigateway.AuthorizationType.NONE },
        );
      if (route.auth) {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason:
            'Clients authenticate with taskenv API keys (docs/api.md), checked by the Lambda REQUEST authorizer; there are no Cognito users.',
        });
      } else {
        for (const rule of ['AwsSolutions-APIG4', 'AwsSolutions-COG4']) {
          Validations.of(method).acknowledge({
            id: rule,
            reason: `${route.method} ${route.path} is public by contract (docs/api.md): documentation and health check.`,
          });
        }
      }
    }

    for (const [name, error] of Object.entries(GATEWAY_ERRORS)) {
      const type = (apigateway.ResponseType as unknown as Record<string, apigateway.ResponseType>)[name];
      if (type === undefined) throw new Error(`API Gateway has no response type ${name}`);
      this.restApi.addGatewayResponse(`Error${name}`, {
        type,
        statusCode: String(error.status),
        // Header values of a gateway response are mapping expressions: literals are quoted.
        responseHeaders: Object.fromEntries(
          Object.entries(error.headers)
            .filter(([header]) => header !== 'content-type')
            .map(([header, value]) => [header, `'${value}'`]),
        ),
        templates: { 'application/json': JSON.stringify(error.body) },
      });
    }

    this.webAcl = props.waf === true ? this.createWebAcl(props.wafRateLimit ?? 2000) : undefined;
    if (this.webAcl === undefined) {
      Validations.of(this.stage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          'WAF is opt-in (-c waf=true); stage throttling and the authorizer protect the API by default.',
      });
    }
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'Requests are validated by the handlers against the route table’s zod schemas, so errors carry the canonical envelope with errors[]; an API Gateway validator would answer in its own format.',
    });
    if (cloudWatchRole) {
      Validations.of(this.restApi).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-wide API Gateway logging role uses the AWS policy made for it; API Gateway writes every API’s logs with this one role.',
      });
    }
  }

  private createWebAcl(limit: number): wafv2.CfnWebACL {
    const metric = (name: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName: name,
      sampledRequestsEnabled: true,
    });
    const webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: metric('taskenv-api'),
      customResponseBodies: {
        rateLimited: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify(tooManyRequests.body),
        },
      },
      rules: [
        {
          name: 'rate-per-ip',
          priority: 0,
          statement: { rateBasedStatement: { aggregateKeyType: 'IP', limit, evaluationWindowSec: 300 } },
          action: {
            block: { customResponse: { responseCode: 429, customResponseBodyKey: 'rateLimited' } },
          },
          visibilityConfig: metric('taskenv-api-rate-per-ip'),
        },
      ],
    });
    const association = new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.stage.stageArn,
      webAclArn: webAcl.attrArn,
    });
    // The stage ARN is built from the API id and the stage name, so nothing else orders the two.
    association.node.addDependency(this.stage);
    return webAcl;
  }
}
