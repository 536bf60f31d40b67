/**
 * The Lambda handler of one operation group: `POST /actions/{operation}`. A function file only picks
 * its group and validators; the middleware order is the contract's: headers, request id, auth,
 * operation and scope, body, validation, the call, and one error shape for every failure.
 */

import { executeAction, ResultsPathError } from '../actions/execute.ts';
import { keyRing } from '../auth/api-keys.ts';
import type { Group } from '../catalog/index.ts';
import { protectConfigSecrets } from '../config/secrets.ts';
import { type Configured, sourceOf } from '../config/source.ts';
import type { AppConfig } from '../config/types.ts';
import { ownLogContext } from '../observability/logger.ts';
import { LIST_BUDGET_BYTES } from '../validation/response-size.ts';
import type { ValidatorMap } from '../validation/validate.ts';
import { type ClientFactory, workspaceClients } from '../workspaces/clients.ts';
import { HttpError } from './errors.ts';
import { apiKeyAuth } from './middleware/auth.ts';
import { errorResponse } from './middleware/error-response.ts';
import { DEFAULT_MAX_BODY_BYTES, jsonBody } from './middleware/json-body.ts';
import { resolveOperation } from './middleware/operation.ts';
import { validateOperationInput } from './middleware/validate.ts';
import { httpPipeline } from './pipeline.ts';
import { jsonResponse } from './response.ts';

export interface ActionHandlerOptions {
  maxBodyBytes?: number;
  /** Tests inject clients bound to a MockAgent. */
  createClient?: ClientFactory;
}

/** Leaves the Lambda time to answer after the last Intercom call. */
const RESPONSE_MARGIN_MS = 1_500;

export function createActionHandler(
  group: Group,
  validators: ValidatorMap,
  config: Configured<AppConfig>,
  options: ActionHandlerOptions = {},
) {
  const source = sourceOf(config);
  // Once per configuration: a rotated token gets a new client, a revoked key leaves the ring.
  const current = source.derive((c) => {
    protectConfigSecrets(c);
    return { ring: keyRing(c.apiKeys), clientFor: workspaceClients(c, options.createClient) };
  });
  // Now, so the secrets are masked before the first log line.
  current();
  const maxBodyBytes = options.maxBodyBytes ?? (Number(process.env.MAX_BODY_BYTES) || DEFAULT_MAX_BODY_BYTES);

  return ownLogContext(
    httpPipeline(source)
      .use(apiKeyAuth(() => current().ring))
      .use(resolveOperation(group))
      .use(jsonBody(maxBodyBytes))
      .use(validateOperationInput(validators))
      .use(errorResponse())
      .handler(async (_event, context) => {
        const op = context.operation!;
        const remaining = context.getRemainingTimeInMillis?.();
        const hardDeadline = remaining ? Date.now() + remaining - RESPONSE_MARGIN_MS : undefined;
        try {
          const result = await executeAction(
            current().clientFor(context.apiKey!.workspace),
            op,
            context.input ?? {},
            {
              requestId: context.requestId,
              // No middy abort signal: it only fires with timeoutEarlyInMillis, which the pipeline turns
              // off, and passing it costs a listener per request; the deadline below bounds the call.
              maxBytes: LIST_BUDGET_BYTES,
              ...(hardDeadline ? { hardDeadline } : {}),
            },
          );
          const body: Record<string, unknown> = { data: result.data };
          if (result.next !== undefined) body.next = result.next;
          body.requestId = context.requestId;
          return jsonResponse(result.status, body);
        } catch (error) {
          if (error instanceof ResultsPathError) {
            throw new HttpError(400, 'validation_failed', 'Invalid parameters', {
              details: [{ path: '/resultsPath', message: error.message }],
            });
          }
          throw error;
        }
      }),
  );
}
