// The "users" operations behind POST /actions/{operation}. Configuration loads at init (a missing setting fails the cold start, not a request) and follows the secrets (lib/config/source.ts).
import { appConfigSource } from '../lib/config/source.ts';
import { createActionHandler } from '../lib/http/action-handler.ts';
import * as validators from '../lib/validation/generated/users.ts';

export const handler = createActionHandler('users', validators, await appConfigSource());
