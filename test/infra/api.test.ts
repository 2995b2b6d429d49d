import { Match } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { beforeAll, describe, expect, it } from 'vitest';
import { routes } from '#shared/routes';
import { type Synthesized, synthesize } from './synth.ts';
import { type CfnResource, logicalIdAt, resourcesOf } from './template.ts';

/** Status → envelope type, as `docs/api.md` lists them. */
const TYPE_OF_STATUS: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  500: 'internal_error',
  504: 'gateway_timeout_error',
};

/** Every response type API Gateway has (the static members of `ResponseType`). */
const allResponseTypes = Object.values(apigateway.ResponseType)
  .filter((value): value is apigateway.ResponseType => value instanceof apigateway.ResponseType)
  .map((type) => type.responseType);

describe('API (default config)', () => {
  let app: Synthesized;
  let methods: { path: string; method: string; resource: CfnResource }[];

  beforeAll(() => {
    app = synthesize();
    // Rebuild each method's full path from the resource tree (PathPart + ParentId).
    const template = app.serviceTemplate.toJSON();
    const restApiId = logicalIdAt(app.serviceTemplate, 'TaskenvService/Api/RestApi/Resource');
    const pathOf = (ref: unknown): string => {
      const parent = ref as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      if (parent['Fn::GetAtt']?.[0] === restApiId) return '';
      const resource = template.Resources[parent.Ref ?? ''] as CfnResource;
      return `${pathOf(resource.Properties?.ParentId)}/${String(resource.Properties?.PathPart)}`;
    };
    methods = resourcesOf(app.serviceTemplate, 'AWS::ApiGateway::Method').map(([, resource]) => ({
      path: pathOf(resource.Properties?.ResourceId),
      method: String(resource.Properties?.HttpMethod),
      resource,
    }));
  });

  it('has exactly one method per route of the route table', () => {
    const expected = routes.map((r) => `${r.method} ${r.path}`).sort();
    expect(methods.map((m) => `${m.method} ${m.path}`).sort()).toEqual(expected);
  });

  it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s runs its function, behind the authorizer unless public',
    (_, route) => {
      // Arrange
      const authorizerId = logicalIdAt(app.serviceTemplate, 'TaskenvService/Api/Authorizer/Resource');
      const functionId = logicalIdAt(
        app.serviceTemplate,
        `TaskenvService/${route.function}/Function/Resource`,
      );
      const method = methods.find((m) => m.path === route.path && m.method === route.method);

      // Assess
      const props = method?.resource.Properties ?? {};
      if (route.auth) {
        expect(props.AuthorizationType).toBe('CUSTOM');
        expect(props.AuthorizerId).toEqual({ Ref: authorizerId });
      } else {
        expect(props.AuthorizationType).toBe('NONE');
        expect(props.AuthorizerId).toBeUndefined();
      }
      const integration = props.Integration as { Type: string; Uri: unknown };
      expect(integration.Type).toBe('AWS_PROXY');
      expect(JSON.stringify(integration.Uri)).toContain(`"${functionId}"`);
    },
  );

  it('leaves only the documentation and health routes public', () => {
    const publicRoutes = routes.filter((r) => !r.auth).map((r) => r.path);
    expect(publicRoutes.sort()).toEqual(['/api/v1/openapi.json', '/docs', '/healthz']);
  });

  it('caches the REQUEST authorizer on the Authorization header', () => {
    app.serviceTemplate.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
    });
  });

  it('is regional, throttled at the stage, with JSON access logs and error-level execution logs', () => {
    app.serviceTemplate.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    const [[, stage] = []] = resourcesOf(app.serviceTemplate, 'AWS::ApiGateway::Stage');
    const props = stage?.Properties ?? {};
    expect(props.StageName).toBe('prod');
    expect(props.MethodSettings).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: 100,
        ThrottlingBurstLimit: 200,
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
      }),
    ]);
    // The access log format is JSON with a numeric status (the launch-failure metric filters on it).
    const format = String((props.AccessLogSetting as { Format: string }).Format);
    const sample = JSON.parse(
      format.replace(/\$context\.[\w.]+/g, (name) => (/status|Latency/.test(name) ? '502' : 'x')),
    );
    expect(sample).toMatchObject({ status: 502, httpMethod: 'x', resourcePath: 'x' });
  });

  it('rewrites every API Gateway error response to the canonical envelope', () => {
    // Arrange
    const responses = new Map(
      resourcesOf(app.serviceTemplate, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => [
        String(r.Properties?.ResponseType),
        r.Properties ?? {},
      ]),
    );

    // Assess
    expect([...responses.keys()].sort()).toEqual([...allResponseTypes].sort());
    for (const [type, props] of responses) {
      const status = Number(props.StatusCode);
      const body: unknown = JSON.parse(
        (props.ResponseTemplates as Record<string, string>)['application/json'] ?? '',
      );
      expect(body, type).toEqual({ code: status, detail: expect.any(String), type: TYPE_OF_STATUS[status] });
    }
  });

  it.each([
    ['MISSING_AUTHENTICATION_TOKEN', 404, 'not_found_error'],
    ['UNAUTHORIZED', 401, 'authentication_error'],
    ['THROTTLED', 429, 'rate_limit_error'],
    ['REQUEST_TOO_LARGE', 400, 'invalid_request_error'],
    ['INTEGRATION_TIMEOUT', 504, 'gateway_timeout_error'],
    ['AUTHORIZER_FAILURE', 500, 'internal_error'],
  ] as const)('answers %s with %i %s', (type, status, errorType) => {
    app.serviceTemplate.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: type,
      StatusCode: String(status),
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp(`"type":"${errorType}"`) },
    });
  });

  it('tells throttled clients when to retry', () => {
    app.serviceTemplate.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'THROTTLED',
      ResponseParameters: { 'gatewayresponse.header.retry-after': "'1'" },
    });
  });

  it('has no WAF unless asked', () => {
    app.serviceTemplate.resourceCountIs('AWS::WAFv2::WebACL', 0);
  });

  it('gives the execution log group API Gateway would create a retention, before the stage exists', () => {
    const logGroupId = logicalIdAt(app.serviceTemplate, 'TaskenvService/Api/ExecutionLogGroup/Resource');
    const [[, stage] = []] = resourcesOf(app.serviceTemplate, 'AWS::ApiGateway::Stage');
    expect(stage?.DependsOn).toContain(logGroupId);
  });
});

describe('API with WAF and custom limits', () => {
  let app: Synthesized;
  beforeAll(() => {
    app = synthesize({ waf: 'true', wafRateLimit: '500', throttleRateLimit: '20', throttleBurstLimit: '40' });
  });

  it('puts a regional web ACL with a per-IP rate rule answering the envelope on the stage', () => {
    app.serviceTemplate.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      Rules: [
        Match.objectLike({
          Statement: { RateBasedStatement: { AggregateKeyType: 'IP', Limit: 500, EvaluationWindowSec: 300 } },
          Action: { Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'rateLimited' } } },
        }),
      ],
      CustomResponseBodies: {
        rateLimited: {
          ContentType: 'APPLICATION_JSON',
          Content: JSON.stringify({ code: 429, detail: 'Too many requests', type: 'rate_limit_error' }),
        },
      },
    });
    const [[, association] = []] = resourcesOf(app.serviceTemplate, 'AWS::WAFv2::WebACLAssociation');
    const stageId = logicalIdAt(
      app.serviceTemplate,
      'TaskenvService/Api/RestApi/DeploymentStage.prod/Resource',
    );
    expect(association?.DependsOn).toContain(stageId);
  });

  it('applies the configured stage throttling', () => {
    app.serviceTemplate.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 })],
    });
  });
});
