/**
 * The console's generated module is what its sources build to (npm run build:console), its script
 * and stylesheet stay within the size budget, and the meta function serves them as the issue asks:
 * gzipped when accepted, hashed names cached for a year, the page revalidated and under a strict CSP.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import { CONSOLE_ASSETS, CONSOLE_PAGE } from '../../lib/console/generated/assets.ts';
import { acceptsGzip, CONSOLE_CSP, consoleResponse } from '../../lib/console/serve.ts';
import { consoleBundle, GENERATED_MODULE } from '../../scripts/console-bundle.ts';

describe('the console bundle', () => {
  it('is up to date with lib/console/app (npm run build:console)', async () => {
    const bundle = await consoleBundle();
    expect(readFileSync(GENERATED_MODULE, 'utf8')).toBe(bundle.module);
  }, 20_000);

  it('weighs at most 30 KB of JavaScript and CSS gzipped', () => {
    const gzipped = Object.values(CONSOLE_ASSETS).reduce(
      (sum, asset) => sum + gzipSync(asset.text, { level: 9 }).length,
      0,
    );
    expect(gzipped).toBeLessThanOrEqual(30 * 1024);
  });

  it('has no inline script or style on its page', () => {
    expect(CONSOLE_PAGE).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(CONSOLE_PAGE).not.toMatch(/<style|\sstyle=/);
    for (const name of Object.keys(CONSOLE_ASSETS)) expect(CONSOLE_PAGE).toContain(`console/${name}`);
  });
});

describe('serving the console', () => {
  const [script] = Object.keys(CONSOLE_ASSETS).filter((name) => name.endsWith('.js'));

  it('gzips when the client accepts it, and caches hashed assets for a year', async () => {
    const answer = (await consoleResponse(script, 'gzip, deflate, br'))!;
    expect(answer.headers).toMatchObject({
      'content-type': 'text/javascript; charset=utf-8',
      'content-encoding': 'gzip',
      'cache-control': 'public, max-age=31536000, immutable',
      vary: 'accept-encoding',
    });
    expect(answer.isBase64Encoded).toBe(true);
    expect(gunzipSync(Buffer.from(answer.body, 'base64')).toString('utf8')).toBe(
      CONSOLE_ASSETS[script!]!.text,
    );
  });

  it('sends plain text to a client that does not accept gzip', async () => {
    for (const header of [undefined, 'identity', 'gzip;q=0, br']) {
      const answer = (await consoleResponse(script, header))!;
      expect([answer.isBase64Encoded, answer.headers['content-encoding']]).toEqual([false, undefined]);
      expect(answer.body).toBe(CONSOLE_ASSETS[script!]!.text);
    }
  });

  it('serves the page revalidated, under a CSP without inline code or frames', async () => {
    const page = (await consoleResponse(undefined, undefined))!;
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(CONSOLE_CSP).not.toContain('unsafe');
  });

  it('knows no other asset', async () => {
    expect(await consoleResponse('app.js', 'gzip')).toBeUndefined();
    expect(await consoleResponse('../openapi.json', 'gzip')).toBeUndefined();
  });

  it.each([
    ['gzip', true],
    ['br, gzip;q=0.5', true],
    ['*', true],
    ['gzip;q=0', false],
    ['br', false],
    ['', false],
  ])('reads Accept-Encoding %j as gzip %s', (header, accepted) => {
    expect(acceptsGzip(header)).toBe(accepted);
  });
});
