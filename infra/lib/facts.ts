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
