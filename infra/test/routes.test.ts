// The portal's and the partner service's routes come from their Go route
// tables (gatehouse-facts.json), the roles' DynamoDB actions from the
// recorded requests of their stores, and partner administrators have a
// client of their own in the partners' pool.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { GATEHOUSE_FACTS as facts } from '../lib/facts';
import { DEFAULT_SETTINGS } from '../lib/settings';
import { API_ROUTES, EXCHANGE_PATH, SIGN_IN_PATHS, routeKind } from '../lib/gatehouse-stack';
import {
  Synthesized, acknowledgements, actions, logicalId, only, resourcesOf, statementsOfRole, synthesize,
} from './helpers';

let syn: Synthesized;
before(() => {
  syn = synthesize();
});

/** Every method of the API as "VERB /full/path", with the function its integration invokes. */
function methods(s: Synthesized): { route: string; target: string }[] {
  const resources = resourcesOf(s.template, 'AWS::ApiGateway::Resource');
  const pathOf = (ref: any): string => {
    if (!ref.Ref) return '';
    const res = resources[ref.Ref];
    return `${pathOf(res.Properties.ParentId)}/${res.Properties.PathPart}`;
  };
  const functions = Object.keys(resourcesOf(s.template, 'AWS::Lambda::Function'));
  return Object.values(resourcesOf(s.template, 'AWS::ApiGateway::Method')).map((m) => {
    const uri = JSON.stringify(m.Properties.Integration?.Uri ?? '');
    const target = functions.filter((fn) => uri.includes(`"${fn}"`));
    assert.ok(target.length <= 1, uri);
    return { route: `${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId)}`, target: target[0] ?? '' };
  });
}

describe('routes: the functions\' own route tables', () => {
  test('the methods integrated with the portal and refresh functions are exactly the facts file\'s routes', () => {
    // Read from the facts file here, not through apiRoutes(): the portal's
    // routes sit under its base path, the refresh function's at the root.
    const want = {
      PortalFunction: facts.routes.portal.map((r) => `${r.method} /portal${r.resource}`).sort(),
      RefreshFunction: facts.routes.refresh.map((r) => `${r.method} ${r.resource}`).sort(),
    };
    const all = methods(syn);
    for (const [prefix, routes] of Object.entries(want)) {
      const fn = logicalId(syn.template, 'AWS::Lambda::Function', prefix);
      assert.deepEqual(all.filter((m) => m.target === fn).map((m) => m.route).sort(), routes, prefix);
    }
    // The Go handlers name the partner path parameter {id}.
    for (const r of ['GET /partners/{id}', 'DELETE /partners/{id}', 'POST /partners/{id}/rotate',
      'POST /partners/auth/sign-in', 'POST /partners/auth/respond']) {
      assert.ok(want.RefreshFunction.includes(r), r);
    }
    assert.ok(!all.some((m) => m.route.includes('{partnerId}')));
  });

  test('each route is protected by its kind; the portal sign-out is self-authorised (the person presents an access token)', () => {
    const kinds = Object.fromEntries(API_ROUTES.map((r) => [`${r.method} ${r.path}`, routeKind(r)]));
    assert.deepEqual(kinds, {
      'POST /portal/auth/refresh': 'tokenRefresh',
      'POST /portal/auth/respond': 'signIn',
      'POST /portal/auth/sign-in': 'signIn',
      'POST /portal/auth/sign-out': 'selfAuthorised',
      'GET /portal/clients': 'selfAuthorised',
      'POST /portal/clients': 'selfAuthorised',
      'DELETE /portal/clients/{id}': 'selfAuthorised',
      'POST /portal/clients/{id}/reset': 'selfAuthorised',
      'POST /partners': 'selfAuthorised',
      'POST /partners/auth/respond': 'signIn',
      'POST /partners/auth/sign-in': 'signIn',
      'POST /partners/token': 'exchange',
      'DELETE /partners/{id}': 'selfAuthorised',
      'GET /partners/{id}': 'selfAuthorised',
      'POST /partners/{id}/rotate': 'selfAuthorised',
    });
    // Only the partner function's /partners/token is the exchange.
    assert.equal(routeKind({ fn: 'portal', method: 'POST', path: EXCHANGE_PATH }), 'selfAuthorised');
  });

  test('every open method carries the acknowledgements of its kind, and none is behind an API Gateway authorizer', () => {
    const want = {
      exchange: /partner token exchange is the sign-in step itself/,
      signIn: /^A sign-in step of the (portal|partner \(refresh\)) function/,
      tokenRefresh: /^Token refresh in the portal function/,
      selfAuthorised: /^Authorised in the (portal|refresh) function/,
    };
    for (const r of API_ROUTES) {
      const acks = acknowledgements(syn, `Gatehouse/Api/Default${r.path}/${r.method}`);
      assert.deepEqual(Object.keys(acks).sort(), ['AwsSolutions-APIG4', 'AwsSolutions-COG4'], r.path);
      assert.match(acks['AwsSolutions-APIG4'], want[routeKind(r)], `${r.method} ${r.path}`);
    }
    assert.match(acknowledgements(syn, 'Gatehouse/Api/Default/partners/{id}/GET')['AwsSolutions-APIG4'],
      /partner administrator's from the partners' pool's administrators' client, for its own partner only/);
  });
});

describe('the partner administrators\' sign-in steps are rate-limited like the portal\'s', () => {
  test('they are sign-in paths', () => {
    assert.deepEqual([...SIGN_IN_PATHS].sort(),
      ['/partners/auth/respond', '/partners/auth/sign-in', '/portal/auth/respond', '/portal/auth/sign-in']);
  });

  test('method throttles: the sign-in limits on each sign-in step, the exchange\'s on the exchange, nothing else', () => {
    const settings = only(syn.template, 'AWS::ApiGateway::Stage').r.Properties.MethodSettings as any[];
    const throttled = settings.filter((m) => m.ResourcePath !== '/*')
      .map((m) => [m.HttpMethod, m.ResourcePath.slice(1).replace(/~1/g, '/'), m.ThrottlingRateLimit, m.ThrottlingBurstLimit]);
    const signIn = [DEFAULT_SETTINGS.signInThrottleRateLimit, DEFAULT_SETTINGS.signInThrottleBurstLimit];
    assert.deepEqual(throttled.sort(), [
      ['POST', '/partners/auth/respond', ...signIn],
      ['POST', '/partners/auth/sign-in', ...signIn],
      ['POST', '/partners/token', DEFAULT_SETTINGS.partnerThrottleRateLimit, DEFAULT_SETTINGS.partnerThrottleBurstLimit],
      ['POST', '/portal/auth/respond', ...signIn],
      ['POST', '/portal/auth/sign-in', ...signIn],
    ].sort());
  });

  test('the web ACL\'s per-IP sign-in rule covers them', () => {
    const rule = (only(syn.template, 'AWS::WAFv2::WebACL').r.Properties.Rules as any[]).find((r) => r.Name === 'SignInPerIp');
    const sd = rule.Statement.RateBasedStatement.ScopeDownStatement;
    const searched = (sd.OrStatement ? sd.OrStatement.Statements : [sd]).map((x: any) => x.ByteMatchStatement.SearchString);
    for (const p of ['/partners/auth/sign-in', '/partners/auth/respond', '/portal/auth/sign-in', '/portal/auth/respond']) {
      assert.ok(searched.includes(p), p);
    }
  });
});

describe('DynamoDB actions per role, from the recorded requests', () => {
  for (const [role, fn] of [['PortalRole', 'portal'], ['RefreshRole', 'refresh']] as const) {
    test(`${fn}: exactly mapping.DynamoDBActions`, () => {
      const ddb = statementsOfRole(syn.template, role).filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
      assert.equal(ddb.length, 1);
      assert.deepEqual(actions(ddb[0]).sort(), [...facts.dynamoDBActions[fn]].sort());
    });
  }

  test('the portal may ConditionCheck (its reset transaction checks the replaced client), the refresh function need not', () => {
    assert.ok(facts.dynamoDBActions.portal.includes('dynamodb:ConditionCheckItem'));
    assert.ok(!facts.dynamoDBActions.refresh.includes('dynamodb:ConditionCheckItem'));
  });
});

describe('the partner administrators\' app client', () => {
  const client = () => resourcesOf(syn.template, 'AWS::Cognito::UserPoolClient')[
    logicalId(syn.template, 'AWS::Cognito::UserPoolClient', 'PartnerPoolPartnerAdminClient')].Properties;
  const refreshEnv = () => resourcesOf(syn.template, 'AWS::Lambda::Function')[
    logicalId(syn.template, 'AWS::Lambda::Function', 'RefreshFunction')].Properties.Environment.Variables;

  test('in the partners\' pool, for people: password sign-in and refresh only, a secret, no OAuth', () => {
    const c = client();
    assert.deepEqual(c.UserPoolId, { Ref: logicalId(syn.template, 'AWS::Cognito::UserPool', 'PartnerPool') });
    assert.deepEqual([...c.ExplicitAuthFlows].sort(), ['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_PASSWORD_AUTH']);
    assert.equal(c.GenerateSecret, true);
    assert.notEqual(c.AllowedOAuthFlowsUserPoolClient, true);
    assert.equal(c.AllowedOAuthFlows, undefined);
    assert.equal(c.CallbackURLs, undefined);
    assert.equal(c.PreventUserExistenceErrors, 'ENABLED');
  });

  test('the refresh function gets its id and the ARN of its secret, never the secret itself', () => {
    const env = refreshEnv();
    assert.deepEqual(env.GATEHOUSE_PARTNER_ADMIN_CLIENT_ID, { Ref: logicalId(syn.template, 'AWS::Cognito::UserPoolClient', 'PartnerPoolPartnerAdminClient') });
    assert.deepEqual(env.GATEHOUSE_PARTNER_ADMIN_CLIENT_SECRET_ARN, { Ref: logicalId(syn.template, 'AWS::SecretsManager::Secret', 'PartnerAdminClientSecret') });
    assert.equal(env.GATEHOUSE_PARTNER_ADMIN_CLIENT_SECRET, undefined);
    assert.equal(env.GATEHOUSE_PARTNER_CLIENT_SECRET, undefined);
    assert.doesNotMatch(JSON.stringify(env), /ClientSecret"\]/);
  });

  test('the refresh role reads exactly the two client secrets', () => {
    const sm = statementsOfRole(syn.template, 'RefreshRole').filter((s) => actions(s).some((a) => a.startsWith('secretsmanager:')));
    assert.equal(sm.length, 1);
    assert.deepEqual(actions(sm[0]), ['secretsmanager:GetSecretValue']);
    const ref = (id: string) => JSON.stringify({ Ref: logicalId(syn.template, 'AWS::SecretsManager::Secret', id) });
    assert.deepEqual([sm[0].Resource].flat().map((r) => JSON.stringify(r)).sort(),
      [ref('PartnerClientSecret'), ref('PartnerAdminClientSecret')].sort());
  });

  test('the authorizer accepts the machine client\'s tokens only', () => {
    const env = resourcesOf(syn.template, 'AWS::Lambda::Function')[
      logicalId(syn.template, 'AWS::Lambda::Function', 'AuthorizerFunction')].Properties.Environment.Variables;
    assert.deepEqual(env.GATEHOUSE_PARTNER_CLIENT_IDS, { Ref: logicalId(syn.template, 'AWS::Cognito::UserPoolClient', 'PartnerPoolPartnerClient') });
  });
});
