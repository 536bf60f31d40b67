/**
 * Intercom's authentication: `Authorization: Bearer <token>`, or HTTP Basic with the token as the user
 * name and an empty password. No header, another scheme, an empty token or a Basic password (the
 * retired app_id:api_key keys) is 401 `unauthorized`; a token that is not the sandbox's is 401
 * `token_not_found`. The Intercom-Version header must be 1.0-1.4 (400 `intercom_version_invalid`).
 */
import { SandboxHttpError } from './errors.ts';
import { type IntercomVersion, VERSIONS } from './types.ts';

const unauthorized = (message: string) => new SandboxHttpError(401, 'unauthorized', message);

function presentedToken(header: string | undefined): string {
  if (!header) throw unauthorized('Access Token Invalid: send Authorization: Bearer <token>');
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const value = space < 0 ? '' : header.slice(space + 1).trim();
  if (scheme === 'bearer') {
    if (!value) throw unauthorized('Access Token Invalid: the bearer token is empty');
    return value;
  }
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    if (password !== '')
      throw unauthorized(
        'API keys are not supported: send the access token as the Basic user name, no password',
      );
    if (!user) throw unauthorized('Access Token Invalid: the Basic user name is empty');
    return user;
  }
  throw unauthorized('Access Token Invalid: use the Bearer or Basic scheme');
}

/** Throws the 401 Intercom answers unless the header carries the accepted token (any, when unset). */
export function authenticate(header: string | undefined, token: string | undefined): void {
  const presented = presentedToken(header);
  if (token !== undefined && presented !== token)
    throw new SandboxHttpError(401, 'token_not_found', 'Access Token Invalid');
}

export function resolveVersion(header: string | undefined, fallback: IntercomVersion): IntercomVersion {
  if (header === undefined) return fallback;
  const value = header.trim();
  if ((VERSIONS as readonly string[]).includes(value)) return value as IntercomVersion;
  throw new SandboxHttpError(
    400,
    'intercom_version_invalid',
    `Requested version ${JSON.stringify(header)} is not valid. This sandbox serves ${VERSIONS.join(', ')}`,
  );
}
