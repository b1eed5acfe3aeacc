import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GatehouseStack, GatehouseStackProps } from '../lib/gatehouse-stack';
import { addNagChecks } from '../lib/nag';

/**
 * cdk.json's context (feature flags and gatehouse:* settings): new App()
 * does not read cdk.json, and the tested template must be the deployed one.
 */
export function cdkJsonContext(): Record<string, unknown> {
  const file = path.resolve(__dirname, '..', '..', 'cdk.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).context;
}

/**
 * GATEHOUSE_ASSET_DIR points the tests at other bootstraps than `make
 * build`'s bin/ (for working on the stack before the Go side builds).
 */
function assetContext(): Record<string, string> {
  const dir = process.env.GATEHOUSE_ASSET_DIR;
  return dir ? { 'gatehouse:assetDir': dir } : {};
}

export interface Synthesized {
  app: App;
  stack: GatehouseStack;
  template: Template;
  nag: AwsSolutionsChecks;
}

/** Synthesizes the stack as `cdk synth` does, cdk-nag included. */
export function synthesize(context: Record<string, unknown> = {}, props: GatehouseStackProps = {}): Synthesized {
  const app = new App({ context: { ...cdkJsonContext(), ...assetContext(), ...context } });
  const nag = addNagChecks(app);
  const stack = new GatehouseStack(app, 'Gatehouse', props);
  // Throws when a validation plugin (cdk-nag) reports a violation.
  app.synth();
  return { app, stack, template: Template.fromStack(stack), nag };
}

export type Resources = Record<string, { Type: string; Properties?: any; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

export function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** The one resource of a type (fails otherwise). */
export function only(template: Template, type: string): { id: string; r: Resources[string] } {
  const all = Object.entries(resourcesOf(template, type));
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return { id: all[0][0], r: all[0][1] };
}

/** The logical id of the resource whose id starts with prefix. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(resourcesOf(template, type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} named ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0];
}

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every identity-policy statement (AWS::IAM::Policy and roles' inline policies), with its policy's id. */
export function identityStatements(template: Template): { policy: string; roles: unknown[]; s: Statement }[] {
  const out: { policy: string; roles: unknown[]; s: Statement }[] = [];
  for (const [id, r] of Object.entries(resourcesOf(template, 'AWS::IAM::Policy'))) {
    for (const s of r.Properties.PolicyDocument.Statement) out.push({ policy: id, roles: r.Properties.Roles ?? [], s });
  }
  for (const [id, r] of Object.entries(resourcesOf(template, 'AWS::IAM::Role'))) {
    for (const p of r.Properties.Policies ?? []) {
      for (const s of p.PolicyDocument.Statement) out.push({ policy: `${id}/${p.PolicyName}`, roles: [{ Ref: id }], s });
    }
  }
  return out;
}

export function actions(s: Statement): string[] {
  return Array.isArray(s.Action) ? s.Action : [s.Action];
}

export function resources(s: Statement): unknown[] {
  return Array.isArray(s.Resource) ? s.Resource : [s.Resource];
}

/** The statements of the policies attached to the role whose id starts with rolePrefix. */
export function statementsOfRole(template: Template, rolePrefix: string): Statement[] {
  const role = logicalId(template, 'AWS::IAM::Role', rolePrefix);
  return identityStatements(template)
    .filter((x) => x.roles.some((r: any) => r && r.Ref === role))
    .map((x) => x.s);
}

/** The acknowledgements (rule id → reason) recorded on the construct at path. */
export function acknowledgements(s: Synthesized, path: string): Record<string, string> {
  const c = s.app.node.findAll().find((x) => x.node.path === path);
  if (!c) throw new Error(`no construct ${path}`);
  const out: Record<string, string> = {};
  for (const m of c.node.metadata) {
    if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
    for (const [id, reason] of Object.entries(m.data as Record<string, string>)) out[id.replace(/^Annotation::/, '')] = reason;
  }
  return out;
}
