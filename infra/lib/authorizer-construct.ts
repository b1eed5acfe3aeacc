import * as path from 'node:path';
import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AUTHORIZER_LEADING_KEYS, GATEHOUSE_FACTS, checkEnvironment } from './facts';

/**
 * One route rule of the authorizer (authorizer.ParseRules): every rule whose
 * method and path match a request must be met. Within scopes any one
 * suffices, within groups any one; with both, both must be met.
 */
export interface RouteRule {
  /** "*" (every method) or an HTTP method; a "GET" rule also covers HEAD. */
  readonly method: string;
  /** An execute-api path pattern such as "/admin/*" ("*" also matches "/"). */
  readonly path: string;
  readonly scopes?: string[];
  readonly groups?: string[];
}

/**
 * Accepts "Bearer <jwt>" (any case of Bearer) and nothing else; API Gateway
 * answers 401 itself, without invoking the function, when the header does not
 * match (TOKEN authorizers only).
 */
export const BEARER_JWT_PATTERN =
  '^[Bb][Ee][Aa][Rr][Ee][Rr] [-0-9A-Za-z_]+\\.[-0-9A-Za-z_]+\\.[-0-9A-Za-z_]+$';

/** Where `make build` puts the Lambda bootstraps: <repo>/bin/<function>. */
export const DEFAULT_ASSET_DIR = path.resolve(__dirname, '..', '..', 'bin');

export interface GatehouseAuthorizerProps {
  /** The Cognito user pool whose tokens are accepted. */
  readonly userPool: cognito.IUserPool;
  /**
   * The app clients whose user tokens (ID, user access) are accepted
   * (GATEHOUSE_CLIENT_IDS). Client-credentials tokens are accepted from any
   * app client of the pool that the mapping knows (the portal creates them
   * at run time). Omit only with skipClientIdCheck.
   */
  readonly clientIds?: string[];
  /**
   * A second pool whose tokens are accepted: the partners' pool and its
   * clients (GATEHOUSE_PARTNER_USER_POOL_ID, GATEHOUSE_PARTNER_CLIENT_IDS).
   * Its token uses are the function's default for that pool (ID tokens,
   * which the partner exchange returns) unless environment sets
   * GATEHOUSE_PARTNER_TOKEN_USES.
   * @default none
   */
  readonly partnerPool?: { readonly userPool: cognito.IUserPool; readonly clientIds: string[] };
  /**
   * Accept user tokens of every app client of the pool
   * (GATEHOUSE_SKIP_CLIENT_ID_CHECK).
   * @default false
   */
  readonly skipClientIdCheck?: boolean;
  /** The mapping table; the function may only GetItem on it. */
  readonly table: dynamodb.ITable;
  /**
   * The KMS key that encrypts the table, if a customer managed one. The
   * function may use it only through DynamoDB.
   * @default table.encryptionKey
   */
  readonly tableKey?: kms.IKey;
  /** Route rules (GATEHOUSE_ROUTES). @default none: every caller, every route */
  readonly rules?: RouteRule[];
  /**
   * API Gateway's result cache TTL, 0 to 3600 s. May be a CfnParameter.
   * @default 300 seconds
   */
  readonly resultsCacheTtl?: Duration;
  /**
   * How long a mapping answer is reused (GATEHOUSE_MAPPING_CACHE_TTL): with
   * resultsCacheTtl, the revocation delay.
   * @default 60 seconds (the function's own default)
   */
  readonly mappingCacheTtl?: Duration;
  /** @default BEARER_JWT_PATTERN */
  readonly identityValidationExpression?: string;
  /** @default Code.fromAsset(<repo>/bin/authorizer), built by `make build` */
  readonly code?: lambda.Code;
  /** @default one year */
  readonly logRetention?: logs.RetentionDays;
  /** Key encrypting the function's log group. @default CloudWatch's own encryption */
  readonly logKey?: kms.IKey;
  /**
   * More environment variables (GATEHOUSE_TOKEN_USES, ...). A GATEHOUSE_*
   * name the authorizer does not read fails synthesis.
   */
  readonly environment?: Record<string, string>;
  /**
   * An API the authorizer is created on directly (a CfnAuthorizer), for
   * APIs defined elsewhere or imported with RestApi.fromRestApiId: use
   * authorizerId with AuthorizationType CUSTOM on their methods. Without it,
   * use `authorizer` (a TokenAuthorizer) on methods of a CDK RestApi.
   */
  readonly restApi?: apigw.IRestApi;
  /**
   * An HTTP API to create a Lambda authorizer on (payload 2.0) instead of
   * the REST TOKEN authorizer: use `httpRouteAuthorizer` on its routes.
   */
  readonly httpApi?: apigwv2.IHttpApi;
  /**
   * The HTTP API authorizer's answers (GATEHOUSE_HTTP_API_RESPONSE): 'policy'
   * (an IAM policy covering every route the caller may use, safe under the
   * result cache), 'simple' ({isAuthorized} for the route asked), or
   * 'simple-unsafe-with-cache'. With rules, 'simple' requires
   * resultsCacheTtl 0 (a cached simple answer would let the caller's token
   * onto every route for the TTL), as the function itself refuses 'simple'
   * with rules; 'simple-unsafe-with-cache' says you accept that.
   * @default 'policy' with rules, 'simple' without (the function's default)
   */
  readonly httpApiResponse?: HttpApiResponse;
  /**
   * The HTTP API authorizer's identity sources: the result cache key, and a
   * request lacking one is answered 401 without invoking the function.
   * @default ['$request.header.Authorization']
   */
  readonly httpApiIdentitySource?: string[];
}

/** What the function answers an HTTP API with (GATEHOUSE_HTTP_API_RESPONSE). */
export type HttpApiResponse = 'policy' | 'simple' | 'simple-unsafe-with-cache';

/**
 * httpApiResponseFor mirrors the function's rule (HTTPAPIResponse.Resolve in authorizer/apigateway/event.go): with
 * rules, simple answers only without the result cache, unless marked unsafe.
 * It returns the value for GATEHOUSE_HTTP_API_RESPONSE.
 */
export function httpApiResponseFor(requested: HttpApiResponse | undefined, hasRules: boolean, ttlSeconds: number | undefined): HttpApiResponse {
  const r = requested ?? (hasRules ? 'policy' : 'simple');
  if (r === 'simple' && hasRules) {
    if (ttlSeconds === undefined || ttlSeconds !== 0) {
      throw new Error("GatehouseAuthorizer: httpApiResponse 'simple' with rules needs resultsCacheTtl 0 " +
        "(a cached simple answer holds for every route); use 'policy', or 'simple-unsafe-with-cache' if you accept that");
    }
    // Safe without the cache; the function cannot see the TTL, so it is
    // told in the only spelling it accepts with rules.
    return 'simple-unsafe-with-cache';
  }
  return r;
}

/**
 * Gatehouse's Lambda authorizer for a REST API: the function (provided.al2023,
 * arm64), its least-privilege role, its log group, and a TOKEN authorizer
 * reading the Authorization header.
 *
 * Attach it to a CDK RestApi with `{ authorizer: gatehouse.authorizer }` on
 * methods, or pass `restApi` for an existing API and use `authorizerId`.
 */
export class GatehouseAuthorizer extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  /** For methods of a CDK RestApi; undefined when restApi was given. */
  public readonly authorizer?: apigw.TokenAuthorizer;
  /** For methods of props.restApi (AuthorizationType CUSTOM); undefined otherwise. */
  public readonly authorizerId?: string;
  /** With props.httpApi: the payload 2.0 Lambda authorizer. */
  public readonly httpAuthorizer?: apigwv2.HttpAuthorizer;
  /** With props.httpApi: `authorizer` for its routes (addRoutes). */
  public readonly httpRouteAuthorizer?: apigwv2.IHttpRouteAuthorizer;

  constructor(scope: Construct, id: string, props: GatehouseAuthorizerProps) {
    super(scope, id);

    const skip = props.skipClientIdCheck ?? false;
    const clientIds = props.clientIds ?? [];
    if (skip && clientIds.length > 0) {
      throw new Error('GatehouseAuthorizer: clientIds and skipClientIdCheck exclude each other');
    }
    if (!skip && clientIds.length === 0) {
      throw new Error('GatehouseAuthorizer: clientIds is required (or skipClientIdCheck: true)');
    }
    if (props.partnerPool && props.partnerPool.clientIds.length === 0) {
      throw new Error('GatehouseAuthorizer: partnerPool.clientIds is required');
    }
    const ttl = props.resultsCacheTtl ?? Duration.minutes(5);
    if (!Token.isUnresolved(ttl.toSeconds()) && (ttl.toSeconds() < 0 || ttl.toSeconds() > 3600)) {
      throw new Error('GatehouseAuthorizer: resultsCacheTtl must be 0 to 3600 seconds');
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.logKey,
    });

    // A role of our own rather than AWSLambdaBasicExecutionRole: logs go to
    // this one log group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Gatehouse authorizer: reads the mapping table, writes its log group',
    });
    this.logGroup.grantWrite(this.role);

    // The authorizer only looks people and clients up: GetItem on the
    // USERNAME# and CLIENT# items, nothing else in the table. Actions and
    // prefixes are what the Go lookups do (gatehouse-facts.json).
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'MappingLookups',
      actions: GATEHOUSE_FACTS.authorizer.dynamoDBActions,
      resources: [props.table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': AUTHORIZER_LEADING_KEYS },
      },
    }));
    const tableKey = props.tableKey ?? props.table.encryptionKey;
    if (tableKey) {
      this.role.addToPrincipalPolicy(tableReadKeyStatement(tableKey));
    }

    if (props.httpApi && props.restApi) {
      throw new Error('GatehouseAuthorizer: restApi and httpApi exclude each other (one construct per API)');
    }
    if (!props.httpApi && (props.httpApiResponse || props.httpApiIdentitySource)) {
      throw new Error('GatehouseAuthorizer: httpApiResponse and httpApiIdentitySource need httpApi');
    }
    const ttlSeconds = Token.isUnresolved(ttl.toSeconds()) ? undefined : ttl.toSeconds();
    const httpResponse = props.httpApi
      ? httpApiResponseFor(props.httpApiResponse, (props.rules ?? []).length > 0, ttlSeconds)
      : undefined;

    const environment: Record<string, string> = {
      GATEHOUSE_USER_POOL_ID: props.userPool.userPoolId,
      GATEHOUSE_TABLE: props.table.tableName,
      ...(skip
        ? { GATEHOUSE_SKIP_CLIENT_ID_CHECK: 'true' }
        : { GATEHOUSE_CLIENT_IDS: clientIds.join(',') }),
      ...(props.partnerPool ? {
        GATEHOUSE_PARTNER_USER_POOL_ID: props.partnerPool.userPool.userPoolId,
        GATEHOUSE_PARTNER_CLIENT_IDS: props.partnerPool.clientIds.join(','),
      } : {}),
      ...(props.rules ? { GATEHOUSE_ROUTES: JSON.stringify(props.rules) } : {}),
      ...(props.mappingCacheTtl ? { GATEHOUSE_MAPPING_CACHE_TTL: `${props.mappingCacheTtl.toSeconds()}s` } : {}),
      ...(httpResponse ? { GATEHOUSE_HTTP_API_RESPONSE: httpResponse } : {}),
      ...props.environment,
    };
    // The caller's extra names: a misspelt one would be ignored silently.
    // The construct's own names are checked against the Go side by the
    // tests (test/facts.test.ts).
    checkEnvironment('authorizer', props.environment ?? {});

    this.function = new lambda.Function(this, 'Function', {
      description: 'Gatehouse authorizer: Cognito token to one internal user id',
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
      handler: 'bootstrap',
      code: props.code ?? lambda.Code.fromAsset(path.join(DEFAULT_ASSET_DIR, 'authorizer')),
      role: this.role,
      memorySize: 256,
      // Below API Gateway's 29 s; the function bounds its own DynamoDB calls (3 s).
      timeout: Duration.seconds(10),
      environment,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
    });

    const identitySource = apigw.IdentitySource.header('Authorization');
    const validation = props.identityValidationExpression ?? BEARER_JWT_PATTERN;
    if (props.httpApi) {
      // HttpAuthorizer rather than HttpLambdaAuthorizer: the latter sends
      // payload 1.0 whenever answers are policies; the function is written
      // for 2.0 with either kind of answer.
      const httpApi = props.httpApi;
      const authorizer = new apigwv2.HttpAuthorizer(this, 'HttpAuthorizer', {
        httpApi,
        type: apigwv2.HttpAuthorizerType.LAMBDA,
        authorizerName: `${Stack.of(this).stackName}-gatehouse`,
        authorizerUri: lambdaInvokeUri(this.function),
        identitySource: props.httpApiIdentitySource ?? ['$request.header.Authorization'],
        payloadFormatVersion: apigwv2.AuthorizerPayloadVersion.VERSION_2_0,
        enableSimpleResponses: httpResponse !== 'policy',
        resultsCacheTtl: ttl,
      });
      this.httpAuthorizer = authorizer;
      this.httpRouteAuthorizer = {
        bind: () => ({ authorizerId: authorizer.authorizerId, authorizationType: 'CUSTOM' }),
      };
      this.function.addPermission('InvokedByHttpApi', {
        principal: new iam.ServicePrincipal('apigateway.amazonaws.com'),
        sourceArn: Stack.of(this).formatArn({
          service: 'execute-api',
          resource: httpApi.apiId,
          resourceName: `authorizers/${authorizer.authorizerId}`,
        }),
      });
    } else if (props.restApi) {
      const api = props.restApi;
      const cfn = new apigw.CfnAuthorizer(this, 'Authorizer', {
        restApiId: api.restApiId,
        name: `${Stack.of(this).stackName}-gatehouse`,
        type: 'TOKEN',
        authorizerUri: lambdaInvokeUri(this.function),
        identitySource,
        identityValidationExpression: validation,
        authorizerResultTtlInSeconds: ttl.toSeconds(),
      });
      this.authorizerId = cfn.ref;
      this.function.addPermission('InvokedByApiGateway', {
        principal: new iam.ServicePrincipal('apigateway.amazonaws.com'),
        sourceArn: Stack.of(this).formatArn({
          service: 'execute-api',
          resource: api.restApiId,
          resourceName: `authorizers/${cfn.ref}`,
        }),
      });
    } else {
      // TokenAuthorizer adds the invoke permission, scoped to this authorizer.
      this.authorizer = new apigw.TokenAuthorizer(this, 'Authorizer', {
        handler: this.function,
        identitySource,
        validationRegex: validation,
        resultsCacheTtl: ttl,
      });
    }
  }
}

/**
 * Reading an item of a table encrypted with a customer managed key needs
 * kms:Decrypt on that key (DynamoDB asks for the table key on the caller's
 * behalf); limited to calls DynamoDB makes.
 */
export function tableReadKeyStatement(key: kms.IKey): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'TableKeyThroughDynamoDB',
    actions: ['kms:Decrypt', 'kms:DescribeKey'],
    resources: [key.keyArn],
    conditions: {
      StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(key).region}.amazonaws.com` },
    },
  });
}

function lambdaInvokeUri(fn: lambda.IFunction): string {
  const stack = Stack.of(fn);
  return `arn:${stack.partition}:apigateway:${stack.region}:lambda:path/2015-03-31/functions/${fn.functionArn}/invocations`;
}
