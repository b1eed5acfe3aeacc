import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Aws, CfnOutput, CfnParameter, Duration, Fn, RemovalPolicy, Stack, StackProps, Validations,
} from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct, IConstruct } from 'constructs';
import {
  DEFAULT_ASSET_DIR, GatehouseAuthorizer, RouteRule, tableReadKeyStatement,
} from './authorizer-construct';
import {
  ApiRoute, BASE_PATHS, GATEHOUSE_FACTS, WritingFunction, apiRoutes, dynamoDBActions, leadingKeys,
} from './facts';
import { GatehouseSettings, settingsFromContext } from './settings';
import { GatehouseAlarms, GatehouseAlarmThresholds } from './alarms';
import * as sns from 'aws-cdk-lib/aws-sns';

/** The mapping table's key attributes (mapping.CreateTable): string PK and SK. */
export const TABLE_PARTITION_KEY = GATEHOUSE_FACTS.table.partitionKey;
export const TABLE_SORT_KEY = GATEHOUSE_FACTS.table.sortKey;

/** mapping.PurposePartnerRefreshToken: the only secret sealed with the key. */
export const SEAL_PURPOSE_PARTNER_REFRESH_TOKEN = GATEHOUSE_FACTS.seal.partnerRefreshTokenPurpose;

export interface GatehouseStackProps extends StackProps {
  /** @default read from context (settingsFromContext) */
  readonly settings?: GatehouseSettings;
  /** Directory holding <function>/bootstrap. @default context gatehouse:assetDir, else <repo>/bin */
  readonly assetDir?: string;
  /** Alarm thresholds (see GatehouseAlarmThresholds for the defaults). */
  readonly alarmThresholds?: GatehouseAlarmThresholds;
  /**
   * SNS topic notified when an alarm fires or clears, and by the app-client
   * rules (settings.clientChangeAlerts). @default none (the rules then get a
   * topic of their own)
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * CDK's key administrator actions (aws-kms's ADMIN_ACTIONS), spelt out
 * without wildcards and without kms:CreateGrant, so that the sealing key's
 * administrators can manage it (policy, rotation, deletion, tags, aliases)
 * but cannot use it nor grant its use. kms:PutKeyPolicy stays: a key whose
 * policy nobody can change is unrecoverable.
 */
export const SEALING_KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion', 'kms:CreateAlias', 'kms:DeleteAlias', 'kms:DescribeKey',
  'kms:DisableKey', 'kms:DisableKeyRotation', 'kms:EnableKey', 'kms:EnableKeyRotation',
  'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:ListAliases', 'kms:ListGrants',
  'kms:ListKeyPolicies', 'kms:ListKeyRotations', 'kms:ListResourceTags', 'kms:ListRetirableGrants',
  'kms:PutKeyPolicy', 'kms:RevokeGrant', 'kms:RotateKeyOnDemand', 'kms:ScheduleKeyDeletion',
  'kms:TagResource', 'kms:UntagResource', 'kms:UpdateAlias', 'kms:UpdateKeyDescription',
];

/**
 * Gatehouse, complete: the people's and the partners' Cognito user pools and
 * their clients, the table's KMS key and the sealing key, the mapping table,
 * the authorizer, portal and refresh functions, and a REST API (with a web
 * ACL) with the portal and partner routes and a sample protected route.
 */
export class GatehouseStack extends Stack {
  /** The people's pool: people and their programs' app clients. */
  public readonly userPool: cognito.UserPool;
  public readonly webClient: cognito.UserPoolClient;
  /** The partners' pool: partner machine users and partner administrators. */
  public readonly partnerPool: cognito.UserPool;
  public readonly partnerClient: cognito.UserPoolClient;
  /** The partners' pool's client for people: partner administrators. */
  public readonly partnerAdminClient: cognito.UserPoolClient;
  /** Encrypts the mapping table. */
  public readonly key: kms.Key;
  /** Seals partner refresh tokens; only the refresh role may use it. */
  public readonly sealingKey: kms.Key;
  public readonly table: dynamodb.Table;
  public readonly gatehouse: GatehouseAuthorizer;
  public readonly portalFunction: lambda.Function;
  public readonly refreshFunction: lambda.Function;
  public readonly partnerClientSecret: secretsmanager.Secret;
  public readonly partnerAdminClientSecret: secretsmanager.Secret;
  public readonly sampleFunction: lambda.Function;
  public readonly api: apigw.RestApi;
  /** The web ACL the stack created (none with webAclArn or webAcl false). */
  public readonly webAcl?: wafv2.CfnWebACL;
  public readonly cacheTtl: CfnParameter;
  public readonly alarms: GatehouseAlarms;

  private readonly settings: GatehouseSettings;
  private readonly retention: logs.RetentionDays;

  constructor(scope: Construct, id: string, props: GatehouseStackProps = {}) {
    super(scope, id, props);
    const s = (this.settings = props.settings ?? settingsFromContext(this.node));
    this.retention = retentionDays(s.logRetentionDays);
    const assetDir = props.assetDir ?? this.node.tryGetContext('gatehouse:assetDir') ?? DEFAULT_ASSET_DIR;
    const code = (fn: string) => {
      const dir = path.resolve(assetDir, fn);
      if (!fs.existsSync(path.join(dir, 'bootstrap'))) {
        throw new Error(`${path.join(dir, 'bootstrap')} is missing: run \`make build\` first (it builds cmd/${fn})`);
      }
      return lambda.Code.fromAsset(dir);
    };

    this.cacheTtl = new CfnParameter(this, 'AuthorizerCacheTtl', {
      type: 'Number',
      default: 300,
      minValue: 0,
      maxValue: 3600,
      description: 'Seconds API Gateway reuses an authorizer answer per token (0 to 3600). '
        + 'With the mapping cache, the delay before a removed client or user is refused.',
    });

    // ---- Cognito -------------------------------------------------------
    // The people's pool. Partners have a pool of their own (below), so
    // that the refresh role's admin actions, which Cognito cannot narrow by
    // condition, reach no person.
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      // A plain user name, with e-mail as an alias: people sign in by e-mail.
      signInAliases: { username: true, email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      keepOriginal: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      selfSignUpEnabled: s.selfSignUp,
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: { off: cognito.Mfa.OFF, optional: cognito.Mfa.OPTIONAL, required: cognito.Mfa.REQUIRED }[s.mfa],
      mfaSecondFactor: s.mfa === 'off' ? undefined : { sms: false, otp: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: s.threatProtection ? cognito.FeaturePlan.PLUS : cognito.FeaturePlan.ESSENTIALS,
      standardThreatProtectionMode: s.threatProtection
        ? cognito.StandardThreatProtectionMode.FULL_FUNCTION : undefined,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The default prefix is the first group of the stack id's UUID: unique
    // per stack, stable across updates, and it discloses nothing (the
    // account id would, in a public host name).
    const stackUuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
    this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: s.domainPrefix ?? `gatehouse-${Fn.select(0, Fn.split('-', stackUuid))}` },
    });
    const resourceServer = this.userPool.addResourceServer('ResourceServer', {
      identifier: s.resourceServer,
      userPoolResourceServerName: 'Gatehouse API',
      scopes: s.scopes.map((sc) => new cognito.ResourceServerScope({
        scopeName: sc.name, scopeDescription: sc.description,
      })),
    });
    const customScopes = s.scopes.map((sc) => `${s.resourceServer}/${sc.name}`);

    this.webClient = this.userPool.addClient('WebAppClient', {
      userPoolClientName: 'gatehouse-web',
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [
          cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE,
          ...s.scopes.map((sc) => cognito.OAuthScope.resourceServer(resourceServer, new cognito.ResourceServerScope({
            scopeName: sc.name, scopeDescription: sc.description,
          }))),
        ],
        callbackUrls: s.callbackUrls,
        logoutUrls: s.logoutUrls,
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    // The partners' pool: machine users the refresh function creates
    // (AdminCreateUser, generated names and passwords) and signs in, and
    // partner administrators (people, invited by e-mail at registration)
    // who sign in through the refresh function; no self sign-up, no hosted
    // domain, no OAuth.
    this.partnerPool = new cognito.UserPool(this, 'PartnerPool', {
      signInAliases: { username: true },
      signInCaseSensitive: true,
      selfSignUpEnabled: false,
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(1),
      },
      // Optional at most (settings.partnerMfa): the machine users can hold
      // no second factor.
      mfa: { off: cognito.Mfa.OFF, optional: cognito.Mfa.OPTIONAL }[s.partnerMfa],
      mfaSecondFactor: s.partnerMfa === 'off' ? undefined : { sms: false, otp: true },
      accountRecovery: cognito.AccountRecovery.NONE,
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // The partner client: server-side only (a secret), the admin password
    // flow the refresh function signs partner users in with; refreshing is
    // REFRESH_TOKEN_AUTH, or GetTokensFromRefreshToken with rotation on.
    this.partnerClient = this.partnerPool.addClient('PartnerClient', {
      userPoolClientName: 'gatehouse-partner',
      generateSecret: true,
      authFlows: { adminUserPassword: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(365),
      refreshTokenRotationGracePeriod: s.partnerRefreshRotation ? Duration.seconds(10) : undefined,
    });

    // Partner administrators' client: for people, who sign in through the
    // refresh function (POST /partners/auth/sign-in, /respond) with
    // USER_PASSWORD_AUTH and SECRET_HASH; no OAuth, no hosted UI. Not the
    // machine client: the authorizer never accepts its tokens
    // (GATEHOUSE_PARTNER_CLIENT_IDS names the machine client only), the
    // refresh function's self-service accepts only its tokens.
    this.partnerAdminClient = this.partnerPool.addClient('PartnerAdminClient', {
      userPoolClientName: 'gatehouse-partner-admin',
      generateSecret: true,
      authFlows: { userPassword: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      // The refresh function has no token-refresh route: a short session.
      refreshTokenValidity: Duration.hours(12),
    });

    this.userPool.addGroup('ApiUsersGroup', {
      groupName: s.apiUsersGroup,
      description: 'May create and manage API credentials (app clients) in the portal',
      precedence: 10,
    });
    this.userPool.addGroup('AdministratorsGroup', {
      groupName: s.adminGroup,
      description: 'Gatehouse administrators: manage partners',
      precedence: 0,
    });

    // ---- Keys and table ------------------------------------------------
    this.key = new kms.Key(this, 'Key', {
      description: 'Gatehouse: encrypts the mapping table',
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // The sealing key: separate from the table's key, and its policy alone
    // decides who may use it (no statement trusts the account's IAM
    // policies). The account root administers it but cannot use it; the
    // refresh role's use, bound to the encryption context, is added below.
    this.sealingKey = new kms.Key(this, 'SealingKey', {
      description: 'Gatehouse: seals partner refresh tokens (usable by the refresh function only)',
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
      policy: new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({
          sid: 'KeyAdministration',
          principals: [new iam.AccountRootPrincipal()],
          actions: SEALING_KEY_ADMIN_ACTIONS,
          resources: ['*'],
        })],
      }),
    });

    this.table = new dynamodb.Table(this, 'MappingTable', {
      partitionKey: { name: TABLE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SORT_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ---- Authorizer ----------------------------------------------------
    // Default: no rules, every authenticated caller may use every route
    // behind the authorizer (here the sample route).
    const rules: RouteRule[] | undefined = s.rules;
    this.gatehouse = new GatehouseAuthorizer(this, 'Authorizer', {
      userPool: this.userPool,
      // People's user tokens come from the web client. Programs get app
      // clients from the portal at run time: their client-credentials tokens
      // are admitted by the mapping lookup of the client id, not by this list.
      clientIds: [this.webClient.userPoolClientId],
      // Partners call with the ID tokens the exchange returns, from their
      // own pool's client (the function's default token use there: id).
      partnerPool: { userPool: this.partnerPool, clientIds: [this.partnerClient.userPoolClientId] },
      table: this.table,
      tableKey: this.key,
      rules,
      resultsCacheTtl: Duration.seconds(this.cacheTtl.valueAsNumber),
      mappingCacheTtl: Duration.seconds(s.mappingCacheTtlSeconds),
      code: code('authorizer'),
      logRetention: this.retention,
    });

    // ---- Portal and refresh functions ------------------------------------
    // The portal (portal/config.go) verifies people's tokens itself and
    // records a person on their first call, so it cannot sit behind the
    // Gatehouse authorizer, which refuses people not yet mapped. Variables:
    // portal/env.go. Its password sign-in routes (/auth/*) stay off: people
    // sign in through the hosted domain with the web app client.
    const domain = this.userPool.node.tryFindChild('Domain') as cognito.UserPoolDomain;
    this.portalFunction = this.serviceFunction('Portal', {
      description: 'Gatehouse portal: people manage their API credentials (app clients)',
      code: code('portal'),
      reservedConcurrency: s.portalReservedConcurrency,
      environment: {
        GATEHOUSE_USER_POOL_ID: this.userPool.userPoolId,
        GATEHOUSE_TABLE: this.table.tableName,
        GATEHOUSE_CLIENT_IDS: this.webClient.userPoolClientId,
        GATEHOUSE_API_CLIENTS_GROUP: s.apiUsersGroup,
        GATEHOUSE_API_CLIENT_SCOPES: customScopes.join(','),
        GATEHOUSE_TOKEN_ENDPOINT: `${domain.baseUrl()}/oauth2/token`,
        GATEHOUSE_BASE_PATH: BASE_PATHS.portal,
        GATEHOUSE_CREATE_USERS: 'true',
      },
    });
    this.grantTable(this.portalFunction, 'portal');
    this.portalFunction.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ManageProgramClients',
      actions: ['cognito-idp:CreateUserPoolClient', 'cognito-idp:DeleteUserPoolClient'],
      resources: [this.userPool.userPoolArn],
    }));

    // The partner client's secret, for the refresh function: read from
    // Cognito at deploy time (a custom resource that never logs it) into
    // Secrets Manager, so it appears in no template and no environment.
    this.partnerClientSecret = new secretsmanager.Secret(this, 'PartnerClientSecret', {
      description: 'Gatehouse: the partner app client secret (read by the refresh function)',
      secretObjectValue: { client_secret: this.partnerClient.userPoolClientSecret },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(this.partnerClientSecret, 'AwsSolutions-SMG4',
      'The value is a Cognito app client secret, and this stack has no rotation function for it. Cognito allows two '
      + 'secrets per client (AddUserPoolClientSecret, DeleteUserPoolClientSecret), so it is rotated by hand without '
      + 'downtime: add a second secret, write it here, let the refresh function start new instances (it reads the '
      + 'secret at cold start), then delete the old one (infra/README.md). A deployment that replaces the client rewrites it.');
    this.partnerAdminClientSecret = new secretsmanager.Secret(this, 'PartnerAdminClientSecret', {
      description: 'Gatehouse: the partner administrators\' app client secret (read by the refresh function)',
      secretObjectValue: { client_secret: this.partnerAdminClient.userPoolClientSecret },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(this.partnerAdminClientSecret, 'AwsSolutions-SMG4',
      'The value is a Cognito app client secret (the partner administrators\' client), and this stack has no rotation '
      + 'function for it: it is rotated by hand like the partner client\'s, with a second client secret (infra/README.md).');
    // The custom resources reading the client secrets run in CDK's shared
    // provider function, with AWSLambdaBasicExecutionRole.
    const provider = this.node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
    if (provider) {
      acknowledge(provider, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'CDK\'s AwsCustomResource provider (deploy time only) logs through AWSLambdaBasicExecutionRole; its only other '
        + 'permission is cognito-idp:DescribeUserPoolClient on the partners\' pool. CDK hides the responses (the secrets) from its logs.');
    }

    this.refreshFunction = this.serviceFunction('Refresh', {
      description: 'Gatehouse partners: administrators register partners; partners exchange their credential for tokens',
      code: code('refresh'),
      reservedConcurrency: s.partnerReservedConcurrency,
      environment: {
        // Administrators' tokens: the people's pool and its web client.
        GATEHOUSE_USER_POOL_ID: this.userPool.userPoolId,
        GATEHOUSE_TABLE: this.table.tableName,
        GATEHOUSE_KMS_KEY_ID: this.sealingKey.keyArn,
        // Partner users are created and signed in here.
        GATEHOUSE_PARTNER_USER_POOL_ID: this.partnerPool.userPoolId,
        GATEHOUSE_PARTNER_CLIENT_ID: this.partnerClient.userPoolClientId,
        GATEHOUSE_PARTNER_CLIENT_SECRET_ARN: this.partnerClientSecret.secretArn,
        GATEHOUSE_PARTNER_REFRESH_ROTATION: String(s.partnerRefreshRotation),
        // Partner administrators sign in with their own client.
        GATEHOUSE_PARTNER_ADMIN_CLIENT_ID: this.partnerAdminClient.userPoolClientId,
        GATEHOUSE_PARTNER_ADMIN_CLIENT_SECRET_ARN: this.partnerAdminClientSecret.secretArn,
        // Administrators call the partner API with tokens of the web app.
        GATEHOUSE_CLIENT_IDS: this.webClient.userPoolClientId,
        GATEHOUSE_ADMIN_GROUP: s.adminGroup,
      },
    });
    this.grantTable(this.refreshFunction, 'refresh');
    this.grantSeal(this.refreshFunction);
    // AdminInitiateAuth signs partner users in; GetTokensFromRefreshToken and
    // RevokeToken are authorised by the client secret, not by IAM. On the
    // partners' pool only: Cognito has no condition keys to narrow these.
    this.refreshFunction.addToRolePolicy(new iam.PolicyStatement({
      sid: 'PartnerUsers',
      actions: [
        'cognito-idp:AdminCreateUser',
        'cognito-idp:AdminSetUserPassword',
        'cognito-idp:AdminDeleteUser',
        'cognito-idp:AdminInitiateAuth',
      ],
      resources: [this.partnerPool.userPoolArn],
    }));
    this.refreshFunction.addToRolePolicy(new iam.PolicyStatement({
      sid: 'PartnerClientSecrets',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [this.partnerClientSecret.secretArn, this.partnerAdminClientSecret.secretArn],
    }));

    this.sampleFunction = this.sampleBackend();

    // ---- REST API --------------------------------------------------------
    this.api = this.restApi();
    if (s.webAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn: s.webAclArn,
      });
    } else if (s.webAcl) {
      this.webAcl = this.rateLimitingWebAcl(this.api.deploymentStage);
    } else {
      acknowledge(this.api.deploymentStage, 'AwsSolutions-APIG3',
        'The web ACL is turned off (context gatehouse:webAcl=false, no gatehouse:webAclArn): the stage has only API '
        + 'Gateway throttling, shared by all callers (one client can use up the partner exchange\'s and sign-in\'s '
        + 'limits), the identity validation expression and the authorizer.');
    }

    if (s.clientChangeAlerts) this.clientChangeRules(props.alarmTopic);

    // ---- Alarms ----------------------------------------------------------
    this.alarms = new GatehouseAlarms(this, 'Alarms', {
      ...props.alarmThresholds,
      authorizerLogGroup: this.gatehouse.logGroup,
      serviceFunctions: { Portal: this.portalFunction, Partners: this.refreshFunction },
      restApi: this.api,
      topic: props.alarmTopic,
    });
  }

  /** A Go function on provided.al2023/arm64 with its own role and log group. */
  private serviceFunction(id: string, opts: {
    description: string; code: lambda.Code; environment: Record<string, string>; reservedConcurrency?: number;
  }): lambda.Function {
    const scope = new Construct(this, id);
    const logGroup = new logs.LogGroup(scope, 'Logs', { retention: this.retention });
    const role = new iam.Role(scope, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: opts.description,
    });
    logGroup.grantWrite(role);
    return new lambda.Function(scope, 'Function', {
      description: opts.description,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
      handler: 'bootstrap',
      code: opts.code,
      role,
      memorySize: 256,
      timeout: Duration.seconds(15),
      environment: opts.environment,
      reservedConcurrentExecutions: opts.reservedConcurrency,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
    });
  }

  /**
   * The mapping store's calls: exactly the actions the service's requests
   * are authorised as (TransactWriteItems per item: PutItem, UpdateItem,
   * DeleteItem, ConditionCheckItem), mapping.DynamoDBActions; only on the
   * partitions of the item kinds the service uses (mapping.LeadingKeyPrefixes).
   * Both through gatehouse-facts.json. Plus the table key, through DynamoDB only.
   */
  private grantTable(fn: lambda.Function, service: WritingFunction): void {
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'MappingTable',
      actions: dynamoDBActions(service),
      resources: [this.table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': leadingKeys(service) },
      },
    }));
    fn.addToRolePolicy(tableReadKeyStatement(this.key));
  }

  /**
   * Sealing (mapping/seal.go): GenerateDataKey and Decrypt, only with the
   * encryption context the store binds — this table, the partner purpose.
   * Actions and context keys are what the Go sealer sends (gatehouse-facts.json).
   */
  private grantSeal(fn: lambda.Function): void {
    const seal = GATEHOUSE_FACTS.seal;
    const conditions = {
      StringEquals: {
        [`kms:EncryptionContext:${seal.tableContextKey}`]: this.table.tableName,
        [`kms:EncryptionContext:${seal.purposeContextKey}`]: SEAL_PURPOSE_PARTNER_REFRESH_TOKEN,
      },
      'ForAllValues:StringEquals': {
        'kms:EncryptionContextKeys': seal.encryptionContextKeys,
      },
    };
    // Both sides: the key policy names the role (nothing else may use the
    // key), and the role's own policy says the same.
    this.sealingKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'SealPartnerTokens',
      principals: [new iam.ArnPrincipal(fn.role!.roleArn)],
      actions: seal.kmsActions,
      resources: ['*'],
      conditions,
    }));
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'SealPartnerTokens',
      actions: seal.kmsActions,
      resources: [this.sealingKey.keyArn],
      conditions,
    }));
  }

  /** The sample protected route's backend: echoes the internal user id it was given. */
  private sampleBackend(): lambda.Function {
    const scope = new Construct(this, 'Sample');
    const logGroup = new logs.LogGroup(scope, 'Logs', { retention: this.retention });
    const role = new iam.Role(scope, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Gatehouse sample backend: writes its log group only',
    });
    logGroup.grantWrite(role);
    return new lambda.Function(scope, 'Function', {
      description: 'Gatehouse sample backend: returns the internal user id from the authorizer',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(SAMPLE_BACKEND_SOURCE),
      role,
      memorySize: 128,
      timeout: Duration.seconds(5),
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
    });
  }

  private restApi(): apigw.RestApi {
    const s = this.settings;
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: this.retention });
    const api = new apigw.RestApi(this, 'Api', {
      restApiName: `${this.stackName}-api`,
      description: 'Gatehouse: portal, partner token exchange and a sample protected route',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: s.apiGatewayCloudWatchRole,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: s.stageName,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
        // Execution logs for errors only, and never request or response
        // bodies (dataTrace): they could hold tokens and secrets.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: s.throttleRateLimit,
        throttlingBurstLimit: s.throttleBurstLimit,
        // Per route, by routeKind: the exchange and the sign-in steps.
        methodOptions: Object.fromEntries(API_ROUTES.flatMap((r): [string, apigw.MethodDeploymentOptions][] => {
          switch (routeKind(r)) {
            case 'exchange':
              return [[`${r.path}/${r.method}`, {
                throttlingRateLimit: s.partnerThrottleRateLimit, throttlingBurstLimit: s.partnerThrottleBurstLimit,
              }]];
            case 'signIn':
              return [[`${r.path}/${r.method}`, {
                throttlingRateLimit: s.signInThrottleRateLimit, throttlingBurstLimit: s.signInThrottleBurstLimit,
              }]];
            default:
              return [];
          }
        })),
      },
      disableExecuteApiEndpoint: false,
    });

    // Bodies and parameters are validated where a model or required
    // parameter is declared; the functions validate everything again.
    const validator = api.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const authorizer = this.gatehouse.authorizer!;
    const protect: apigw.MethodOptions = {
      authorizer,
      authorizationType: apigw.AuthorizationType.CUSTOM,
      requestValidator: validator,
      requestParameters: { 'method.request.header.Authorization': true },
    };
    const integrate = (fn: lambda.IFunction) => new apigw.LambdaIntegration(fn, { allowTestInvoke: false });
    // Methods behind the Gatehouse authorizer, which verifies Cognito tokens
    // itself (signature, issuer, client, token use) and adds what a Cognito
    // user pool authorizer cannot: client-credentials tokens, the mapping to
    // one internal id, revocation and route rules.
    const protectedMethod = (resource: apigw.IResource, verb: string, fn: lambda.IFunction): apigw.Method => {
      const m = resource.addMethod(verb, integrate(fn), protect);
      acknowledge(m, 'AwsSolutions-COG4',
        'Protected by the Gatehouse Lambda authorizer, which verifies Cognito user pool tokens (JWKS, issuer, '
        + 'client, token use) and adds the internal-id mapping, revocation and route rules a Cognito authorizer lacks.');
      return m;
    };

    const open: apigw.MethodOptions = { authorizationType: apigw.AuthorizationType.NONE, requestValidator: validator };
    const functions: Record<ApiRoute['fn'], lambda.IFunction> = { portal: this.portalFunction, refresh: this.refreshFunction };

    // One resource per route, no {proxy+}: the portal and refresh functions
    // serve a route only when API Gateway's requestContext.resourcePath
    // names it, and each method throttle applies to exactly one route. The
    // routes are the functions' own tables (portal.Routes, refresh.Routes,
    // through gatehouse-facts.json), so a route added in Go appears here;
    // routeKind decides how each is protected. No API Gateway authorizer
    // stands in front of them: the functions verify tokens and credentials
    // themselves (their callers need not be mapped users). The portal's
    // sign-in steps answer 404 here: it has no sign-in client
    // (GATEHOUSE_SIGNIN_CLIENT_ID), people sign in through the hosted domain.
    for (const r of API_ROUTES) {
      const m = api.root.resourceForPath(r.path).addMethod(r.method, integrate(functions[r.fn]), open);
      for (const [id, reason] of Object.entries(ROUTE_ACKNOWLEDGEMENTS[routeKind(r)](r.fn))) acknowledge(m, id, reason);
    }

    // The sample protected route.
    protectedMethod(api.root.resourceForPath('/whoami'), 'GET', this.sampleFunction);

    if (s.apiGatewayCloudWatchRole) {
      acknowledge(api, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        'The account-level API Gateway logging role uses AmazonAPIGatewayPushToCloudWatchLogs, the managed policy '
        + 'API Gateway documents for it; it is created once per account and region (context gatehouse:apiGatewayCloudWatchRole).');
    }

    new CfnOutput(this, 'ApiUrl', { value: api.url });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'WebAppClientId', { value: this.webClient.userPoolClientId });
    new CfnOutput(this, 'PartnerUserPoolId', { value: this.partnerPool.userPoolId });
    new CfnOutput(this, 'PartnerClientId', { value: this.partnerClient.userPoolClientId });
    new CfnOutput(this, 'PartnerAdminClientId', { value: this.partnerAdminClient.userPoolClientId });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'KeyArn', { value: this.key.keyArn });
    new CfnOutput(this, 'SealingKeyArn', { value: this.sealingKey.keyArn });
    new CfnOutput(this, 'AuthorizerFunctionName', { value: this.gatehouse.function.functionName });

    this.acknowledgeCognito();
    return api;
  }

  private acknowledgeCognito(): void {
    const s = this.settings;
    if (s.mfa !== 'required') {
      acknowledge(this.userPool, 'AwsSolutions-COG2',
        `MFA is ${s.mfa} in the people's pool, the deployer's choice (context gatehouse:mfa=required enforces TOTP for `
        + 'every person, administrators included, at the cost of each setting it up at first sign-in). Until then a '
        + 'password alone signs a person in, administrators who issue partner credentials too. Partners are in a pool of their own.');
    }
    if (!s.threatProtection) {
      acknowledge(this.userPool, 'AwsSolutions-COG8',
        'The Plus feature plan (threat protection) is billed per monthly active user and left to the operator: '
        + 'set context gatehouse:threatProtection=true to enable it in enforced mode.');
    }
    // The partners' pool: MFA optional at most (settings.partnerMfa), so
    // COG2 is always acknowledged.
    acknowledge(this.partnerPool, 'AwsSolutions-COG2',
      `MFA is ${s.partnerMfa} in the partners' pool (context gatehouse:partnerMfa, off or optional; TOTP). `
      + (s.partnerMfa === 'optional'
        ? 'A partner administrator who sets up TOTP is asked for it at every sign-in; one who has not signs in with a password alone. '
        : 'Partner administrators sign in with a password alone. ')
      + 'It cannot be required: the pool also holds the partners\' machine users, which the refresh function signs in '
      + 'server-side with generated passwords and the machine client\'s secret, and which can hold no second factor.');
    acknowledge(this.partnerPool, 'AwsSolutions-COG8',
      'Threat protection (the Plus plan, billed per monthly active user) stays off in the partners\' pool: it would also score '
      + 'the refresh function\'s server-side sign-ins of machine users, which can answer no challenge. Partner administrators\' '
      + 'sign-in steps are rate-limited per IP by the web ACL (unless turned off) and by method throttles.');
  }

  /**
   * A regional web ACL on the stage: per-IP rate rules on the partner
   * exchange and the sign-in routes, so that one client cannot use up the
   * method throttles every caller shares. Everything else passes.
   */
  private rateLimitingWebAcl(stage: apigw.Stage): wafv2.CfnWebACL {
    const s = this.settings;
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName,
    });
    // The path as WAF sees it ("/<stage>/partners/token" on the execute-api
    // host, without the stage on a custom domain): decoded, normalised and
    // lower-cased before the match, so that an encoded or dotted variant of
    // the path is counted too; matching more than API Gateway routes only
    // counts more requests, never fewer.
    const pathContains = (path: string): wafv2.CfnWebACL.StatementProperty => ({
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: 'CONTAINS',
        searchString: path.toLowerCase(),
        textTransformations: [
          { priority: 0, type: 'URL_DECODE_UNI' },
          { priority: 1, type: 'NORMALIZE_PATH' },
          { priority: 2, type: 'LOWERCASE' },
        ],
      },
    });
    const anyOf = (paths: string[]): wafv2.CfnWebACL.StatementProperty => (paths.length === 1
      ? pathContains(paths[0])
      : { orStatement: { statements: paths.map(pathContains) } });
    const rateRule = (name: string, priority: number, limit: number, paths: string[]): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      action: { block: {} },
      statement: {
        rateBasedStatement: {
          aggregateKeyType: 'IP',
          limit,
          evaluationWindowSec: s.wafEvaluationWindowSeconds,
          scopeDownStatement: anyOf(paths),
        },
      },
      visibilityConfig: visibility(`${this.stackName}-${name}`),
    });
    const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      description: 'Gatehouse: per-IP rate limits on the partner token exchange and the sign-in routes',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`${this.stackName}-web-acl`),
      rules: [
        rateRule('PartnerExchangePerIp', 0, s.wafExchangeRateLimit, [EXCHANGE_PATH]),
        rateRule('SignInPerIp', 1, s.wafSignInRateLimit, SIGN_IN_PATHS),
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: stage.stageArn,
      webAclArn: acl.attrArn,
    });
    return acl;
  }

  /**
   * EventBridge rules on CloudTrail's record of Cognito calls (a trail must
   * log management events in the region): an app client created in either
   * pool with flows other than client credentials or with callback URLs
   * (the portal creates client-credentials clients only), and deletion of
   * the stack's own app clients.
   */
  private clientChangeRules(topic: sns.ITopic | undefined): sns.ITopic {
    if (!topic) {
      const own = new sns.Topic(this, 'ClientChangeTopic', {
        displayName: 'Gatehouse: unexpected Cognito app client changes',
        enforceSSL: true,
      });
      acknowledge(own, 'AwsSolutions-SNS2',
        'EventBridge cannot publish to a topic encrypted with the AWS managed SNS key, and the messages are CloudTrail '
        + 'records of app-client changes (pool and client ids, flows, URLs): Cognito leaves client secrets out of them.');
      topic = own;
    }
    const cognitoCall = (eventName: string, requestParameters: Record<string, unknown>) => ({
      source: ['aws.cognito-idp'],
      detailType: ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['cognito-idp.amazonaws.com'], eventName: [eventName], requestParameters },
    });
    const pools = [this.userPool.userPoolId, this.partnerPool.userPoolId];
    const created = new events.Rule(this, 'UnexpectedClientCreated', {
      description: 'Gatehouse: an app client with flows other than client credentials, or with callback URLs',
      // An array field matches when any element does; $or across fields.
      eventPattern: cognitoCall('CreateUserPoolClient', {
        userPoolId: pools,
        $or: [
          { allowedOAuthFlows: [{ 'anything-but': ['client_credentials'] }] },
          { callbackURLs: [{ exists: true }] },
          { explicitAuthFlows: [{ 'anything-but': ['ALLOW_REFRESH_TOKEN_AUTH'] }] },
        ],
      }),
    });
    const deleted = new events.Rule(this, 'OwnClientDeleted', {
      description: 'Gatehouse: one of the stack\'s own app clients (web, partner, partner administrators) was deleted',
      eventPattern: cognitoCall('DeleteUserPoolClient', {
        clientId: [this.webClient.userPoolClientId, this.partnerClient.userPoolClientId, this.partnerAdminClient.userPoolClientId],
      }),
    });
    for (const rule of [created, deleted]) rule.addTarget(new eventsTargets.SnsTopic(topic));
    return topic;
  }
}

/** The API Gateway resources and methods of the portal and refresh functions (gatehouse-facts.json). */
export const API_ROUTES: ApiRoute[] = apiRoutes();

/** The partner token exchange's resource. */
export const EXCHANGE_PATH = '/partners/token';

/**
 * How a route of the portal or refresh function is protected:
 * - exchange: the partner token exchange, open; its own method throttle
 *   and the web ACL's exchange rule;
 * - signIn: a sign-in step (…/auth/sign-in, …/auth/respond), open; the
 *   sign-in method throttle and the web ACL's sign-in rule;
 * - tokenRefresh: …/auth/refresh, open (the body holds a refresh token);
 * - selfAuthorised: every other route; the function verifies the
 *   caller's token itself.
 */
export type RouteKind = 'exchange' | 'signIn' | 'tokenRefresh' | 'selfAuthorised';

export function routeKind(r: ApiRoute): RouteKind {
  if (r.fn === 'refresh' && r.path === EXCHANGE_PATH) return 'exchange';
  const step = /\/auth\/(sign-in|respond|refresh)$/.exec(r.path)?.[1];
  if (step === 'refresh') return 'tokenRefresh';
  return step ? 'signIn' : 'selfAuthorised';
}

/** The sign-in steps' resources: the web ACL's sign-in rule and their method throttles. */
export const SIGN_IN_PATHS: string[] = API_ROUTES.filter((r) => routeKind(r) === 'signIn').map((r) => r.path);

if (!API_ROUTES.some((r) => routeKind(r) === 'exchange')) {
  throw new Error(`gatehouse-facts.json: the refresh function serves no ${EXCHANGE_PATH}`);
}

const SERVICE_NAMES: Record<ApiRoute['fn'], string> = { portal: 'portal', refresh: 'partner (refresh)' };

/** The cdk-nag acknowledgements of a route's method, by its kind; each reason true of every route of that kind. */
const ROUTE_ACKNOWLEDGEMENTS: Record<RouteKind, (fn: ApiRoute['fn']) => Record<string, string>> = {
  exchange: () => ({
    'AwsSolutions-APIG4': 'The partner token exchange is the sign-in step itself: the partner presents its credential in the body, '
      + 'which the refresh function verifies (fingerprint lookup, constant-time compare); it has its own, lower method '
      + 'throttle and, unless turned off, a per-IP rate rule in the web ACL.',
    'AwsSolutions-COG4': 'The partner token exchange is called before the partner has any Cognito token; the refresh function verifies the credential.',
  }),
  signIn: (fn) => ({
    'AwsSolutions-APIG4': `A sign-in step of the ${SERVICE_NAMES[fn]} function: the caller has no token yet and presents a user name and `
      + 'password, or a challenge answer (new password, MFA code) with its session, in the body, which the function checks with '
      + 'Cognito; rate-limited per IP by the web ACL (unless turned off) and by a method throttle.',
    'AwsSolutions-COG4': 'A sign-in step is called before the caller holds a Cognito token; Cognito itself checks what the body presents.',
  }),
  tokenRefresh: (fn) => ({
    'AwsSolutions-APIG4': `Token refresh in the ${SERVICE_NAMES[fn]} function: the caller presents a refresh token in the body (its `
      + 'access token may have expired), which the function hands to Cognito; a refresh token cannot be guessed.',
    'AwsSolutions-COG4': 'Token refresh is called when the caller\'s tokens may have expired; Cognito itself checks the refresh token.',
  }),
  selfAuthorised: (fn) => (fn === 'portal' ? {
    'AwsSolutions-APIG4': 'Authorised in the portal function: it verifies the caller\'s Cognito token itself (signature, issuer, app '
      + 'client, token use, expiry) and, to manage API clients, its group, because a person need not be mapped to an internal '
      + 'id yet on their first portal call, which the Gatehouse authorizer would refuse.',
    'AwsSolutions-COG4': 'The portal function verifies the web app client\'s tokens of the people\'s pool itself (jwtverify); a Cognito '
      + 'authorizer in front would verify the same token a second time and add nothing.',
  } : {
    'AwsSolutions-APIG4': 'Authorised in the refresh function: it verifies the caller\'s Cognito token itself (signature, issuer, app '
      + 'client, token use, expiry): an operator\'s from the people\'s pool\'s web app client, in the administrators\' group, or a '
      + 'partner administrator\'s from the partners\' pool\'s administrators\' client, for its own partner only. Neither is a '
      + 'mapped user the Gatehouse authorizer would admit.',
    'AwsSolutions-COG4': 'The refresh function verifies the tokens of both pools itself (jwtverify), each from its named app client; '
      + 'a Cognito authorizer in front would verify the same token a second time and add nothing.',
  }),
};

/** Access log fields: who, what, and the authorizer's outcome; never a header or body. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  principalId: '$context.authorizer.principalId',
  authorizerStatus: '$context.authorizer.status',
  authorizerLatency: '$context.authorizer.latency',
  authorizerError: '$context.authorizer.error',
  integrationLatency: '$context.integration.latency',
  error: '$context.error.message',
};

/**
 * The sample backend: reads requestContext.authorizer.internalId
 * (authorizer.ContextInternalID) and returns it. Nothing else of the
 * request is echoed.
 */
export const SAMPLE_BACKEND_SOURCE = `exports.handler = async (event) => {
  const ctx = (event && event.requestContext && event.requestContext.authorizer) || {};
  const internalId = typeof ctx.internalId === 'string' ? ctx.internalId : null;
  return {
    statusCode: internalId ? 200 : 500,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(internalId ? { internalId, kind: ctx.kind || '' } : { error: 'no internal id from the authorizer' }),
  };
};
`;

function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

const RETENTION_DAYS = new Set(
  Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number'),
);

function retentionDays(days: number): logs.RetentionDays {
  if (!RETENTION_DAYS.has(days) || days === logs.RetentionDays.INFINITE) {
    throw new Error(`context gatehouse:logRetentionDays: ${days} is not one of CloudWatch's retention periods `
      + `(${[...RETENTION_DAYS].filter((d) => d !== logs.RetentionDays.INFINITE).sort((a, b) => a - b).join(', ')})`);
  }
  return days as logs.RetentionDays;
}
