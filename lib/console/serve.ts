/**
 * The web console's page and assets as HTTP answers (served by the meta function, identical under
 * `npm start` and on AWS). HTTP APIs do not compress, so an answer is gzipped here when the client
 * accepts it (compressed once per container). Asset names carry their content's hash: they are
 * cached for a year; the page, which names them, is revalidated on every load.
 */
import { CONSOLE_ASSETS, CONSOLE_PAGE } from './generated/assets.ts';

export interface ConsoleAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

/**
 * The page's policy: its own scripts, styles and API only; no inline code, no frames, no forms posted
 * elsewhere. Download links (presigned S3 URLs) are navigations, which `connect-src` does not govern.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

interface Entry {
  type: string;
  text: string;
  cache: string;
  gzipped?: string;
}

const entries = new Map<string, Entry>([
  ['', { type: 'text/html; charset=utf-8', text: CONSOLE_PAGE, cache: 'no-cache' }],
  ...Object.entries(CONSOLE_ASSETS).map(([name, asset]): [string, Entry] => [
    name,
    { type: asset.type, text: asset.text, cache: 'public, max-age=31536000, immutable' },
  ]),
]);

/** Whether `Accept-Encoding` allows gzip (`q=0` refuses it). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * `asset` undefined: the page. Undefined for an asset this build does not have. zlib is loaded on
 * the first console request, not when the meta function starts (its cold start serves the API).
 */
export async function consoleResponse(
  asset: string | undefined,
  acceptEncoding: string | undefined,
): Promise<ConsoleAnswer | undefined> {
  const entry = entries.get(asset ?? '');
  if (!entry) return undefined;
  const headers: Record<string, string> = {
    'content-type': entry.type,
    'cache-control': entry.cache,
    vary: 'accept-encoding',
    ...PAGE_HEADERS,
  };
  if (!acceptsGzip(acceptEncoding))
    return { statusCode: 200, headers, body: entry.text, isBase64Encoded: false };
  if (entry.gzipped === undefined) {
    const { gzipSync } = await import('node:zlib');
    entry.gzipped = gzipSync(entry.text, { level: 9 }).toString('base64');
  }
  return {
    statusCode: 200,
    headers: { ...headers, 'content-encoding': 'gzip' },
    body: entry.gzipped,
    isBase64Encoded: true,
  };
}
