// POST /bulk/{operation} and the bulk job endpoints. Authenticates with API keys; never calls Intercom, so it cannot read the tokens.
import { bulkParts, bulkSettings } from '../lib/bulk/index.ts';
import { BulkService } from '../lib/bulk/service.ts';
import { apiKeysSource } from '../lib/config/source.ts';
import { createBulkHandler, DEFAULT_BULK_BODY_BYTES } from '../lib/http/bulk-handler.ts';
import * as validators from '../lib/validation/generated/index.ts';

const settings = bulkSettings();
const parts = bulkParts(settings);

export const handler = createBulkHandler(await apiKeysSource(), new BulkService({ ...parts, validators }), {
  maxItems: settings.maxItemsPerRequest,
  maxBodyBytes: Number(process.env.BULK_MAX_BODY_BYTES) || DEFAULT_BULK_BODY_BYTES,
});
