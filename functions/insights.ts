// The "insights" operations behind POST /actions/{operation}. Configuration loads at init (a missing setting fails the cold start, not a request) and follows the secrets (lib/config/source.ts).
import { appConfigSource } from '../lib/config/source.ts';
import { createActionHandler } from '../lib/http/action-handler.ts';
import * as validators from '../lib/validation/generated/insights.ts';

export const handler = createActionHandler('insights', validators, await appConfigSource());
