// What the Go code says about itself, so that infra agrees with it by
// construction: internal/testkit/infrafacts derives gatehouse-facts.json by running
// the Go code (each function's ConfigFromEnv, the mapping store's lookups
// and sealing), and its test fails when the checked-in file is stale.
// Regenerate with: go test ./internal/testkit/infrafacts -run TestFactsFile -update
import facts from './gatehouse-facts.json';

export const GATEHOUSE_FACTS = facts;

/** The Lambda functions whose environment the Go code reads. */
export type GatehouseFunction = keyof typeof facts.environment;

/** The functions whose roles touch the mapping table. */
export type TableFunction = keyof typeof facts.leadingKeyPrefixes;

/**
 * A function's IAM dynamodb:LeadingKeys patterns (StringLike): each
 * partition-key prefix its store operations use (mapping.LeadingKeyPrefixes,
 * proved by mapping's TestLeadingKeyPrefixes), then "*".
 */
export function leadingKeys(fn: TableFunction): string[] {
  return facts.leadingKeyPrefixes[fn].map((p) => `${p}*`);
}

/** The authorizer's dynamodb:LeadingKeys patterns. */
export const AUTHORIZER_LEADING_KEYS: string[] = leadingKeys('authorizer');

/**
 * Throws when environment sets a GATEHOUSE_* variable that fn does not
 * read: a misspelt or outdated name would be ignored silently, and the
 * function would run with its default.
 */
export function checkEnvironment(fn: GatehouseFunction, environment: Record<string, string>): void {
  const known = new Set<string>(facts.environment[fn]);
  const unknown = Object.keys(environment).filter((name) => name.startsWith('GATEHOUSE_') && !known.has(name));
  if (unknown.length > 0) {
    throw new Error(`the ${fn} function does not read ${unknown.join(', ')} `
      + '(the variables it reads are listed in infra/lib/gatehouse-facts.json)');
  }
}

/** The functions whose store writes: their roles' DynamoDB actions are listed. */
export type WritingFunction = keyof typeof facts.dynamoDBActions;

/**
 * A writing function's DynamoDB IAM actions: what its store operations'
 * requests are authorised as, each TransactWriteItems item as its own
 * action (mapping.DynamoDBActions, proved by mapping's TestLeadingKeyPrefixes).
 */
export function dynamoDBActions(fn: WritingFunction): string[] {
  return [...facts.dynamoDBActions[fn]];
}

/** The functions that serve API Gateway routes (portal.Routes, refresh.Routes). */
export type RoutedFunction = keyof typeof facts.routes;

/**
 * Where each routed function's routes sit in the API: the portal's are
 * relative to its base path (GATEHOUSE_BASE_PATH), the refresh
 * function's are absolute.
 */
export const BASE_PATHS: Record<RoutedFunction, string> = { portal: '/portal', refresh: '' };

export interface ApiRoute {
  fn: RoutedFunction;
  method: string;
  /** The API Gateway resource path, base path included. */
  path: string;
}

/** Every route the portal and refresh functions serve, as API Gateway resources. */
export function apiRoutes(): ApiRoute[] {
  return (Object.keys(facts.routes) as RoutedFunction[]).flatMap((fn) => facts.routes[fn].map((r) => ({
    fn, method: r.method, path: `${BASE_PATHS[fn]}${r.resource}`,
  })));
}
