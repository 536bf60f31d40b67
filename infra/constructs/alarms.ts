import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlarmsProps {
  stage: string;
  api: HttpApi;
  functions: Readonly<Record<string, IFunction>>;
  /** The EMF namespace and service the functions publish to. */
  metricsNamespace: string;
  serviceName: string;
  alarmEmail?: string;
}

/**
 * Alarms on what hurts users: API 5xx rate, Lambda errors and throttles, Intercom 429s; all notify one
 * SNS topic (subscribe email, chat or paging to it). A dashboard shows the same signals.
 */
export class Alarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  readonly #action: SnsAction;
  readonly #metricsNamespace: string;
  readonly #serviceName: string;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.#metricsNamespace = props.metricsNamespace;
    this.#serviceName = props.serviceName;
    this.topic = new Topic(this, 'Topic', {
      displayName: `intercom-actions ${props.stage} alarms`,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    this.#action = new SnsAction(this.topic);
    const add = (alarm: Alarm) => this.watch(alarm);
    const period = Duration.minutes(5);

    const serverErrorRate = new MathExpression({
      expression: 'IF(requests > 20, 100 * errors / requests, 0)',
      usingMetrics: {
        errors: props.api.metricServerError({ period }),
        requests: props.api.metricCount({ period }),
      },
      period,
      label: 'API 5xx %',
    });
    add(
      new Alarm(this, 'Api5xxRate', {
        alarmDescription: 'More than 5% of API requests answered 5xx over 10 minutes',
        metric: serverErrorRate,
        threshold: 5,
        evaluationPeriods: 2,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );

    const rateLimited = new Metric({
      namespace: props.metricsNamespace,
      metricName: 'IntercomRateLimited',
      dimensionsMap: { service: props.serviceName },
      statistic: 'Sum',
      period,
    });
    add(
      new Alarm(this, 'Intercom429s', {
        alarmDescription:
          "Intercom answered 429 (rate limit) 10+ times in 5 minutes: the workspace's budget is being exceeded",
        metric: rateLimited,
        threshold: 10,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );

    for (const [name, fn] of Object.entries(props.functions)) {
      const errorRate = new MathExpression({
        expression: 'IF(invocations > 10, 100 * errors / invocations, 0)',
        usingMetrics: { errors: fn.metricErrors({ period }), invocations: fn.metricInvocations({ period }) },
        period,
        label: `${name} error %`,
      });
      add(
        new Alarm(this, `${name}ErrorRate`, {
          alarmDescription: `${name}: more than 2% of invocations failed (unhandled errors, timeouts)`,
          metric: errorRate,
          threshold: 2,
          evaluationPeriods: 2,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
      add(
        new Alarm(this, `${name}Throttles`, {
          alarmDescription: `${name}: Lambda throttled invocations (concurrency limit reached)`,
          metric: fn.metricThrottles({ period }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `intercom-actions-${props.stage}`,
      widgets: [
        [
          new GraphWidget({
            title: 'API requests and 5xx',
            left: [props.api.metricCount(), props.api.metricServerError(), props.api.metricClientError()],
          }),
          new GraphWidget({
            title: 'API latency (p50, p99)',
            left: [
              props.api.metricLatency({ statistic: 'p50' }),
              props.api.metricLatency({ statistic: 'p99' }),
            ],
          }),
        ],
        [
          new GraphWidget({
            title: 'Intercom latency (p50, p99)',
            left: [
              this.serviceMetric('IntercomLatency', 'p50'),
              this.serviceMetric('IntercomLatency', 'p99'),
            ],
          }),
          new GraphWidget({
            title: 'Intercom rate-limit headroom and 429s',
            left: [this.serviceMetric('IntercomRateLimitRemaining', 'Minimum')],
            right: [this.serviceMetric('IntercomRateLimited')],
          }),
        ],
        [
          new GraphWidget({
            title: 'Lambda errors',
            left: Object.values(props.functions).map((fn) => fn.metricErrors()),
          }),
        ],
      ],
    });
  }

  /** A metric the functions publish (EMF), per minute, for the dashboard. */
  serviceMetric(metricName: string, statistic = 'Sum', dimensions: Record<string, string> = {}): Metric {
    return new Metric({
      namespace: this.#metricsNamespace,
      metricName,
      dimensionsMap: { service: this.#serviceName, ...dimensions },
      statistic,
      period: Duration.minutes(1),
    });
  }

  /** Notifies the topic when `alarm` fires and when it clears. */
  watch(alarm: Alarm): void {
    alarm.addAlarmAction(this.#action);
    alarm.addOkAction(this.#action);
    this.alarms.push(alarm);
  }
}
