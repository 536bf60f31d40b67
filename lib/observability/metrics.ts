import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AttemptInfo } from '../intercom/client.ts';

let shared: Metrics | undefined;

const ignore = () => undefined;
const quiet = { trace: ignore, debug: ignore, info: ignore, warn: ignore, error: ignore };

/** The process's EMF metrics (Powertools); `POWERTOOLS_METRICS_DISABLED=true` turns them off locally. */
export function metrics(): Metrics {
  shared ??= new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'IntercomActions',
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'intercom-actions',
    // Locally every function shares this process and one flush can take another's metrics, which
    // Powertools reports as "no metrics" noise; with metrics off there is nothing to warn about.
    ...(process.env.POWERTOOLS_METRICS_DISABLED === 'true' ? { logger: quiet } : {}),
  });
  return shared;
}

/** Records one Intercom attempt: latency, 429s and the rate-limit headroom the bulk workers budget on. */
export function recordIntercomAttempt(info: AttemptInfo): void {
  const m = metrics();
  m.addMetric('IntercomLatency', MetricUnit.Milliseconds, info.durationMs);
  if (info.status === 429) m.addMetric('IntercomRateLimited', MetricUnit.Count, 1);
  if (info.rateLimit) m.addMetric('IntercomRateLimitRemaining', MetricUnit.Count, info.rateLimit.remaining);
}

export function recordRequest(statusCode: number, errorCode: string | undefined): void {
  const m = metrics();
  m.addMetric('Requests', MetricUnit.Count, 1);
  if (errorCode) {
    const single = m.singleMetric();
    single.addDimension('ErrorCode', errorCode);
    single.addMetric('Errors', MetricUnit.Count, 1);
  }
  if (statusCode >= 500) m.addMetric('ServerErrors', MetricUnit.Count, 1);
}

export { MetricUnit };
