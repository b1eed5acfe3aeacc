// Issue 16: the HTTP API authorizer of the reusable construct, and the
// stack's alarms.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { GatehouseAuthorizer, GatehouseAuthorizerProps, HttpApiResponse, httpApiResponseFor } from '../lib/authorizer-construct';
import { KEYS_UNAVAILABLE_REASON, METRIC_NAMESPACE } from '../lib/alarms';
import { cdkJsonContext, only, resourcesOf, synthesize } from './helpers';

const fakeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-http-'));
fs.writeFileSync(path.join(fakeDir, 'bootstrap'), 'not a real bootstrap');

/** A team's HTTP API protected by the construct, one route. */
function httpStack(props: Partial<GatehouseAuthorizerProps>) {
  const app = new App({ context: cdkJsonContext() });
  const stack = new Stack(app, 'Team', { env: { account: '111122223333', region: 'eu-west-1' } });
  const table = new dynamodb.Table(stack, 'Table', {
    partitionKey: { name: 'PK', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'SK', type: dynamodb.AttributeType.STRING },
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const httpApi = new apigwv2.HttpApi(stack, 'HttpApi');
  const gh = new GatehouseAuthorizer(stack, 'Gatehouse', {
    userPool: cognito.UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_AbCdEf123'),
    clientIds: ['client1'], table, code: lambda.Code.fromAsset(fakeDir), httpApi, ...props,
  });
  const backend = new lambda.Function(stack, 'Backend', {
    runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>({})'),
  });
  httpApi.addRoutes({
    path: '/orders', methods: [apigwv2.HttpMethod.GET],
    integration: new HttpLambdaIntegration('Orders', backend), authorizer: gh.httpRouteAuthorizer,
  });
  return { gh, t: Template.fromStack(stack) };
}

const rules = [{ method: 'GET', path: '/orders', scopes: ['shop/read'] }];

describe('GatehouseAuthorizer on an HTTP API', () => {
  test('policy answers by default with rules: payload 2.0, simple responses off, cached, the routes use it', () => {
    const { gh, t } = httpStack({ rules });
    assert.equal(gh.authorizer, undefined);
    const a = only(t, 'AWS::ApiGatewayV2::Authorizer');
    assert.equal(a.r.Properties.AuthorizerType, 'REQUEST');
    assert.equal(a.r.Properties.AuthorizerPayloadFormatVersion, '2.0');
    assert.equal(a.r.Properties.EnableSimpleResponses, false);
    assert.equal(a.r.Properties.AuthorizerResultTtlInSeconds, 300);
    assert.deepEqual(a.r.Properties.IdentitySource, ['$request.header.Authorization']);
    const fn = Object.values(resourcesOf(t, 'AWS::Lambda::Function')).find((f) => f.Properties.Handler === 'bootstrap')!;
    assert.equal(fn.Properties.Environment.Variables.GATEHOUSE_HTTP_API_RESPONSE, 'policy');
    const route = only(t, 'AWS::ApiGatewayV2::Route').r;
    assert.equal(route.Properties.AuthorizationType, 'CUSTOM');
    assert.deepEqual(route.Properties.AuthorizerId, { Ref: a.id });
    const perms = Object.values(resourcesOf(t, 'AWS::Lambda::Permission'))
      .filter((p) => JSON.stringify(p.Properties.SourceArn).includes('/authorizers/'));
    assert.equal(perms.length, 1, 'one invoke permission, scoped to this authorizer');
  });

  test('simple answers without rules, with the identity sources and TTL given', () => {
    const { t } = httpStack({
      httpApiIdentitySource: ['$request.header.Authorization', '$context.routeKey'],
      resultsCacheTtl: Duration.seconds(60),
    });
    const a = only(t, 'AWS::ApiGatewayV2::Authorizer').r;
    assert.equal(a.Properties.EnableSimpleResponses, true);
    assert.equal(a.Properties.AuthorizerPayloadFormatVersion, '2.0');
    assert.equal(a.Properties.AuthorizerResultTtlInSeconds, 60);
    assert.deepEqual(a.Properties.IdentitySource, ['$request.header.Authorization', '$context.routeKey']);
  });

  test('simple answers with rules: refused with a cache, allowed without one or when marked unsafe', () => {
    assert.throws(() => httpStack({ rules, httpApiResponse: 'simple' }), /needs resultsCacheTtl 0/);
    assert.throws(() => httpStack({ rules, httpApiResponse: 'simple', resultsCacheTtl: Duration.seconds(1) }), /needs resultsCacheTtl 0/);
    const envOf = (t: Template) => Object.values(resourcesOf(t, 'AWS::Lambda::Function'))
      .find((f) => f.Properties.Handler === 'bootstrap')!.Properties.Environment.Variables.GATEHOUSE_HTTP_API_RESPONSE;
    const noCache = httpStack({ rules, httpApiResponse: 'simple', resultsCacheTtl: Duration.seconds(0) }).t;
    assert.equal(envOf(noCache), 'simple-unsafe-with-cache', 'the function accepts simple answers with rules only in this spelling');
    assert.equal(only(noCache, 'AWS::ApiGatewayV2::Authorizer').r.Properties.EnableSimpleResponses, true);
    const unsafe = httpStack({ rules, httpApiResponse: 'simple-unsafe-with-cache' }).t;
    assert.equal(envOf(unsafe), 'simple-unsafe-with-cache');
  });

  test('the rule table, as authorizer.HTTPAPIResponse.resolve has it', () => {
    const cases: [HttpApiResponse | undefined, boolean, number | undefined, HttpApiResponse | 'error'][] = [
      [undefined, false, 300, 'simple'], [undefined, true, 300, 'policy'],
      ['policy', false, 300, 'policy'], ['policy', true, 300, 'policy'],
      ['simple', false, 300, 'simple'], ['simple', true, 300, 'error'], ['simple', true, undefined, 'error'],
      ['simple', true, 0, 'simple-unsafe-with-cache'], ['simple-unsafe-with-cache', true, 300, 'simple-unsafe-with-cache'],
    ];
    for (const [requested, hasRules, ttl, want] of cases) {
      if (want === 'error') {
        assert.throws(() => httpApiResponseFor(requested, hasRules, ttl), `${requested} rules=${hasRules} ttl=${ttl}`);
      } else {
        assert.equal(httpApiResponseFor(requested, hasRules, ttl), want, `${requested} rules=${hasRules} ttl=${ttl}`);
      }
    }
  });

  test('restApi and httpApi exclude each other; HTTP API options need httpApi', () => {
    assert.throws(() => httpStack({ restApi: {} as any }), /exclude each other/);
    const app = new App({ context: cdkJsonContext() });
    const stack = new Stack(app, 'S');
    assert.throws(() => new GatehouseAuthorizer(stack, 'G', {
      userPool: cognito.UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_AbCdEf123'), clientIds: ['c'],
      table: dynamodb.Table.fromTableName(stack, 'T', 't'), code: lambda.Code.fromAsset(fakeDir), httpApiResponse: 'policy',
    }), /need httpApi/);
  });
});

describe('alarms', () => {
  const alarmsOf = (t: Template) => Object.values(resourcesOf(t, 'AWS::CloudWatch::Alarm'));
  const byDescription = (t: Template, re: RegExp) => {
    const found = alarmsOf(t).filter((a) => re.test(a.Properties.AlarmDescription));
    assert.equal(found.length, 1, `one alarm matching ${re}`);
    return found[0].Properties;
  };

  test('defaults: errors, denials, p99 latency, JWKS failures, portal and partner errors, API 5xx; no action without a topic', () => {
    const { template: t } = synthesize();
    assert.equal(alarmsOf(t).length, 7);
    for (const a of alarmsOf(t)) {
      assert.equal(a.Properties.TreatMissingData, 'notBreaching');
      assert.equal(a.Properties.AlarmActions, undefined);
    }
    const errors = byDescription(t, /dependency/);
    assert.deepEqual([errors.Namespace, errors.MetricName, errors.Statistic, errors.Threshold, errors.Period],
      [METRIC_NAMESPACE, 'Error', 'Sum', 5, 300]);
    assert.deepEqual(errors.Dimensions, [{ Name: 'Service', Value: 'authorizer' }]);
    const latency = byDescription(t, /p99/);
    assert.deepEqual([latency.MetricName, latency.ExtendedStatistic, latency.Threshold], ['Latency', 'p99', 1000]);
    const denials = byDescription(t, /denials/);
    assert.equal(denials.Threshold, 500);
    assert.deepEqual(denials.Metrics.map((m: any) => m.MetricStat?.Metric.MetricName).filter(Boolean).sort(), ['Forbidden', 'Unauthorized']);
    const jwks = byDescription(t, /signing keys/);
    assert.deepEqual([jwks.Namespace, jwks.MetricName, jwks.Threshold], [METRIC_NAMESPACE, 'JwksFailures', 1]);
    const filter = only(t, 'AWS::Logs::MetricFilter').r;
    assert.equal(filter.Properties.FilterPattern, `{ $.reason = "${KEYS_UNAVAILABLE_REASON}" }`);
    assert.equal(byDescription(t, /Portal/).MetricName, 'Errors');
    assert.equal(byDescription(t, /Partners/).MetricName, 'Errors');
    assert.equal(byDescription(t, /5xx/).MetricName, '5XXError');
  });

  test('thresholds and the SNS topic come from props', () => {
    const topicStack = new Stack(new App(), 'Topics');
    const { template: t } = synthesize({}, {
      alarmThresholds: { authorizerErrors: 1, latencyP99Millis: 250, denials: 50, period: Duration.minutes(1) },
      alarmTopic: sns.Topic.fromTopicArn(topicStack, 'Imported', 'arn:aws:sns:eu-west-1:111122223333:gatehouse-alarms'),
    });
    assert.equal(byDescription(t, /dependency/).Threshold, 1);
    assert.equal(byDescription(t, /dependency/).Period, 60);
    assert.equal(byDescription(t, /p99/).Threshold, 250);
    assert.equal(byDescription(t, /denials/).Threshold, 50);
    for (const a of alarmsOf(t)) {
      assert.deepEqual(a.Properties.AlarmActions, ['arn:aws:sns:eu-west-1:111122223333:gatehouse-alarms']);
      assert.deepEqual(a.Properties.OKActions, ['arn:aws:sns:eu-west-1:111122223333:gatehouse-alarms']);
    }
  });
});
