#!/usr/bin/env node
// The Gatehouse CDK app: one stack, reviewed by cdk-nag's AwsSolutionsChecks
// during synthesis (an unacknowledged finding fails `cdk synth`).
import { App } from 'aws-cdk-lib';
import { GatehouseStack } from '../lib/gatehouse-stack';
import { addNagChecks } from '../lib/nag';

const app = new App();
addNagChecks(app);

const stackName: string = app.node.tryGetContext('gatehouse:stackName') ?? 'Gatehouse';
new GatehouseStack(app, stackName, {
  description: 'Gatehouse: Cognito-backed Lambda authorizer with one internal user id (https://github.com/gatehouse-auth/gatehouse)',
  // Account and region come from the CLI's profile (--profile, AWS_REGION)
  // when there is one; without credentials the template is environment-agnostic.
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  },
  // On unless context gatehouse:terminationProtection is false.
  terminationProtection: String(app.node.tryGetContext('gatehouse:terminationProtection') ?? true) !== 'false',
});
