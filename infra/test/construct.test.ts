// The reusable authorizer construct, the settings checks, and proof that
// cdk-nag really runs during synthesis.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { GatehouseAuthorizer } from '../lib/authorizer-construct';
import { addNagChecks } from '../lib/nag';
import { actions, cdkJsonContext, only, resourcesOf, statementsOfRole, synthesize } from './helpers';

const fakeBootstrapDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-authorizer-'));
fs.writeFileSync(path.join(fakeBootstrapDir, 'bootstrap'), 'not a real bootstrap');

/** A team's existing stack: its own pool, table and key. */
function teamStack() {
  const app = new App({ context: cdkJsonContext() });
  const stack = new Stack(app, 'Team', { env: { account: '111122223333', region: 'eu-west-1' } });
  const pool = cognito.UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_AbCdEf123');
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const table = new dynamodb.Table(stack, 'Table', {
    partitionKey: { name: 'PK', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'SK', type: dynamodb.AttributeType.STRING },
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: key,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const code = lambda.Code.fromAsset(fakeBootstrapDir);
  return { app, stack, pool, key, table, code };
}

describe('GatehouseAuthorizer with a partners\' pool', () => {
  test('sets the second pool and its clients; refuses it without clients', () => {
    const { stack, pool, table, code } = teamStack();
    const partners = cognito.UserPool.fromUserPoolId(stack, 'Partners', 'eu-west-1_Partners1');
    const restApi = apigw.RestApi.fromRestApiId(stack, 'Api', 'a1b2c3');
    new GatehouseAuthorizer(stack, 'G', { userPool: pool, clientIds: ['web'], table, code, restApi, partnerPool: { userPool: partners, clientIds: ['p1', 'p2'] } });
    const env = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    const vars = (Object.values(env)[0] as any).Properties.Environment.Variables;
    assert.equal(vars.GATEHOUSE_PARTNER_USER_POOL_ID, 'eu-west-1_Partners1');
    assert.equal(vars.GATEHOUSE_PARTNER_CLIENT_IDS, 'p1,p2');
    assert.equal(vars.GATEHOUSE_USER_POOL_ID, 'eu-west-1_AbCdEf123');
    const other = teamStack();
    assert.throws(() => new GatehouseAuthorizer(other.stack, 'H', {
      userPool: other.pool, clientIds: ['web'], table: other.table, code: other.code, partnerPool: { userPool: partners, clientIds: [] },
    }), /partnerPool.clientIds is required/);
  });
});

describe('GatehouseAuthorizer on an existing API', () => {
  test('an imported RestApi gets a TOKEN CfnAuthorizer and a scoped invoke permission', () => {
    const { stack, pool, table, code } = teamStack();
    const api = apigw.RestApi.fromRestApiId(stack, 'Api', 'a1b2c3d4e5');
    const gh = new GatehouseAuthorizer(stack, 'Gatehouse', {
      userPool: pool, clientIds: ['client1', 'client2'], table, code, restApi: api,
      resultsCacheTtl: Duration.seconds(0),
      rules: [{ method: 'POST', path: '/orders', scopes: ['shop/write'] }],
    });
    assert.equal(gh.authorizer, undefined);
    assert.ok(gh.authorizerId);
    const t = Template.fromStack(stack);
    const { r } = only(t, 'AWS::ApiGateway::Authorizer');
    assert.equal(r.Properties.RestApiId, 'a1b2c3d4e5');
    assert.equal(r.Properties.Type, 'TOKEN');
    assert.equal(r.Properties.AuthorizerResultTtlInSeconds, 0);
    assert.equal(r.Properties.IdentitySource, 'method.request.header.Authorization');
    const perm = only(t, 'AWS::Lambda::Permission').r;
    assert.equal(perm.Properties.Principal, 'apigateway.amazonaws.com');
    assert.match(JSON.stringify(perm.Properties.SourceArn), /a1b2c3d4e5\/authorizers\//);
    const fn = only(t, 'AWS::Lambda::Function').r;
    assert.equal(fn.Properties.Environment.Variables.GATEHOUSE_CLIENT_IDS, 'client1,client2');
    assert.equal(fn.Properties.Environment.Variables.GATEHOUSE_USER_POOL_ID, 'eu-west-1_AbCdEf123');
    assert.deepEqual(JSON.parse(fn.Properties.Environment.Variables.GATEHOUSE_ROUTES),
      [{ method: 'POST', path: '/orders', scopes: ['shop/write'] }]);
  });

  test('the table\'s own key is used through DynamoDB only, and the table is only read', () => {
    const { stack, pool, table, code } = teamStack();
    const api = new apigw.RestApi(stack, 'Api');
    const gh = new GatehouseAuthorizer(stack, 'Gatehouse', { userPool: pool, clientIds: ['c'], table, code });
    api.root.addMethod('GET', new apigw.MockIntegration(), { authorizer: gh.authorizer });
    const t = Template.fromStack(stack);
    const st = statementsOfRole(t, 'GatehouseRole');
    assert.deepEqual(st.flatMap(actions).sort(),
      ['dynamodb:GetItem', 'kms:Decrypt', 'kms:DescribeKey', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    const k = st.find((s) => actions(s).includes('kms:Decrypt'))!;
    assert.deepEqual(k.Condition, { StringEquals: { 'kms:ViaService': 'dynamodb.eu-west-1.amazonaws.com' } });
    const m = Object.values(resourcesOf(t, 'AWS::ApiGateway::Method'))[0];
    assert.equal(m.Properties.AuthorizationType, 'CUSTOM');
    assert.equal(only(t, 'AWS::ApiGateway::Authorizer').r.Properties.AuthorizerResultTtlInSeconds, 300);
  });

  test('refuses contradictory or out-of-range settings', () => {
    const cases: [string, (x: ReturnType<typeof teamStack>) => void, RegExp][] = [
      ['no client ids', (x) => new GatehouseAuthorizer(x.stack, 'G', { userPool: x.pool, table: x.table, code: x.code }), /clientIds is required/],
      ['both', (x) => new GatehouseAuthorizer(x.stack, 'G', { userPool: x.pool, table: x.table, code: x.code, clientIds: ['c'], skipClientIdCheck: true }), /exclude each other/],
      ['ttl', (x) => new GatehouseAuthorizer(x.stack, 'G', { userPool: x.pool, table: x.table, code: x.code, clientIds: ['c'], resultsCacheTtl: Duration.hours(2) }), /0 to 3600/],
    ];
    for (const [name, make, want] of cases) {
      assert.throws(() => make(teamStack()), want, name);
    }
  });
});

describe('settings from context', () => {
  const bad: [string, unknown, RegExp][] = [
    ['gatehouse:logRetentionDays', 42, /retention periods/],
    ['gatehouse:mfa', 'sometimes', /off, optional or required/],
    ['gatehouse:wafExchangeRateLimit', 5, /10 to 2000000000/],
    ['gatehouse:wafEvaluationWindowSeconds', 30, /60, 120, 300 or 600/],
    ['gatehouse:portalReservedConcurrency', 0, /positive integer/],
    ['gatehouse:partnerReservedConcurrency', 2.5, /positive integer/],
    ['gatehouse:webAcl', 'yes', /not JSON/],
    ['gatehouse:callbackUrls', ['http://example.com/cb'], /https/],
    ['gatehouse:scopes', [{ name: 'has space', description: 'x' }], /scopes/],
    ['gatehouse:domainPrefix', 'Upper', /domainPrefix/],
    ['gatehouse:webAclArn', 'arn:aws:wafv2:eu-west-1:111122223333:global/webacl/x', /regional/],
    ['gatehouse:rules', '{not json', /not JSON/],
  ];
  for (const [key, value, want] of bad) {
    test(`${key}=${JSON.stringify(value)} is refused`, () => {
      assert.throws(() => new (require('../lib/gatehouse-stack').GatehouseStack)(
        new App({ context: { ...cdkJsonContext(), [key]: value } }), 'Gatehouse'), want);
    });
  }

  test('context changes the template: scopes, MFA, WAF, rules (JSON from -c)', () => {
    const { template } = synthesize({
      'gatehouse:scopes': [{ name: 'orders.read', description: 'Read orders' }],
      'gatehouse:mfa': 'required',
      'gatehouse:threatProtection': true,
      'gatehouse:webAclArn': 'arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/gatehouse/abc',
      'gatehouse:rules': '[{"method":"GET","path":"/whoami","scopes":["gatehouse/orders.read"]}]',
      'gatehouse:partnerRefreshRotation': 'true',
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: 'gatehouse-partner',
      // With rotation, refreshing is GetTokensFromRefreshToken, not REFRESH_TOKEN_AUTH.
      ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH'],
      RefreshTokenRotation: { Feature: 'ENABLED', RetryGracePeriodSeconds: 10 },
    });
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', { Scopes: [{ ScopeName: 'orders.read', ScopeDescription: 'Read orders' }] });
    // Your own web ACL instead of the stack's.
    assert.deepEqual(only(template, 'AWS::WAFv2::WebACLAssociation').r.Properties.WebACLArn,
      'arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/gatehouse/abc');
    assert.equal(Object.keys(resourcesOf(template, 'AWS::WAFv2::WebACL')).length, 0);
    const fns = Object.values(resourcesOf(template, 'AWS::Lambda::Function'));
    const refresh = fns.find((f) => f.Properties.Environment?.Variables?.GATEHOUSE_PARTNER_REFRESH_ROTATION)!;
    assert.equal(refresh.Properties.Environment.Variables.GATEHOUSE_PARTNER_REFRESH_ROTATION, 'true');
    const authz = fns.find((f) => f.Properties.Environment?.Variables?.GATEHOUSE_ROUTES)!;
    assert.deepEqual(JSON.parse(authz.Properties.Environment.Variables.GATEHOUSE_ROUTES),
      [{ method: 'GET', path: '/whoami', scopes: ['gatehouse/orders.read'] }]);
  });
});

describe('cdk-nag runs during synthesis', () => {
  test('an unacknowledged finding fails synthesis', () => {
    const app = new App({ context: cdkJsonContext() });
    addNagChecks(app);
    const stack = new Stack(app, 'Careless');
    new dynamodb.Table(stack, 'Table', { partitionKey: { name: 'PK', type: dynamodb.AttributeType.STRING } });
    assert.throws(() => app.synth(), /Validation failed|AwsSolutions-DDB3/);
  });
});
