/**
 * Reading JSON request bodies as what they are. JSON between systems is UTF-8 (RFC 8259): a body
 * declared in another charset would be misread as UTF-8, so it is refused (415); bytes that are not
 * UTF-8 are not JSON (400, where U+FFFD would otherwise stand in for them); a UTF-8 byte order mark
 * is tolerated and skipped.
 */
import { DomainError } from '../errors.ts';

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json$/i;
const PARAMETER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)=("(?:[^"\\]|\\.)*"|[^";]*)$/s;

export interface MediaType {
  /** `type/subtype`, lower-cased. */
  type: string;
  /** Every `charset` parameter, lower-cased and unquoted (normally none or one). */
  charsets: string[];
}

/** Splits on `;` outside quoted strings. */
function parts(header: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const c = header[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ';' && !quoted) {
      out.push(header.slice(start, i));
      start = i + 1;
    }
  }
  out.push(header.slice(start));
  return out.map((part) => part.trim());
}

export function parseMediaType(header: string): MediaType {
  const [type = '', ...parameters] = parts(header);
  const charsets: string[] = [];
  for (const parameter of parameters) {
    const [, name = '', value = ''] = PARAMETER.exec(parameter) ?? [];
    if (name.toLowerCase() !== 'charset') continue;
    charsets.push(
      (value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/gs, '$1') : value).trim().toLowerCase(),
    );
  }
  return { type: type.toLowerCase(), charsets };
}

/** Whether a charset label names UTF-8 (WHATWG labels: `utf-8`, `utf8`, `unicode-1-1-utf-8`...). */
function isUtf8(label: string): boolean {
  try {
    return new TextDecoder(label).encoding === 'utf-8';
  } catch {
    return false; // not a charset this runtime knows
  }
}

/**
 * 415 `unsupported_media_type` unless the header allows a UTF-8 body: no charset, or UTF-8 (two
 * charsets: which one the sender meant is anyone's guess). With `json`, the type must also be JSON
 * (`application/json`, `application/*+json`).
 */
export function checkJsonContentType(header: string | undefined, options: { json: boolean }): void {
  const media = parseMediaType(header ?? '');
  if (options.json && !JSON_TYPE.test(media.type)) {
    throw new DomainError(
      'unsupported_media_type',
      'Send the body as JSON with "content-type: application/json"',
    );
  }
  const [charset, ...more] = media.charsets;
  if (charset !== undefined && (more.length > 0 || !isUtf8(charset))) {
    throw new DomainError(
      'unsupported_media_type',
      `Send the body in UTF-8 ("charset=utf-8", or no charset), not "${media.charsets.join(', ').slice(0, 60)}"`,
    );
  }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The body as text: bytes are decoded as strict UTF-8 (400 `invalid_json` otherwise); a text body
 * (already decoded by API Gateway) is taken as it is. A leading byte order mark is dropped.
 */
export function jsonText(body: Buffer | string): string {
  if (typeof body === 'string') return body.startsWith('\uFEFF') ? body.slice(1) : body;
  try {
    // ignoreBOM false: the decoder drops a leading UTF-8 BOM itself.
    return STRICT_UTF8.decode(body);
  } catch (error) {
    throw new DomainError('invalid_json', 'The body is not valid UTF-8', { cause: error });
  }
}
