import { Node } from 'constructs';
import { RouteRule } from './authorizer-construct';

/** A custom scope of the resource server: tokens carry "<resourceServer>/<name>". */
export interface ScopeSetting {
  readonly name: string;
  readonly description: string;
}

/**
 * Everything a deployment may choose, read from CDK context ("gatehouse:<name>",
 * in cdk.json or `-c gatehouse:<name>=<value>`). Values that change often
 * without touching the structure (the authorizer cache TTL) are
 * CloudFormation parameters instead; see GatehouseStack.
 */
export interface GatehouseSettings {
  /** Identifier of the Cognito resource server, the prefix of every custom scope. */
  readonly resourceServer: string;
  readonly scopes: ScopeSetting[];
  /**
   * Cognito hosted domain prefix of the people's pool; default
   * "gatehouse-<8 hex digits of the stack's id>" (random per stack, and not
   * the account id, which a public domain name would disclose).
   */
  readonly domainPrefix?: string;
  /** Where the web app's sign-in may return to. */
  readonly callbackUrls: string[];
  readonly logoutUrls: string[];
  /** The group whose members may hold API credentials (the portal). */
  readonly apiUsersGroup: string;
  /** The group that manages partners. */
  readonly adminGroup: string;
  /** Authorizer rules; default: portal for apiUsersGroup, partner admin for adminGroup. */
  readonly rules?: RouteRule[];
  /**
   * MFA of the people's pool (TOTP; SMS is never used): "off", "optional"
   * (people opt in) or "required" (every person sets up TOTP at first
   * sign-in). Partners have a pool of their own: see partnerMfa.
   */
  readonly mfa: 'off' | 'optional' | 'required';
  /**
   * MFA of the partners' pool (TOTP), for partner administrators: "off" or
   * "optional" (an administrator who sets up TOTP is asked for it at every
   * sign-in). Never "required": the pool also holds the partners' machine
   * users, which the refresh function signs in server-side and which can
   * hold no second factor; Cognito would challenge them too.
   */
  readonly partnerMfa: 'off' | 'optional';
  readonly selfSignUp: boolean;
  /** Cognito Plus feature plan with threat protection enforced (billed per user). */
  readonly threatProtection: boolean;
  readonly logRetentionDays: number;
  readonly stageName: string;
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  /** Tighter limits on the partner token exchange (no authorizer in front of it). */
  readonly partnerThrottleRateLimit: number;
  readonly partnerThrottleBurstLimit: number;
  /** Tighter limits on the portal's sign-in routes (POST /portal/auth/sign-in and /portal/auth/respond). */
  readonly signInThrottleRateLimit: number;
  readonly signInThrottleBurstLimit: number;
  /** A regional AWS WAF web ACL of your own to associate with the stage (then the stack creates none). */
  readonly webAclArn?: string;
  /**
   * Without webAclArn: create a regional web ACL with per-IP rate rules on
   * the partner exchange and the sign-in routes (billed: see infra/README.md).
   */
  readonly webAcl: boolean;
  /** Requests one IP may send to POST /partners/token per evaluation window (WAF rate rule, 10 or more). */
  readonly wafExchangeRateLimit: number;
  /** Requests one IP may send to the sign-in routes per evaluation window. */
  readonly wafSignInRateLimit: number;
  /** The rate rules' window in seconds: 60, 120, 300 or 600. */
  readonly wafEvaluationWindowSeconds: number;
  /** Reserved concurrency of the portal function; unset: none (see infra/README.md before setting it). */
  readonly portalReservedConcurrency?: number;
  /** Reserved concurrency of the partner (refresh) function; unset: none. */
  readonly partnerReservedConcurrency?: number;
  /**
   * EventBridge rules on CloudTrail's Cognito events: an app client created
   * in the stack's pools with flows other than client credentials or with
   * callback URLs, and deletion of the stack's own app clients. Needs a
   * CloudTrail trail logging management events in the region.
   */
  readonly clientChangeAlerts: boolean;
  /** Set the account's API Gateway CloudWatch role (needed once per account and region for execution logs). */
  readonly apiGatewayCloudWatchRole: boolean;
  /**
   * Refresh-token rotation on the partner client: every exchange then returns
   * a new refresh token the partner must keep (GATEHOUSE_PARTNER_REFRESH_ROTATION).
   */
  readonly partnerRefreshRotation: boolean;
  /** How long an authorizer mapping answer is reused, in seconds (the revocation delay beside the cache TTL). */
  readonly mappingCacheTtlSeconds: number;
}

export const DEFAULT_SETTINGS: GatehouseSettings = {
  resourceServer: 'gatehouse',
  scopes: [
    { name: 'read', description: 'Read through the API' },
    { name: 'write', description: 'Change through the API' },
  ],
  callbackUrls: ['http://localhost:3000/callback'],
  logoutUrls: ['http://localhost:3000/'],
  apiUsersGroup: 'api-users',
  adminGroup: 'administrators',
  mfa: 'optional',
  partnerMfa: 'optional',
  selfSignUp: false,
  threatProtection: false,
  logRetentionDays: 365,
  stageName: 'v1',
  throttleRateLimit: 100,
  throttleBurstLimit: 200,
  partnerThrottleRateLimit: 5,
  partnerThrottleBurstLimit: 10,
  signInThrottleRateLimit: 5,
  signInThrottleBurstLimit: 10,
  webAcl: true,
  wafExchangeRateLimit: 100,
  wafSignInRateLimit: 100,
  wafEvaluationWindowSeconds: 300,
  clientChangeAlerts: false,
  apiGatewayCloudWatchRole: true,
  mappingCacheTtlSeconds: 60,
  partnerRefreshRotation: false,
};

const STRING_SETTINGS = new Set<keyof GatehouseSettings>([
  'resourceServer', 'domainPrefix', 'apiUsersGroup', 'adminGroup', 'mfa', 'partnerMfa', 'stageName', 'webAclArn',
]);

/** Reads the settings from context, over the defaults, and checks them. */
export function settingsFromContext(node: Node): GatehouseSettings {
  const get = <K extends keyof GatehouseSettings>(key: K): GatehouseSettings[K] => {
    let v = node.tryGetContext(`gatehouse:${key}`);
    if (v === undefined || v === null || v === '') {
      return DEFAULT_SETTINGS[key];
    }
    // -c on the command line gives strings; accept JSON there.
    if (typeof v === 'string' && !STRING_SETTINGS.has(key)) {
      try {
        v = JSON.parse(v);
      } catch {
        throw new Error(`context gatehouse:${key}: ${JSON.stringify(v)} is not JSON`);
      }
    }
    return v;
  };
  const s: GatehouseSettings = {
    resourceServer: get('resourceServer'),
    scopes: get('scopes'),
    domainPrefix: get('domainPrefix'),
    callbackUrls: get('callbackUrls'),
    logoutUrls: get('logoutUrls'),
    apiUsersGroup: get('apiUsersGroup'),
    adminGroup: get('adminGroup'),
    rules: get('rules'),
    mfa: get('mfa'),
    partnerMfa: get('partnerMfa'),
    selfSignUp: get('selfSignUp'),
    threatProtection: get('threatProtection'),
    logRetentionDays: get('logRetentionDays'),
    stageName: get('stageName'),
    throttleRateLimit: get('throttleRateLimit'),
    throttleBurstLimit: get('throttleBurstLimit'),
    partnerThrottleRateLimit: get('partnerThrottleRateLimit'),
    partnerThrottleBurstLimit: get('partnerThrottleBurstLimit'),
    signInThrottleRateLimit: get('signInThrottleRateLimit'),
    signInThrottleBurstLimit: get('signInThrottleBurstLimit'),
    webAclArn: get('webAclArn'),
    webAcl: get('webAcl'),
    wafExchangeRateLimit: get('wafExchangeRateLimit'),
    wafSignInRateLimit: get('wafSignInRateLimit'),
    wafEvaluationWindowSeconds: get('wafEvaluationWindowSeconds'),
    portalReservedConcurrency: get('portalReservedConcurrency'),
    partnerReservedConcurrency: get('partnerReservedConcurrency'),
    clientChangeAlerts: get('clientChangeAlerts'),
    apiGatewayCloudWatchRole: get('apiGatewayCloudWatchRole'),
    mappingCacheTtlSeconds: get('mappingCacheTtlSeconds'),
    partnerRefreshRotation: get('partnerRefreshRotation'),
  };
  check(s);
  return s;
}

function check(s: GatehouseSettings): void {
  const bad = (key: string, why: string) => {
    throw new Error(`context gatehouse:${key}: ${why}`);
  };
  if (!/^[\w+\-.:/]{1,256}$/.test(s.resourceServer) || s.resourceServer.includes('/')) {
    // Cognito allows "/" in identifiers, but the scope names would become ambiguous.
    bad('resourceServer', 'use letters, digits and -_.:+ only');
  }
  if (!Array.isArray(s.scopes) || s.scopes.length === 0) bad('scopes', 'list at least one {name, description}');
  for (const sc of s.scopes) {
    if (!sc || !/^[\x21\x23-\x2e\x30-\x5b\x5d-\x7e]{1,256}$/.test(sc.name) || !sc.description) {
      bad('scopes', `${JSON.stringify(sc)}: needs a name without spaces, quotes, "/" or "\\", and a description`);
    }
  }
  if (s.domainPrefix !== undefined && !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(s.domainPrefix)) {
    bad('domainPrefix', 'lower-case letters, digits and hyphens, at most 63');
  }
  for (const key of ['callbackUrls', 'logoutUrls'] as const) {
    if (!Array.isArray(s[key]) || s[key].length === 0) bad(key, 'list at least one URL');
    for (const u of s[key]) {
      if (!/^https:\/\//.test(u) && !/^http:\/\/localhost(:\d+)?\//.test(u)) {
        bad(key, `${u}: Cognito accepts https URLs (plain http only for localhost)`);
      }
    }
  }
  for (const key of ['apiUsersGroup', 'adminGroup'] as const) {
    if (!/^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u.test(s[key])) bad(key, 'a Cognito group name without spaces');
  }
  if (!['off', 'optional', 'required'].includes(s.mfa)) bad('mfa', 'off, optional or required');
  if (!['off', 'optional'].includes(s.partnerMfa)) {
    bad('partnerMfa', 'off or optional: the partners\' pool holds machine users too, which can hold no second factor');
  }
  for (const key of ['selfSignUp', 'threatProtection', 'apiGatewayCloudWatchRole', 'partnerRefreshRotation', 'webAcl', 'clientChangeAlerts'] as const) {
    if (typeof s[key] !== 'boolean') bad(key, 'true or false');
  }
  for (const key of ['throttleRateLimit', 'throttleBurstLimit', 'partnerThrottleRateLimit', 'partnerThrottleBurstLimit',
    'signInThrottleRateLimit', 'signInThrottleBurstLimit', 'logRetentionDays', 'mappingCacheTtlSeconds'] as const) {
    if (typeof s[key] !== 'number' || !Number.isFinite(s[key]) || s[key] < 0) bad(key, 'a non-negative number');
  }
  for (const key of ['wafExchangeRateLimit', 'wafSignInRateLimit'] as const) {
    // AWS WAF's bounds on a rate-based rule's limit.
    if (!Number.isInteger(s[key]) || s[key] < 10 || s[key] > 2_000_000_000) bad(key, 'an integer from 10 to 2000000000');
  }
  if (![60, 120, 300, 600].includes(s.wafEvaluationWindowSeconds)) bad('wafEvaluationWindowSeconds', '60, 120, 300 or 600');
  for (const key of ['portalReservedConcurrency', 'partnerReservedConcurrency'] as const) {
    const v = s[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) bad(key, 'a positive integer (or unset)');
  }
  if (!/^[A-Za-z0-9_]{1,128}$/.test(s.stageName)) bad('stageName', 'letters, digits and _');
  if (s.rules !== undefined && !Array.isArray(s.rules)) bad('rules', 'a JSON array of {method, path, scopes?, groups?}');
  if (s.webAclArn !== undefined && !/^arn:aws[\w-]*:wafv2:[\w-]+:\d{12}:regional\/webacl\//.test(s.webAclArn)) {
    bad('webAclArn', 'the ARN of a regional WAFv2 web ACL');
  }
}

/**
 * The stack's environment. The CDK CLI sets CDK_DEFAULT_REGION to us-east-1
 * when it finds no region at all, and CDK_DEFAULT_ACCOUNT only when it finds
 * credentials: so the account and region are pinned only with credentials
 * (a deployment), or when the region is given explicitly (context
 * gatehouse:region, AWS_REGION or AWS_DEFAULT_REGION). Otherwise the template
 * is environment-agnostic (AWS::Region and AWS::AccountId at deploy time),
 * never silently us-east-1.
 */
export function deploymentEnv(contextRegion: unknown, env: Record<string, string | undefined>): { account?: string; region?: string } | undefined {
  const explicit = (typeof contextRegion === 'string' && contextRegion !== '' ? contextRegion : undefined)
    ?? (env.AWS_REGION || undefined) ?? (env.AWS_DEFAULT_REGION || undefined);
  if (explicit !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(explicit)) {
    throw new Error(`region ${JSON.stringify(explicit)} is not an AWS region name`);
  }
  const account = env.CDK_DEFAULT_ACCOUNT || undefined;
  const region = explicit ?? (account ? env.CDK_DEFAULT_REGION || undefined : undefined);
  if (!account && !region) return undefined;
  return { account, region };
}
