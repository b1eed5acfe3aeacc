import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwactions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** authorizer.MetricNamespace: the namespace of the function's embedded metrics. */
export const METRIC_NAMESPACE = 'Gatehouse';
/** The decision reason the function logs when signing keys cannot be had (jwtverify). */
export const KEYS_UNAVAILABLE_REASON = 'keys_unavailable';

/** Thresholds of GatehouseAlarms; each alarm fires on one period over it. */
export interface GatehouseAlarmThresholds {
  /**
   * Decisions that ended in an error (a dependency failed: the answer was
   * 500, never an allow), per period.
   * @default 5
   */
  readonly authorizerErrors?: number;
  /**
   * Denials (401 and 403 together) per period: a spike means an attack, a
   * broken client or a misconfigured rule.
   * @default 500
   */
  readonly denials?: number;
  /**
   * p99 decision latency (the function's own measure, milliseconds).
   * @default 1000
   */
  readonly latencyP99Millis?: number;
  /**
   * Decisions refused because the pool's signing keys could not be fetched
   * (keys_unavailable), per period.
   * @default 1
   */
  readonly jwksFailures?: number;
  /**
   * Errors of the portal and partner functions (Lambda Errors: crashes and
   * time-outs), and 5xx answers of the API, per period.
   * @default 5
   */
  readonly service5xx?: number;
  /** @default 5 minutes */
  readonly period?: Duration;
}

export interface GatehouseAlarmsProps extends GatehouseAlarmThresholds {
  /** The authorizer's log group: the JWKS alarm counts its keys_unavailable lines. */
  readonly authorizerLogGroup: logs.ILogGroup;
  /** The portal and partner functions, by name used in the alarm ids. */
  readonly serviceFunctions?: Record<string, lambda.IFunction>;
  /** The REST API: its 5XXError metric (answers the functions or the authorizer turned into 5xx). */
  readonly restApi?: apigw.IRestApi;
  /** Notified when an alarm fires and when it clears. @default none */
  readonly topic?: sns.ITopic;
}

/**
 * CloudWatch alarms on what the authorizer and the services report: errors,
 * a spike in denials, p99 decision latency, JWKS fetch failures, and 5xx of
 * the portal and partner functions. Missing data is not breaching: a quiet
 * API raises nothing.
 */
export class GatehouseAlarms extends Construct {
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: GatehouseAlarmsProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const emf = (metricName: string, statistic: string) => new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE, metricName, statistic, period, dimensionsMap: { Service: 'authorizer' },
    });
    const add = (alarmId: string, description: string, metric: cloudwatch.IMetric, threshold: number) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      if (props.topic) {
        alarm.addAlarmAction(new cwactions.SnsAction(props.topic));
        alarm.addOkAction(new cwactions.SnsAction(props.topic));
      }
      this.alarms.push(alarm);
      return alarm;
    };

    add('AuthorizerErrors', 'Gatehouse authorizer: decisions that failed on a dependency (answered 500)',
      emf('Error', 'Sum'), props.authorizerErrors ?? 5);
    add('Denials', 'Gatehouse authorizer: spike in denials (401 and 403)',
      new cloudwatch.MathExpression({
        expression: 'unauthorized + forbidden',
        usingMetrics: { unauthorized: emf('Unauthorized', 'Sum'), forbidden: emf('Forbidden', 'Sum') },
        period,
        label: 'Denials',
      }), props.denials ?? 500);
    add('LatencyP99', 'Gatehouse authorizer: p99 decision latency (ms)',
      emf('Latency', 'p99'), props.latencyP99Millis ?? 1000);

    const jwks = new logs.MetricFilter(this, 'JwksFailuresFilter', {
      logGroup: props.authorizerLogGroup,
      filterPattern: logs.FilterPattern.stringValue('$.reason', '=', KEYS_UNAVAILABLE_REASON),
      metricNamespace: METRIC_NAMESPACE,
      metricName: 'JwksFailures',
      metricValue: '1',
      defaultValue: 0,
    });
    add('JwksFailures', 'Gatehouse authorizer: tokens refused because the signing keys could not be fetched',
      jwks.metric({ statistic: 'Sum', period }), props.jwksFailures ?? 1);

    for (const [name, fn] of Object.entries(props.serviceFunctions ?? {})) {
      add(`${name}Errors`, `Gatehouse ${name}: function errors (crashes, time-outs)`,
        fn.metricErrors({ period, statistic: 'Sum' }), props.service5xx ?? 5);
    }
    if (props.restApi) {
      add('Api5xx', 'Gatehouse API: 5xx answers',
        new cloudwatch.Metric({
          namespace: 'AWS/ApiGateway', metricName: '5XXError', statistic: 'Sum', period,
          dimensionsMap: { ApiName: props.restApi.restApiName },
        }), props.service5xx ?? 5);
    }
  }
}
