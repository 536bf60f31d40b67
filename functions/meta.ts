// GET /health, GET /openapi.json and API Gateway's $default route (the contract's 404s).
import { apiKeysSource } from '../lib/config/source.ts';
import { createMetaHandler } from '../lib/http/meta-handler.ts';

export const handler = createMetaHandler(await apiKeysSource());
