// Assertions over the synthesized Gatehouse stack: what a security review
// looks at first. Run with `make infra-test` (after `make build`).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as vm from 'node:vm';
import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { BEARER_JWT_PATTERN } from '../lib/authorizer-construct';
import { GATEHOUSE_FACTS as facts } from '../lib/facts';
import { API_ROUTES, SAMPLE_BACKEND_SOURCE } from '../lib/gatehouse-stack';
import {
  Synthesized, actions, identityStatements, logicalId, only, resources, resourcesOf, statementsOfRole, synthesize,
} from './helpers';

let syn: Synthesized;
before(() => {
  syn = synthesize();
});

const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

describe('cdk-nag', () => {
  test('AwsSolutionsChecks finds nothing unacknowledged (errors and warnings)', () => {
    const report = syn.nag.validateScope(syn.app);
    assert.deepEqual(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`), []);
    assert.equal(report.success, true);
  });

  test('every acknowledgement states a reason', () => {
    let count = 0;
    for (const c of syn.app.node.findAll()) {
      for (const m of c.node.metadata) {
        if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(m.data as Record<string, string>)) {
          count++;
          assert.match(id, /AwsSolutions-[A-Z]+\d+/, `${c.node.path}: ${id}`);
          assert.ok(typeof reason === 'string' && reason.length >= 60, `${c.node.path}: ${id} needs a real reason`);
        }
      }
    }
    assert.ok(count > 0);
  });
});

describe('authorizer wiring', () => {
  test('a TOKEN authorizer on the Authorization header, with the identity validation expression', () => {
    const { r } = only(syn.template, 'AWS::ApiGateway::Authorizer');
    assert.equal(r.Properties.Type, 'TOKEN');
    assert.equal(r.Properties.IdentitySource, 'method.request.header.Authorization');
    assert.equal(r.Properties.IdentityValidationExpression, BEARER_JWT_PATTERN);
    assert.equal(JSON.stringify(r.Properties.AuthorizerUri).includes(logicalId(syn.template, 'AWS::Lambda::Function', 'AuthorizerFunction')), true);
  });

  test('the identity validation expression accepts bearer JWTs only', () => {
    const re = new RegExp(BEARER_JWT_PATTERN);
    for (const ok of ['Bearer eyJh.eyJz.c2ln', 'bearer a-b_c.d.e', 'BEARER x.y.z']) assert.ok(re.test(ok), ok);
    for (const bad of ['', 'Bearer', 'Bearer a.b', 'Basic dXNlcjpwYXNz', 'Bearer a.b.c ', 'Bearer a.b.c.d', 'Bearer  a.b.c', 'a.b.c', 'Bearer a.b.c\nx']) {
      assert.ok(!re.test(bad), JSON.stringify(bad));
    }
  });

  test('the result cache TTL is the AuthorizerCacheTtl parameter, 0 to 3600 s, default 300', () => {
    const { r } = only(syn.template, 'AWS::ApiGateway::Authorizer');
    assert.deepEqual(r.Properties.AuthorizerResultTtlInSeconds, { Ref: 'AuthorizerCacheTtl' });
    syn.template.hasParameter('AuthorizerCacheTtl', { Type: 'Number', Default: 300, MinValue: 0, MaxValue: 3600 });
  });

  test('the sample route uses the authorizer; the portal and partner routes authorise in their functions', () => {
    const authorizer = only(syn.template, 'AWS::ApiGateway::Authorizer').id;
    const byPath = new Map<string, any>();
    const resourcesById = resourcesOf(syn.template, 'AWS::ApiGateway::Resource');
    const pathOf = (ref: any): string => {
      if (!ref.Ref) return '';
      const res = resourcesById[ref.Ref];
      return `${pathOf(res.Properties.ParentId)}/${res.Properties.PathPart}`;
    };
    for (const m of Object.values(resourcesOf(syn.template, 'AWS::ApiGateway::Method'))) {
      byPath.set(`${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId)}`, m.Properties);
    }
    for (const route of ['GET /whoami']) {
      const m = byPath.get(route);
      assert.ok(m, route);
      assert.equal(m.AuthorizationType, 'CUSTOM', route);
      assert.deepEqual(m.AuthorizerId, { Ref: authorizer }, route);
    }
    // One resource per route (the functions' route tables, through the
    // facts file; routes.test.ts checks the integrations), never a proxy.
    const open = API_ROUTES.map((r) => `${r.method} ${r.path}`);
    for (const route of open) assert.equal(byPath.get(route)?.AuthorizationType, 'NONE', route);
    assert.deepEqual([...byPath.keys()].sort(), [...open, 'GET /whoami'].sort());
    for (const route of byPath.keys()) {
      assert.ok(!route.includes('proxy') && !route.startsWith('ANY '), route);
    }
  });

  test('only this API\'s authorizer may invoke the authorizer function', () => {
    const fn = logicalId(syn.template, 'AWS::Lambda::Function', 'AuthorizerFunction');
    const perms = Object.values(resourcesOf(syn.template, 'AWS::Lambda::Permission'))
      .filter((p) => JSON.stringify(p.Properties.FunctionName).includes(fn));
    assert.equal(perms.length, 1);
    assert.equal(perms[0].Properties.Principal, 'apigateway.amazonaws.com');
    assert.match(JSON.stringify(perms[0].Properties.SourceArn), /\/authorizers\//);
  });

  test('the authorizer function: provided.al2023 on arm64, configured for the pool and table', () => {
    const fn = resourcesOf(syn.template, 'AWS::Lambda::Function')[logicalId(syn.template, 'AWS::Lambda::Function', 'AuthorizerFunction')];
    assert.equal(fn.Properties.Runtime, 'provided.al2023');
    assert.deepEqual(fn.Properties.Architectures, ['arm64']);
    assert.equal(fn.Properties.Handler, 'bootstrap');
    const env = fn.Properties.Environment.Variables;
    assert.deepEqual(env.GATEHOUSE_USER_POOL_ID, { Ref: logicalId(syn.template, 'AWS::Cognito::UserPool', 'UserPool') });
    assert.deepEqual(env.GATEHOUSE_TABLE, { Ref: logicalId(syn.template, 'AWS::DynamoDB::Table', 'MappingTable') });
    // People's user tokens from the web client only (programs' clients are
    // admitted by the mapping); partners' from their own pool's client.
    assert.equal(env.GATEHOUSE_SKIP_CLIENT_ID_CHECK, undefined);
    assert.deepEqual(env.GATEHOUSE_CLIENT_IDS, { Ref: logicalId(syn.template, 'AWS::Cognito::UserPoolClient', 'UserPoolWebAppClient') });
    assert.deepEqual(env.GATEHOUSE_PARTNER_USER_POOL_ID, { Ref: logicalId(syn.template, 'AWS::Cognito::UserPool', 'PartnerPool') });
    // The machine client only, never the partner administrators' client.
    assert.deepEqual(env.GATEHOUSE_PARTNER_CLIENT_IDS, { Ref: logicalId(syn.template, 'AWS::Cognito::UserPoolClient', 'PartnerPoolPartnerClient') });
    assert.ok(!JSON.stringify(fn.Properties.Environment).includes(logicalId(syn.template, 'AWS::Cognito::UserPoolClient', 'PartnerPoolPartnerAdminClient')));
    assert.equal(env.GATEHOUSE_MAPPING_CACHE_TTL, '60s');
    // No rules by default: every authenticated caller may use the sample route.
    assert.equal(env.GATEHOUSE_ROUTES, undefined);
  });
});

describe('IAM least privilege', () => {
  test('no wildcard actions, and no "*" resource for DynamoDB, KMS, Cognito or Secrets Manager', () => {
    for (const { policy, s } of identityStatements(syn.template)) {
      for (const a of actions(s)) {
        assert.ok(!a.includes('*'), `${policy}: action ${a}`);
      }
      const scoped = actions(s).some((a) => /^(dynamodb|kms|cognito-idp|secretsmanager):/.test(a));
      if (scoped) {
        for (const r of resources(s)) {
          assert.ok(typeof r !== 'string' || !r.includes('*'), `${policy}: resource ${JSON.stringify(r)}`);
        }
      }
    }
  });

  test('DynamoDB actions on the mapping table only, and never table management', () => {
    const table = logicalId(syn.template, 'AWS::DynamoDB::Table', 'MappingTable');
    const allowed = new Set(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem',
      'dynamodb:ConditionCheckItem']);
    for (const { policy, s } of identityStatements(syn.template)) {
      const ddb = actions(s).filter((a) => a.startsWith('dynamodb:'));
      if (ddb.length === 0) continue;
      for (const a of ddb) assert.ok(allowed.has(a), `${policy}: ${a}`);
      assert.deepEqual(resources(s), [getAtt(table)], policy);
    }
  });

  test('KMS actions on the Gatehouse keys only: the table key through DynamoDB, the sealing key with the sealing context', () => {
    const key = logicalId(syn.template, 'AWS::KMS::Key', 'Key');
    const sealingKey = logicalId(syn.template, 'AWS::KMS::Key', 'SealingKey');
    for (const { policy, s } of identityStatements(syn.template)) {
      const k = actions(s).filter((a) => a.startsWith('kms:'));
      if (k.length === 0) continue;
      const viaDynamoDB = s.Condition?.StringEquals?.['kms:ViaService'];
      const sealing = s.Condition?.StringEquals?.[`kms:EncryptionContext:${facts.seal.purposeContextKey}`];
      assert.ok(viaDynamoDB || sealing, `${policy}: unconditioned KMS statement`);
      assert.deepEqual(resources(s), [getAtt(viaDynamoDB ? key : sealingKey)], policy);
      if (viaDynamoDB) assert.deepEqual(k.sort(), ['kms:Decrypt', 'kms:DescribeKey']);
      if (sealing) {
        // What the Go sealer sends (internal/testkit/infrafacts), not a copy.
        assert.equal(sealing, facts.seal.partnerRefreshTokenPurpose);
        assert.deepEqual(k.sort(), [...facts.seal.kmsActions].sort());
        assert.deepEqual(s.Condition?.['ForAllValues:StringEquals'], { 'kms:EncryptionContextKeys': facts.seal.encryptionContextKeys });
      }
    }
  });

  test('the authorizer may only do what its Go lookups do (GetItem on the USERNAME# and CLIENT# items), and never use the key directly', () => {
    const st = statementsOfRole(syn.template, 'AuthorizerRole');
    const ddb = st.filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    assert.equal(ddb.length, 1);
    // internal/testkit/infrafacts observes the lookups of authorizer.Directory on a
    // mapping.Store: their actions and partition-key prefixes.
    assert.deepEqual(actions(ddb[0]).sort(), facts.authorizer.dynamoDBActions);
    const patterns = facts.leadingKeyPrefixes.authorizer.map((p) => `${p}*`);
    assert.deepEqual([...(ddb[0].Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] as string[])].sort(), patterns);
    assert.deepEqual(Object.keys(ddb[0].Condition!), ['ForAllValues:StringLike']);
    assert.deepEqual(Object.keys(ddb[0].Condition!['ForAllValues:StringLike']), ['dynamodb:LeadingKeys']);
    const all = st.flatMap(actions).sort();
    assert.deepEqual(all, [...facts.authorizer.dynamoDBActions, 'kms:Decrypt', 'kms:DescribeKey', 'logs:CreateLogStream', 'logs:PutLogEvents'].sort());
  });

  test('only the refresh function seals, and only with the table and purpose in the encryption context', () => {
    for (const role of ['AuthorizerRole', 'PortalRole', 'SampleRole']) {
      assert.ok(!statementsOfRole(syn.template, role).some((s) => actions(s).includes('kms:GenerateDataKey')), role);
    }
    const seal = statementsOfRole(syn.template, 'RefreshRole').filter((s) => actions(s).includes('kms:GenerateDataKey'));
    assert.equal(seal.length, 1);
    assert.deepEqual(seal[0].Condition?.StringEquals?.[`kms:EncryptionContext:${facts.seal.tableContextKey}`],
      { Ref: logicalId(syn.template, 'AWS::DynamoDB::Table', 'MappingTable') });
  });

  test('Cognito actions: the portal on the people\'s pool, the refresh function\'s admin actions on the partners\' pool only', () => {
    const people = getAtt(logicalId(syn.template, 'AWS::Cognito::UserPool', 'UserPool'));
    const partners = getAtt(logicalId(syn.template, 'AWS::Cognito::UserPool', 'PartnerPool'));
    const cognito = (role: string) => statementsOfRole(syn.template, role)
      .filter((s) => actions(s).some((a) => a.startsWith('cognito-idp:')));
    for (const s of cognito('PortalRole')) assert.deepEqual(resources(s), [people], 'PortalRole');
    for (const s of cognito('RefreshRole')) assert.deepEqual(resources(s), [partners], 'RefreshRole');
    assert.deepEqual(cognito('AuthorizerRole'), []);
    assert.deepEqual(cognito('SampleRole'), []);
    assert.deepEqual(cognito('PortalRole').flatMap(actions).sort(), ['cognito-idp:CreateUserPoolClient', 'cognito-idp:DeleteUserPoolClient']);
    assert.deepEqual(cognito('RefreshRole').flatMap(actions).sort(), [
      'cognito-idp:AdminCreateUser', 'cognito-idp:AdminDeleteUser', 'cognito-idp:AdminInitiateAuth', 'cognito-idp:AdminSetUserPassword',
    ]);
  });

  test('our function roles use no AWS managed policy', () => {
    for (const prefix of ['AuthorizerRole', 'PortalRole', 'RefreshRole', 'SampleRole']) {
      const role = resourcesOf(syn.template, 'AWS::IAM::Role')[logicalId(syn.template, 'AWS::IAM::Role', prefix)];
      assert.equal(role.Properties.ManagedPolicyArns, undefined, prefix);
    }
  });

  test('logs: each function writes only its own log group', () => {
    for (const name of ['Authorizer', 'Portal', 'Refresh', 'Sample']) {
      const logs = statementsOfRole(syn.template, `${name}Role`).filter((s) => actions(s).some((a) => a.startsWith('logs:')));
      assert.equal(logs.length, 1, name);
      assert.deepEqual(resources(logs[0]), [getAtt(logicalId(syn.template, 'AWS::Logs::LogGroup', `${name}Logs`))], name);
    }
  });
});

describe('portal and refresh configuration', () => {
  const env = (name: string) =>
    resourcesOf(syn.template, 'AWS::Lambda::Function')[logicalId(syn.template, 'AWS::Lambda::Function', name)].Properties.Environment.Variables;
  const ref = (type: string, prefix: string) => ({ Ref: logicalId(syn.template, type, prefix) });

  test('the portal (portal/env.go): pool, web client, group, scopes, token endpoint, base path', () => {
    const e = env('PortalFunction');
    assert.deepEqual(e.GATEHOUSE_USER_POOL_ID, ref('AWS::Cognito::UserPool', 'UserPool'));
    assert.deepEqual(e.GATEHOUSE_TABLE, ref('AWS::DynamoDB::Table', 'MappingTable'));
    assert.deepEqual(e.GATEHOUSE_CLIENT_IDS, ref('AWS::Cognito::UserPoolClient', 'UserPoolWebAppClient'));
    assert.equal(e.GATEHOUSE_API_CLIENTS_GROUP, 'api-users');
    assert.equal(e.GATEHOUSE_BASE_PATH, '/portal');
    assert.equal(e.GATEHOUSE_CREATE_USERS, 'true');
    assert.match(JSON.stringify(e.GATEHOUSE_TOKEN_ENDPOINT), /^\{"Fn::Join":\["",\["https:\/\/",.*\/oauth2\/token"\]\]\}$/);
    assert.equal(e.GATEHOUSE_API_CLIENT_SCOPES, 'gatehouse/read,gatehouse/write');
    assert.equal(e.GATEHOUSE_SIGNIN_CLIENT_ID, undefined);
  });

  test('refresh (refresh/env.go): sealing key, both pools, partner client, secret ARN, administrators', () => {
    const e = env('RefreshFunction');
    assert.deepEqual(e.GATEHOUSE_KMS_KEY_ID, { 'Fn::GetAtt': [logicalId(syn.template, 'AWS::KMS::Key', 'SealingKey'), 'Arn'] });
    assert.deepEqual(e.GATEHOUSE_USER_POOL_ID, ref('AWS::Cognito::UserPool', 'UserPool'));
    assert.deepEqual(e.GATEHOUSE_PARTNER_USER_POOL_ID, ref('AWS::Cognito::UserPool', 'PartnerPool'));
    assert.deepEqual(e.GATEHOUSE_PARTNER_CLIENT_ID, ref('AWS::Cognito::UserPoolClient', 'PartnerPoolPartnerClient'));
    assert.deepEqual(e.GATEHOUSE_CLIENT_IDS, ref('AWS::Cognito::UserPoolClient', 'UserPoolWebAppClient'));
    assert.equal(e.GATEHOUSE_ADMIN_GROUP, 'administrators');
  });
});

describe('encryption', () => {
  test('the table is encrypted with the Gatehouse key, which rotates', () => {
    const key = logicalId(syn.template, 'AWS::KMS::Key', 'Key');
    syn.template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: getAtt(key) },
    });
    syn.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, PendingWindowInDays: 30 });
  });

  test('the partner client secret is kept in Secrets Manager, never in an environment', () => {
    for (const fn of Object.values(resourcesOf(syn.template, 'AWS::Lambda::Function'))) {
      const env = fn.Properties.Environment?.Variables ?? {};
      assert.equal(env.GATEHOUSE_PARTNER_CLIENT_SECRET, undefined);
    }
    const refresh = resourcesOf(syn.template, 'AWS::Lambda::Function')[logicalId(syn.template, 'AWS::Lambda::Function', 'RefreshFunction')];
    assert.deepEqual(refresh.Properties.Environment.Variables.GATEHOUSE_PARTNER_CLIENT_SECRET_ARN,
      { Ref: logicalId(syn.template, 'AWS::SecretsManager::Secret', 'PartnerClientSecret') });
  });
});

describe('the table, exactly as mapping needs it', () => {
  test('string PK and SK (as mapping.CreateTable makes it), on demand, no index, no TTL, no stream', () => {
    const { r } = only(syn.template, 'AWS::DynamoDB::Table');
    const p = r.Properties;
    const { partitionKey: pk, sortKey: sk } = facts.table;
    assert.deepEqual(p.KeySchema, [{ AttributeName: pk, KeyType: 'HASH' }, { AttributeName: sk, KeyType: 'RANGE' }]);
    assert.deepEqual(p.AttributeDefinitions, [{ AttributeName: pk, AttributeType: 'S' }, { AttributeName: sk, AttributeType: 'S' }]);
    assert.equal(p.BillingMode, 'PAY_PER_REQUEST');
    for (const absent of ['GlobalSecondaryIndexes', 'LocalSecondaryIndexes', 'TimeToLiveSpecification', 'StreamSpecification', 'TableName']) {
      assert.equal(p[absent], undefined, absent);
    }
  });
});

describe('deletion protection and recovery', () => {
  test('table: deletion protection, point-in-time recovery, retained', () => {
    const { r } = only(syn.template, 'AWS::DynamoDB::Table');
    assert.equal(r.Properties.DeletionProtectionEnabled, true);
    assert.deepEqual(r.Properties.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
    assert.equal(r.DeletionPolicy, 'Retain');
    assert.equal(r.UpdateReplacePolicy, 'Retain');
  });

  test('both user pools: deletion protection, retained; both keys retained', () => {
    const pools = Object.values(resourcesOf(syn.template, 'AWS::Cognito::UserPool'));
    assert.equal(pools.length, 2);
    for (const pool of pools) {
      assert.equal(pool.Properties.DeletionProtection, 'ACTIVE');
      assert.equal(pool.DeletionPolicy, 'Retain');
    }
    const keys = Object.values(resourcesOf(syn.template, 'AWS::KMS::Key'));
    assert.equal(keys.length, 2);
    for (const key of keys) assert.equal(key.DeletionPolicy, 'Retain');
  });
});

describe('logs', () => {
  test('every log group has a retention', () => {
    const groups = Object.entries(resourcesOf(syn.template, 'AWS::Logs::LogGroup'));
    assert.ok(groups.length >= 5);
    for (const [id, g] of groups) assert.ok(Number.isInteger(g.Properties.RetentionInDays), id);
  });

  test('every function of ours logs JSON to its own log group', () => {
    for (const name of ['AuthorizerFunction', 'PortalFunction', 'RefreshFunction', 'SampleFunction']) {
      const fn = resourcesOf(syn.template, 'AWS::Lambda::Function')[logicalId(syn.template, 'AWS::Lambda::Function', name)];
      assert.equal(fn.Properties.LoggingConfig.LogFormat, 'JSON', name);
      assert.deepEqual(Object.keys(fn.Properties.LoggingConfig.LogGroup), ['Ref'], name);
    }
  });

  test('the stage: access logs, error execution logs without bodies, throttling, a tighter partner exchange', () => {
    const { r } = only(syn.template, 'AWS::ApiGateway::Stage');
    const p = r.Properties;
    assert.ok(JSON.stringify(p.AccessLogSetting.DestinationArn).includes(logicalId(syn.template, 'AWS::Logs::LogGroup', 'ApiAccessLogs')));
    const format = JSON.parse(p.AccessLogSetting.Format);
    assert.equal(format.principalId, '$context.authorizer.principalId');
    assert.ok(!JSON.stringify(format).toLowerCase().includes('authorization'), 'no header in access logs');
    const all = p.MethodSettings.find((m: any) => m.HttpMethod === '*' && m.ResourcePath === '/*');
    assert.equal(all.LoggingLevel, 'ERROR');
    assert.equal(all.DataTraceEnabled, false);
    assert.equal(all.ThrottlingRateLimit, 100);
    assert.equal(all.ThrottlingBurstLimit, 200);
    const exchange = p.MethodSettings.find((m: any) => m.HttpMethod === 'POST' && m.ResourcePath === '/~1partners~1token');
    assert.ok(exchange, JSON.stringify(p.MethodSettings));
    assert.equal(exchange.ThrottlingRateLimit, 5);
    assert.equal(exchange.ThrottlingBurstLimit, 10);
  });
});

describe('Cognito', () => {
  test('the people\'s pool: password policy, optional TOTP MFA (the default), no SMS', () => {
    syn.template.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: {
        PasswordPolicy: {
          MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true,
        },
      },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
  });

  test('domain, resource server and scopes, groups', () => {
    only(syn.template, 'AWS::Cognito::UserPoolDomain');
    syn.template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'gatehouse',
      Scopes: [{ ScopeName: 'read', ScopeDescription: Match.anyValue() }, { ScopeName: 'write', ScopeDescription: Match.anyValue() }],
    });
    const groups = Object.values(resourcesOf(syn.template, 'AWS::Cognito::UserPoolGroup')).map((g) => g.Properties.GroupName).sort();
    assert.deepEqual(groups, ['administrators', 'api-users']);
  });

  test('the web app client: no secret, code grant with the custom scopes, revocation on', () => {
    syn.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: 'gatehouse-web',
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      EnableTokenRevocation: true,
      PreventUserExistenceErrors: 'ENABLED',
    });
    const web = Object.values(resourcesOf(syn.template, 'AWS::Cognito::UserPoolClient')).find((c) => c.Properties.ClientName === 'gatehouse-web')!;
    // The custom scopes reference the resource server, so the client is created after it.
    const scopes = JSON.stringify(web.Properties.AllowedOAuthScopes);
    const rs = logicalId(syn.template, 'AWS::Cognito::UserPoolResourceServer', 'UserPoolResourceServer');
    assert.match(scopes, /^\["openid","email","profile",/);
    for (const sc of ['read', 'write']) assert.ok(scopes.includes(`{"Ref":"${rs}"},"/${sc}"`), sc);
  });

  test('the partner client: a secret, the admin password flow and refresh, no OAuth', () => {
    syn.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: 'gatehouse-partner',
      GenerateSecret: true,
      ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      AllowedOAuthFlowsUserPoolClient: false,
      RefreshTokenRotation: Match.absent(),
      EnableTokenRevocation: true,
      UserPoolId: { Ref: logicalId(syn.template, 'AWS::Cognito::UserPool', 'PartnerPool') },
    });
    const refresh = resourcesOf(syn.template, 'AWS::Lambda::Function')[logicalId(syn.template, 'AWS::Lambda::Function', 'RefreshFunction')];
    assert.equal(refresh.Properties.Environment.Variables.GATEHOUSE_PARTNER_REFRESH_ROTATION, 'false');
  });
});

describe('sample backend', () => {
  const run = async (event: unknown) => {
    const mod = { exports: {} as any };
    vm.runInNewContext(SAMPLE_BACKEND_SOURCE, { exports: mod.exports, module: mod });
    return mod.exports.handler(event);
  };

  test('returns the internal user id the authorizer gave it', async () => {
    const res = await run({ requestContext: { authorizer: { principalId: 'u-1', internalId: 'u-1', kind: 'user' } } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(JSON.parse(res.body), { internalId: 'u-1', kind: 'user' });
  });

  test('fails closed without an internal id', async () => {
    for (const ev of [{}, { requestContext: {} }, { requestContext: { authorizer: { internalId: 7 } } }, null]) {
      const res = await run(ev);
      assert.equal(res.statusCode, 500);
      assert.ok(!('internalId' in JSON.parse(res.body)));
    }
  });

  test('is the inline code of the sample function, on the latest Node.js runtime', () => {
    const fn = resourcesOf(syn.template, 'AWS::Lambda::Function')[logicalId(syn.template, 'AWS::Lambda::Function', 'SampleFunction')];
    assert.equal(fn.Properties.Code.ZipFile, SAMPLE_BACKEND_SOURCE);
    assert.equal(fn.Properties.Runtime, 'nodejs24.x');
  });
});
