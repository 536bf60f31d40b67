import { protectConfigSecrets } from '../config/secrets.ts';
import { type Configured, sourceOf } from '../config/source.ts';
import { logger, ownLogContext } from '../observability/logger.ts';
import { MetricUnit, metrics } from '../observability/metrics.ts';
import { type IntakeDeps, receiveWebhook } from '../webhooks/intake.ts';
import { HttpError } from './errors.ts';
import { errorResponse } from './middleware/error-response.ts';
import { httpPipeline } from './pipeline.ts';
import { jsonResponse } from './response.ts';

/** Intercom notifications are a few KB; SQS takes 256 KiB per message with our envelope. */
export const DEFAULT_WEBHOOK_BODY_BYTES = 200 * 1024;

export type WebhookHandlerDeps = Omit<IntakeDeps, 'config'> & { config: Configured<IntakeDeps['config']> };

export function createWebhookHandler(deps: WebhookHandlerDeps, maxBodyBytes = DEFAULT_WEBHOOK_BODY_BYTES) {
  const source = sourceOf(deps.config);
  // Once per configuration: the webhook secrets of a refreshed secret are masked too.
  const current = source.derive((config) => {
    protectConfigSecrets(config);
    return { ...deps, config };
  });
  current();
  return ownLogContext(
    httpPipeline(source)
      .use(errorResponse())
      .handler(async (event) => {
        const raw = event.body ?? '';
        // API Gateway base64-encodes bodies it does not take for text; the signature is over the bytes.
        const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
        if (body.byteLength > maxBodyBytes) {
          throw new HttpError(
            413,
            'payload_too_large',
            `The body is ${body.byteLength} bytes; the limit is ${maxBodyBytes}`,
          );
        }
        const outcome = await receiveWebhook(current(), body, {
          hub: event.headers?.['x-hub-signature'],
          body: event.headers?.['x-body-signature'],
          contentType: event.headers?.['content-type'],
        });
        if (outcome.kind === 'lifecycle') return jsonResponse(200, { received: true });
        metrics().addMetric(
          outcome.kind === 'duplicate' ? 'WebhooksDuplicate' : 'WebhooksReceived',
          MetricUnit.Count,
          1,
        );
        logger().info('webhook', {
          notificationId: outcome.notificationId,
          topic: outcome.topic,
          outcome: outcome.kind,
        });
        return jsonResponse(200, {
          received: true,
          ...(outcome.kind === 'duplicate' ? { duplicate: true } : {}),
        });
      }),
  );
}
