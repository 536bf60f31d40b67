/**
 * Intercom's `error.list` errors. Codes come from the reference's error-code table:
 * - 401 `unauthorized`: no Authorization header, an unknown scheme, an empty token or a Basic password
 *   (legacy app_id:api_key); 401 `token_not_found`: a token that is not the sandbox's token.
 * - 400 `intercom_version_invalid`: an Intercom-Version header other than 1.0-1.4.
 * - 400 `invalid_document`: a body that is not JSON, or not a JSON object where one is required.
 * - 400 `parameter_not_found` (required parameter missing), `parameter_invalid` (bad value),
 *   `type_mismatch` (wrong JSON type), `bad_request` (the 10,000-record page cap), `scroll_exists`.
 * - 404 `not_found` (also for unknown routes and expired or finished scroll_params),
 *   `company_not_found`, `admin_not_found`, `team_not_found`.
 * - 405 `unsupported` (known path, wrong method), 403 `action_forbidden`, 409 `conflict`,
 *   429 `rate_limit_exceeded`, 500 `server_error`, 503 `service_unavailable`.
 *
 * `conflict` (several users share the email a call names a user by) is 409 as Intercom answered it in
 * the 1.x era: `GET /users?email=` "resulted in a 409 Conflict response" (intercom-php #273, 2019-02)
 * and so did `POST /users` by email (intercom-php #290, 2019-10); Intercom's 1.x error pages list 409
 * for it. The 400 of intercom-node #96 (2016) and intercom-ruby #119 (2014) predates API versions.
 */
import { randomBytes } from 'node:crypto';

export class SandboxHttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    field?: string,
    headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'SandboxHttpError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.headers = headers ?? {};
  }
}

export function errorList(requestId: string, code: string, message: string, field?: string) {
  return {
    type: 'error.list',
    request_id: requestId,
    errors: [field === undefined ? { code, message } : { code, message, field }],
  };
}

/** Intercom request ids are 20 lower-case base-32 characters. */
export function newRequestId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuv';
  let id = '';
  for (const byte of randomBytes(20)) id += alphabet[byte & 31];
  return id;
}

export const missing = (field: string, message = `${field} is a required parameter`) =>
  new SandboxHttpError(400, 'parameter_not_found', message, field);

export const invalid = (field: string, message: string) =>
  new SandboxHttpError(400, 'parameter_invalid', message, field);

export const typeMismatch = (field: string, expected: string) =>
  new SandboxHttpError(400, 'type_mismatch', `${field} must be ${expected}`, field);

export const notFound = (message: string, code = 'not_found') => new SandboxHttpError(404, code, message);

export const conflict = (message: string) => new SandboxHttpError(409, 'conflict', message);
