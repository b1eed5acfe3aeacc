// Issue 13: least privilege on AWS. Partners in a pool of their own, a
// sealing key only the refresh role can use, per-IP limits on the public
// sign-in steps, LeadingKeys on every role that touches the table, and the
// smaller settings (MFA, reserved concurrency, region, domain prefix,
// app-client alerts).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as sns from 'aws-cdk-lib/aws-sns';
import { GATEHOUSE_FACTS as facts, TableFunction } from '../lib/facts';
import { EXCHANGE_PATH, SEALING_KEY_ADMIN_ACTIONS, SIGN_IN_PATHS } from '../lib/gatehouse-stack';
import { DEFAULT_SETTINGS, deploymentEnv } from '../lib/settings';
import {
  Synthesized, acknowledgements, actions, identityStatements, logicalId, only, resourcesOf, statementsOfRole, synthesize,
} from './helpers';

let syn: Synthesized;
before(() => {
  syn = synthesize();
});

const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });


describe('the sealing key', () => {
  const policy = () => {
    const id = logicalId(syn.template, 'AWS::KMS::Key', 'SealingKey');
    return resourcesOf(syn.template, 'AWS::KMS::Key')[id].Properties.KeyPolicy.Statement as any[];
  };
  // Every KMS action that uses a key or hands its use to someone else.
  const USE = /^kms:(\*|Encrypt|Decrypt|ReEncrypt.*|GenerateDataKey.*|CreateGrant|Sign|Verify|GenerateMac|VerifyMac|DeriveSharedSecret)$/;

  test('is not the table\'s key; rotates; retained', () => {
    const sealing = logicalId(syn.template, 'AWS::KMS::Key', 'SealingKey');
    const table = only(syn.template, 'AWS::DynamoDB::Table').r;
    assert.notDeepEqual(table.Properties.SSESpecification.KMSMasterKeyId, getAtt(sealing));
    const k = resourcesOf(syn.template, 'AWS::KMS::Key')[sealing];
    assert.equal(k.Properties.EnableKeyRotation, true);
    assert.equal(k.DeletionPolicy, 'Retain');
  });

  test('two statements: the account root administers, the refresh role seals', () => {
    assert.deepEqual(policy().map((s) => s.Sid).sort(), ['KeyAdministration', 'SealPartnerTokens']);
    for (const s of policy()) {
      assert.equal(s.Effect, 'Allow');
      for (const a of [s.Action].flat()) assert.ok(!a.includes('*'), `${s.Sid}: wildcard action ${a}`);
      assert.notEqual(s.Principal, '*');
      assert.notDeepEqual(s.Principal, { AWS: '*' });
    }
  });

  test('administrators manage it but cannot use it or grant its use; they keep PutKeyPolicy', () => {
    const admin = policy().find((s) => s.Sid === 'KeyAdministration');
    assert.match(JSON.stringify(admin.Principal), /:root"\]\]\}\}$/);
    assert.equal(admin.Condition, undefined);
    const acts: string[] = [admin.Action].flat();
    assert.deepEqual(acts.sort(), [...SEALING_KEY_ADMIN_ACTIONS].sort());
    for (const a of acts) assert.doesNotMatch(a, USE);
    // Without these the key could not be repaired or retired.
    for (const a of ['kms:PutKeyPolicy', 'kms:GetKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion', 'kms:DisableKey', 'kms:EnableKey']) {
      assert.ok(acts.includes(a), a);
    }
  });

  test('only the refresh role uses it, with the partner purpose, this table and no other context key', () => {
    const uses = policy().filter((s) => [s.Action].flat().some((a: string) => USE.test(a)));
    assert.equal(uses.length, 1);
    const [seal] = uses;
    assert.deepEqual(seal.Principal, { AWS: getAtt(logicalId(syn.template, 'AWS::IAM::Role', 'RefreshRole')) });
    // What the Go sealer calls (infrafacts), not Encrypt: seal.go uses data keys.
    assert.deepEqual([seal.Action].flat().sort(), [...facts.seal.kmsActions].sort());
    assert.deepEqual(seal.Condition, {
      StringEquals: {
        [`kms:EncryptionContext:${facts.seal.tableContextKey}`]: { Ref: logicalId(syn.template, 'AWS::DynamoDB::Table', 'MappingTable') },
        [`kms:EncryptionContext:${facts.seal.purposeContextKey}`]: facts.seal.partnerRefreshTokenPurpose,
      },
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': facts.seal.encryptionContextKeys },
    });
  });

  test('no other role\'s policy names it', () => {
    const sealing = getAtt(logicalId(syn.template, 'AWS::KMS::Key', 'SealingKey'));
    for (const role of ['AuthorizerRole', 'PortalRole', 'SampleRole']) {
      assert.ok(!JSON.stringify(statementsOfRole(syn.template, role)).includes(JSON.stringify(sealing)), role);
    }
  });
});

describe('the partners\' pool', () => {
  const partnerPool = (s: Synthesized) => resourcesOf(s.template, 'AWS::Cognito::UserPool')[logicalId(s.template, 'AWS::Cognito::UserPool', 'PartnerPool')];

  test('administrators create its users; MFA optional by default, no recovery, no domain; the people\'s pool has the only domain', () => {
    const pool = partnerPool(syn);
    assert.equal(pool.Properties.AdminCreateUserConfig.AllowAdminCreateUserOnly, true);
    assert.equal(pool.Properties.MfaConfiguration, 'OPTIONAL');
    assert.deepEqual(pool.Properties.EnabledMfas, ['SOFTWARE_TOKEN_MFA']);
    assert.deepEqual(pool.Properties.AccountRecoverySetting, { RecoveryMechanisms: [{ Name: 'admin_only', Priority: 1 }] });
    assert.deepEqual(only(syn.template, 'AWS::Cognito::UserPoolDomain').r.Properties.UserPoolId,
      { Ref: logicalId(syn.template, 'AWS::Cognito::UserPool', 'UserPool') });
  });

  test('no self sign-up, whatever the people\'s pool allows', () => {
    const s = synthesize({ 'gatehouse:selfSignUp': true });
    assert.equal(partnerPool(s).Properties.AdminCreateUserConfig.AllowAdminCreateUserOnly, true);
    const people = resourcesOf(s.template, 'AWS::Cognito::UserPool')[logicalId(s.template, 'AWS::Cognito::UserPool', 'UserPool')];
    assert.equal(people.Properties.AdminCreateUserConfig.AllowAdminCreateUserOnly, false);
  });

  test('MFA: gatehouse:partnerMfa off or optional, never required (machine users hold no second factor); COG2\'s reason says which', () => {
    const off = synthesize({ 'gatehouse:partnerMfa': 'off' });
    assert.equal(partnerPool(off).Properties.MfaConfiguration, 'OFF');
    assert.match(acknowledgements(off, 'Gatehouse/PartnerPool')['AwsSolutions-COG2'], /^MFA is off in the partners' pool/);
    assert.match(acknowledgements(syn, 'Gatehouse/PartnerPool')['AwsSolutions-COG2'], /^MFA is optional in the partners' pool/);
    assert.throws(() => synthesize({ 'gatehouse:partnerMfa': 'required' }), /gatehouse:partnerMfa: off or optional/);
  });

  test('the acknowledgements no longer say that no person signs in to this pool', () => {
    const acks = acknowledgements(syn, 'Gatehouse/PartnerPool');
    assert.deepEqual(Object.keys(acks).sort(), ['AwsSolutions-COG2', 'AwsSolutions-COG8']);
    for (const reason of Object.values(acks)) {
      assert.doesNotMatch(reason, /no person|never sign in interactively|machine identities/i);
      assert.match(reason, /administrator/);
    }
  });

  test('two app clients with secrets: the machine client and the partner administrators\' client; the people\'s pool has only the web client', () => {
    const byPool = new Map<string, string[]>();
    for (const c of Object.values(resourcesOf(syn.template, 'AWS::Cognito::UserPoolClient'))) {
      const pool = c.Properties.UserPoolId.Ref;
      byPool.set(pool, [...(byPool.get(pool) ?? []), c.Properties.ClientName]);
    }
    assert.deepEqual(byPool.get(logicalId(syn.template, 'AWS::Cognito::UserPool', 'PartnerPool'))!.sort(), ['gatehouse-partner', 'gatehouse-partner-admin']);
    assert.deepEqual(byPool.get(logicalId(syn.template, 'AWS::Cognito::UserPool', 'UserPool')), ['gatehouse-web']);
  });

  test('the custom resources that copy the client secrets may only describe clients of the partners\' pool', () => {
    const partners = getAtt(logicalId(syn.template, 'AWS::Cognito::UserPool', 'PartnerPool'));
    const cr = identityStatements(syn.template).filter((x) => x.policy.includes('DescribeCognitoUserPoolClient'));
    assert.equal(cr.length, 2);
    for (const { s } of cr) {
      assert.deepEqual(actions(s), ['cognito-idp:DescribeUserPoolClient']);
      assert.deepEqual(s.Resource, partners);
    }
  });

  test('no role holds a cognito-idp Admin* action on the people\'s pool', () => {
    const people = JSON.stringify(getAtt(logicalId(syn.template, 'AWS::Cognito::UserPool', 'UserPool')));
    for (const { policy, s } of identityStatements(syn.template)) {
      if (actions(s).some((a) => a.startsWith('cognito-idp:Admin'))) {
        assert.ok(!JSON.stringify(s.Resource).includes(people), policy);
      }
    }
  });
});

describe('dynamodb:LeadingKeys on every role that touches the table', () => {
  const roleFunction: Record<string, TableFunction> = { AuthorizerRole: 'authorizer', PortalRole: 'portal', RefreshRole: 'refresh' };

  test('each role is limited to the prefixes its Go store operations use (gatehouse-facts.json)', () => {
    const roles = resourcesOf(syn.template, 'AWS::IAM::Role');
    let checked = 0;
    for (const id of Object.keys(roles)) {
      const ddb = statementsOfRole(syn.template, id).filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
      if (ddb.length === 0) continue;
      const prefix = Object.keys(roleFunction).find((p) => id.startsWith(p));
      assert.ok(prefix, `${id} touches the table but has no list in mapping.LeadingKeyPrefixes`);
      const want = facts.leadingKeyPrefixes[roleFunction[prefix]].map((p) => `${p}*`);
      for (const s of ddb) {
        assert.deepEqual(Object.keys(s.Condition ?? {}), ['ForAllValues:StringLike'], id);
        assert.deepEqual(Object.keys(s.Condition!['ForAllValues:StringLike']), ['dynamodb:LeadingKeys'], id);
        assert.deepEqual([...(s.Condition!['ForAllValues:StringLike']['dynamodb:LeadingKeys'] as string[])].sort(), want, id);
        checked++;
      }
    }
    assert.equal(checked, 3);
  });

  test('the portal cannot reach partner records, the refresh function cannot reach app clients', () => {
    assert.ok(!facts.leadingKeyPrefixes.portal.some((p) => p.startsWith('PARTNER') || p.startsWith('FINGERPRINT')));
    assert.ok(!facts.leadingKeyPrefixes.refresh.includes('CLIENT#'));
  });
});

describe('the web ACL', () => {
  const rules = (s: Synthesized) => only(s.template, 'AWS::WAFv2::WebACL').r.Properties.Rules as any[];
  const paths = (rule: any): string[] => {
    const sd = rule.Statement.RateBasedStatement.ScopeDownStatement;
    return (sd.OrStatement ? sd.OrStatement.Statements : [sd]).map((x: any) => x.ByteMatchStatement.SearchString);
  };

  test('by default: regional, allows by default, associated with the stage', () => {
    const acl = only(syn.template, 'AWS::WAFv2::WebACL');
    assert.equal(acl.r.Properties.Scope, 'REGIONAL');
    assert.deepEqual(acl.r.Properties.DefaultAction, { Allow: {} });
    const assoc = only(syn.template, 'AWS::WAFv2::WebACLAssociation').r.Properties;
    assert.deepEqual(assoc.WebACLArn, getAtt(acl.id));
    assert.match(JSON.stringify(assoc.ResourceArn), new RegExp(`"${logicalId(syn.template, 'AWS::ApiGateway::Stage', 'ApiDeploymentStage')}"`));
  });

  test('per-IP rate rules scoped to the exchange and the sign-in steps, decoded before the match', () => {
    const [exchange, signIn] = rules(syn);
    for (const [rule, limit, want] of [
      [exchange, DEFAULT_SETTINGS.wafExchangeRateLimit, [EXCHANGE_PATH]],
      [signIn, DEFAULT_SETTINGS.wafSignInRateLimit, SIGN_IN_PATHS],
    ] as const) {
      const rb = rule.Statement.RateBasedStatement;
      assert.equal(rb.AggregateKeyType, 'IP');
      assert.equal(rb.Limit, limit);
      assert.equal(rb.EvaluationWindowSec, DEFAULT_SETTINGS.wafEvaluationWindowSeconds);
      assert.deepEqual(rule.Action, { Block: {} });
      assert.deepEqual(paths(rule), [...want]);
      const sd = rb.ScopeDownStatement;
      for (const bm of (sd.OrStatement ? sd.OrStatement.Statements : [sd]).map((x: any) => x.ByteMatchStatement)) {
        assert.deepEqual(bm.FieldToMatch, { UriPath: {} });
        assert.equal(bm.PositionalConstraint, 'CONTAINS');
        assert.deepEqual(bm.TextTransformations.map((t: any) => t.Type), ['URL_DECODE_UNI', 'NORMALIZE_PATH', 'LOWERCASE']);
      }
    }
    assert.ok(!acknowledgements(syn, 'Gatehouse/Api/DeploymentStage.v1')['AwsSolutions-APIG3']);
  });

  test('limits and window from context; turned off, APIG3 is acknowledged and says so', () => {
    const custom = synthesize({ 'gatehouse:wafExchangeRateLimit': 20, 'gatehouse:wafSignInRateLimit': 50, 'gatehouse:wafEvaluationWindowSeconds': 60 });
    assert.deepEqual(rules(custom).map((r) => [r.Statement.RateBasedStatement.Limit, r.Statement.RateBasedStatement.EvaluationWindowSec]),
      [[20, 60], [50, 60]]);
    const off = synthesize({ 'gatehouse:webAcl': false });
    assert.equal(Object.keys(resourcesOf(off.template, 'AWS::WAFv2::WebACL')).length, 0);
    assert.equal(Object.keys(resourcesOf(off.template, 'AWS::WAFv2::WebACLAssociation')).length, 0);
    assert.match(acknowledgements(off, 'Gatehouse/Api/DeploymentStage.v1')['AwsSolutions-APIG3'], /turned off/);
  });

  test('method throttles on the exact resources of the exchange and the sign-in steps', () => {
    const settings = only(syn.template, 'AWS::ApiGateway::Stage').r.Properties.MethodSettings as any[];
    const at = (p: string) => settings.find((m) => m.HttpMethod === 'POST' && m.ResourcePath === `/${p.replace(/\//g, '~1')}`);
    assert.equal(at(EXCHANGE_PATH).ThrottlingRateLimit, DEFAULT_SETTINGS.partnerThrottleRateLimit);
    for (const p of SIGN_IN_PATHS) {
      assert.equal(at(p).ThrottlingRateLimit, DEFAULT_SETTINGS.signInThrottleRateLimit, p);
      assert.equal(at(p).ThrottlingBurstLimit, DEFAULT_SETTINGS.signInThrottleBurstLimit, p);
    }
  });
});

describe('MFA of the people\'s pool', () => {
  const people = (s: Synthesized) => resourcesOf(s.template, 'AWS::Cognito::UserPool')[logicalId(s.template, 'AWS::Cognito::UserPool', 'UserPool')].Properties;

  test('off, optional or required; COG2 acknowledged only when not required, with the setting in its reason', () => {
    for (const [mfa, cfn] of [['off', 'OFF'], ['optional', 'OPTIONAL'], ['required', 'ON']] as const) {
      const s = mfa === 'optional' ? syn : synthesize({ 'gatehouse:mfa': mfa });
      assert.equal(people(s).MfaConfiguration, cfn, mfa);
      const ack = acknowledgements(s, 'Gatehouse/UserPool')['AwsSolutions-COG2'];
      if (mfa === 'required') assert.equal(ack, undefined);
      else assert.match(ack, new RegExp(`MFA is ${mfa} in the people's pool`));
      // The partners' pool has its own setting, whatever the people's pool does.
      assert.match(acknowledgements(s, 'Gatehouse/PartnerPool')['AwsSolutions-COG2'], /^MFA is optional in the partners' pool/);
    }
  });
});

describe('reserved concurrency, region, domain prefix', () => {
  const fn = (s: Synthesized, name: string) => resourcesOf(s.template, 'AWS::Lambda::Function')[logicalId(s.template, 'AWS::Lambda::Function', name)].Properties;

  test('none by default; set per function from context', () => {
    for (const name of ['PortalFunction', 'RefreshFunction', 'AuthorizerFunction']) assert.equal(fn(syn, name).ReservedConcurrentExecutions, undefined, name);
    const s = synthesize({ 'gatehouse:portalReservedConcurrency': 20, 'gatehouse:partnerReservedConcurrency': 5 });
    assert.equal(fn(s, 'PortalFunction').ReservedConcurrentExecutions, 20);
    assert.equal(fn(s, 'RefreshFunction').ReservedConcurrentExecutions, 5);
  });

  test('the template names no region and no account', () => {
    const json = JSON.stringify(syn.template.toJSON());
    assert.doesNotMatch(json, /us-east-1|\b\d{12}\b/);
  });

  test('deploymentEnv: explicit region or credentials pin it; nothing else does, not the CLI\'s us-east-1 fallback', () => {
    const cases: [unknown, Record<string, string>, unknown][] = [
      [undefined, { CDK_DEFAULT_REGION: 'us-east-1' }, undefined],
      [undefined, {}, undefined],
      [undefined, { CDK_DEFAULT_ACCOUNT: '111122223333', CDK_DEFAULT_REGION: 'eu-west-1' }, { account: '111122223333', region: 'eu-west-1' }],
      ['eu-central-1', { CDK_DEFAULT_REGION: 'us-east-1' }, { account: undefined, region: 'eu-central-1' }],
      [undefined, { AWS_REGION: 'ap-southeast-2' }, { account: undefined, region: 'ap-southeast-2' }],
      [undefined, { AWS_DEFAULT_REGION: 'eu-west-3', CDK_DEFAULT_ACCOUNT: '111122223333', CDK_DEFAULT_REGION: 'us-east-1' }, { account: '111122223333', region: 'eu-west-3' }],
    ];
    for (const [ctx, env, want] of cases) assert.deepEqual(deploymentEnv(ctx, env), want, JSON.stringify([ctx, env]));
    assert.throws(() => deploymentEnv('not a region', {}), /not an AWS region/);
  });

  test('the default domain prefix derives from the stack id, not the account id', () => {
    const prefix = JSON.stringify(only(syn.template, 'AWS::Cognito::UserPoolDomain').r.Properties.Domain);
    assert.doesNotMatch(prefix, /AccountId/);
    assert.match(prefix, /AWS::StackId/);
  });
});

describe('app-client alerts (EventBridge)', () => {
  test('off by default', () => {
    assert.equal(Object.keys(resourcesOf(syn.template, 'AWS::Events::Rule')).length, 0);
  });

  test('on: unexpected clients in either pool, and deletion of the stack\'s own clients, to a topic of their own', () => {
    const s = synthesize({ 'gatehouse:clientChangeAlerts': true });
    const rules = resourcesOf(s.template, 'AWS::Events::Rule');
    const byName = (n: string) => rules[logicalId(s.template, 'AWS::Events::Rule', n)].Properties;
    const created = byName('UnexpectedClientCreated').EventPattern;
    assert.deepEqual(created.detail.eventName, ['CreateUserPoolClient']);
    assert.deepEqual(created.detail.requestParameters.userPoolId, [
      { Ref: logicalId(s.template, 'AWS::Cognito::UserPool', 'UserPool') },
      { Ref: logicalId(s.template, 'AWS::Cognito::UserPool', 'PartnerPool') },
    ]);
    assert.deepEqual(created.detail.requestParameters.$or.map((o: object) => Object.keys(o)[0]),
      ['allowedOAuthFlows', 'callbackURLs', 'explicitAuthFlows']);
    const deleted = byName('OwnClientDeleted').EventPattern;
    assert.deepEqual(deleted.detail.eventName, ['DeleteUserPoolClient']);
    assert.deepEqual(deleted.detail.requestParameters.clientId, [
      { Ref: logicalId(s.template, 'AWS::Cognito::UserPoolClient', 'UserPoolWebAppClient') },
      { Ref: logicalId(s.template, 'AWS::Cognito::UserPoolClient', 'PartnerPoolPartnerClient') },
      { Ref: logicalId(s.template, 'AWS::Cognito::UserPoolClient', 'PartnerPoolPartnerAdminClient') },
    ]);
    const topic = logicalId(s.template, 'AWS::SNS::Topic', 'ClientChangeTopic');
    for (const r of Object.values(rules)) assert.deepEqual(r.Properties.Targets.map((t: any) => t.Arn), [{ Ref: topic }]);
  });

  test('on, with an alarm topic: the rules notify that topic', () => {
    const { App, Stack } = require('aws-cdk-lib');
    const topicStack = new Stack(new App(), 'Topics');
    const alarmTopic = sns.Topic.fromTopicArn(topicStack, 'T', 'arn:aws:sns:eu-west-1:111122223333:ops');
    const s = synthesize({ 'gatehouse:clientChangeAlerts': true }, { alarmTopic });
    assert.equal(Object.keys(resourcesOf(s.template, 'AWS::SNS::Topic')).length, 0);
    for (const r of Object.values(resourcesOf(s.template, 'AWS::Events::Rule'))) {
      assert.deepEqual(r.Properties.Targets.map((t: any) => t.Arn), ['arn:aws:sns:eu-west-1:111122223333:ops']);
    }
  });
});
