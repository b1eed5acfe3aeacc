#!/usr/bin/env node
// The Gatehouse CDK app: one stack, reviewed by cdk-nag's AwsSolutionsChecks
// during synthesis (an unacknowledged finding fails `cdk synth`).
import { App } from 'aws-cdk-lib';
import { GatehouseStack } from '../lib/gatehouse-stack';
import { addNagChecks } from '../lib/nag';
import { deploymentEnv } from '../lib/settings';

const app = new App();
addNagChecks(app);

const stackName: string = app.node.tryGetContext('gatehouse:stackName') ?? 'Gatehouse';
new GatehouseStack(app, stackName, {
  description: 'Gatehouse: Cognito-backed Lambda authorizer with one internal user id (https://github.com/gatehouse-auth/gatehouse)',
  // Account and region come from the CLI's credentials and profile, or the
  // region from context gatehouse:region / AWS_REGION; with neither the
  // template is environment-agnostic (never the CLI's us-east-1 fallback).
  env: deploymentEnv(app.node.tryGetContext('gatehouse:region'), process.env),
  // On unless context gatehouse:terminationProtection is false.
  terminationProtection: String(app.node.tryGetContext('gatehouse:terminationProtection') ?? true) !== 'false',
});
