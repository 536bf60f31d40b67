import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Operation } from '../catalog/types.ts';
import type { ApiKeyRecord } from '../config/types.ts';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** What the middlewares learn about a request, on the Lambda context the handler receives. */
export interface ActionContext extends Context {
  requestId: string;
  startedAt: number;
  apiKey?: ApiKeyRecord;
  operation?: Operation;
  /** The parsed JSON body (before validation), then the validated operation input. */
  input?: Record<string, unknown>;
}
