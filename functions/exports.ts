// POST /exports/{operation} and the export endpoints. Authenticates with API keys; never calls Intercom.
import { apiKeysSource } from '../lib/config/source.ts';
import { exportParts, exportSettings } from '../lib/exports/index.ts';
import { ExportService } from '../lib/exports/service.ts';
import { createExportsHandler } from '../lib/http/exports-handler.ts';

const settings = exportSettings();
const parts = exportParts(settings);

export const handler = createExportsHandler(
  await apiKeysSource(),
  new ExportService({ ...parts, urlSeconds: settings.urlSeconds }),
);
