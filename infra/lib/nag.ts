import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';

/**
 * Registers cdk-nag's AwsSolutionsChecks as a policy-validation plugin: every
 * finding, error or warning, that is not acknowledged with
 * Validations.of(construct).acknowledge({ id, reason }) fails synthesis.
 */
export function addNagChecks(app: IConstruct): AwsSolutionsChecks {
  const pack = new AwsSolutionsChecks(app, { verbose: true });
  Validations.of(app).addPlugins(pack);
  return pack;
}
