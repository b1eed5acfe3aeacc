// Infra and Go agree by construction: every GATEHOUSE_* variable the stack
// sets is one its function reads, and gatehouse-facts.json is what the Go
// side derives (internal/testkit/infrafacts; its test fails when the file is stale).
// The IAM conditions and table keys are asserted against the same file in
// stack.test.ts.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { GatehouseAuthorizer } from '../lib/authorizer-construct';
import { GATEHOUSE_FACTS as facts, GatehouseFunction, checkEnvironment } from '../lib/facts';
import { cdkJsonContext, logicalId, resourcesOf, synthesize } from './helpers';

/** The GATEHOUSE_* variables each of our Go functions gets in a template. */
function variablesByFunction(template: ReturnType<typeof synthesize>['template']): Record<GatehouseFunction, string[]> {
  const fns = resourcesOf(template, 'AWS::Lambda::Function');
  const vars = (prefix: string) => Object.keys(fns[logicalId(template, 'AWS::Lambda::Function', prefix)].Properties.Environment?.Variables ?? {})
    .filter((name) => name.startsWith('GATEHOUSE_'));
  return { authorizer: vars('AuthorizerFunction'), portal: vars('PortalFunction'), refresh: vars('RefreshFunction') };
}

describe('environment variables', () => {
  // The default settings, and settings that add optional variables.
  const variants: [string, Record<string, unknown>][] = [
    ['default context', {}],
    ['rules and refresh rotation', {
      'gatehouse:rules': '[{"method":"GET","path":"/whoami","groups":["administrators"]}]',
      'gatehouse:partnerRefreshRotation': 'true',
    }],
  ];
  for (const [name, context] of variants) {
    test(`every GATEHOUSE_* variable the stack sets is read by that function's Go code (${name})`, () => {
      const { template } = synthesize(context);
      const byFn = variablesByFunction(template);
      for (const fn of Object.keys(byFn) as GatehouseFunction[]) {
        assert.ok(byFn[fn].length > 0, fn);
        const unread = byFn[fn].filter((v) => !facts.environment[fn].includes(v));
        assert.deepEqual(unread, [], `${fn} sets variables its Go code does not read`);
      }
      const sample = resourcesOf(template, 'AWS::Lambda::Function')[logicalId(template, 'AWS::Lambda::Function', 'SampleFunction')];
      assert.equal(sample.Properties.Environment, undefined);
    });
  }

  test('checkEnvironment refuses a name the function does not read, and ignores other variables', () => {
    checkEnvironment('portal', { GATEHOUSE_BASE_PATH: '/portal', AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1' });
    assert.throws(() => checkEnvironment('portal', { GATEHOUSE_BASE_PATH: '/p', GATEHOUSE_BASEPATH: '/p' }),
      /portal function does not read GATEHOUSE_BASEPATH/);
    // A variable of another function is not one of this function's.
    assert.throws(() => checkEnvironment('authorizer', { GATEHOUSE_KMS_KEY_ID: 'alias/x' }), /GATEHOUSE_KMS_KEY_ID/);
  });

  test('the construct refuses extra variables the authorizer does not read', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-facts-'));
    fs.writeFileSync(path.join(dir, 'bootstrap'), 'not a real bootstrap');
    const stack = new Stack(new App({ context: cdkJsonContext() }), 'Team');
    const table = new dynamodb.Table(stack, 'Table', { partitionKey: { name: 'PK', type: dynamodb.AttributeType.STRING } });
    const userPool = cognito.UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_AbCdEf123');
    const props = { userPool, table, clientIds: ['c'], code: lambda.Code.fromAsset(dir) };
    assert.throws(() => new GatehouseAuthorizer(stack, 'Misspelt', { ...props, environment: { GATEHOUSE_TOKEN_USE: 'access' } }),
      /authorizer function does not read GATEHOUSE_TOKEN_USE\b/);
    new GatehouseAuthorizer(stack, 'Fine', { ...props, skipClientIdCheck: true, clientIds: undefined, environment: { GATEHOUSE_TOKEN_USES: 'access' } });
  });
});

describe('gatehouse-facts.json', () => {
  test('names the command that writes it', () => {
    assert.match(facts.generatedBy, /^go test \.\/internal\/testkit\/infrafacts .*-update$/);
  });

  test('the README\'s table of role permissions names each function\'s prefixes', () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '..', 'README.md'), 'utf8');
    for (const [fn, prefixes] of Object.entries(facts.leadingKeyPrefixes)) {
      const row = readme.split('\n').find((l) => l.startsWith(`| ${fn} |`));
      assert.ok(row, `README.md: no "| ${fn} |" row`);
      const named = [...row.matchAll(/`([A-Z_]+#)\*`/g)].map((m) => m[1]).sort();
      assert.deepEqual(named, prefixes, fn);
    }
  });

  test('the README\'s table of role permissions names each writing function\'s DynamoDB actions', () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '..', 'README.md'), 'utf8');
    for (const [fn, acts] of Object.entries(facts.dynamoDBActions)) {
      const row = readme.split('\n').find((l) => l.startsWith(`| ${fn} |`));
      assert.ok(row, `README.md: no "| ${fn} |" row`);
      const column = row.split('|')[2];
      const named = [...column.matchAll(/`([A-Z][A-Za-z]+)`/g)].map((m) => `dynamodb:${m[1]}`).sort();
      assert.deepEqual(named, [...acts].sort(), fn);
    }
  });

  test('key prefixes are plain: no IAM wildcard inside one; every function touching the table has a list', () => {
    assert.deepEqual(Object.keys(facts.leadingKeyPrefixes).sort(), ['authorizer', 'portal', 'refresh']);
    for (const prefixes of Object.values(facts.leadingKeyPrefixes)) {
      assert.ok(prefixes.length > 0);
      for (const p of prefixes) assert.match(p, /^[^*?]+$/, p);
    }
  });
});
