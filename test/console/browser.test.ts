/**
 * The web console in a real browser (headless Chromium shipped in @sparticuz/chromium, driven by
 * puppeteer-core) against the real local stack: key entry (kept in neither the URL nor
 * localStorage), a job submitted through the API followed to completion and its failures retried,
 * a run opened from the filtered run list, an export's download link, the operation form's field
 * error; axe-core on every page (serious or critical violations fail) and no Content-Security-Policy
 * violation anywhere. One browser for the file; every wait is on a state, never a retry. A browser
 * that cannot start fails the suite. Screenshots go to test-results/console/ (git-ignored).
 */
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

const SHOTS = new URL('../../test-results/console/', import.meta.url);
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WAIT = { timeout: 20_000 };
/** Where the page could keep the key: its address and both storages. */
const STORED =
  '({ url: location.href, local: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }) })';

let t: BulkTestStack;
let browser: Browser;
let page: Page;
const cspViolations: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  t = await startBulkTestStack();
  browser = await puppeteer.launch({
    args: chromium.args,
    executablePath: await chromium.executablePath(),
    headless: true,
    defaultViewport: { width: 1280, height: 900 },
  });
  page = await browser.newPage();
  page.on('console', (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  await page.exposeFunction('reportCspViolation', (text: string) => cspViolations.push(text));
  // In the page, before its own scripts (the test's code runs under Node's types: a string).
  await page.evaluateOnNewDocument(`document.addEventListener('securitypolicyviolation', (e) =>
    window.reportCspViolation(e.violatedDirective + ' blocked ' + e.blockedURI))`);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** axe-core on the page as it stands: serious and critical violations fail, with what they are. */
async function accessible(name: string): Promise<void> {
  await page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname as `${string}.png`, fullPage: true });
  if (!(await page.evaluate("'axe' in window"))) await page.evaluate(AXE);
  const violations = (await page.evaluate(`axe.run().then((result) => result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))`)) as string[];
  expect({ page: name, violations }).toEqual({ page: name, violations: [] });
}

const text = (selector: string) => page.$eval(selector, (e) => e.textContent ?? '');
const go = async (hash: string) => {
  await page.click(`nav a[href="${hash}"]`);
  await page.waitForFunction(`location.hash === ${JSON.stringify(hash)}`, WAIT);
};

describe('the web console', () => {
  let jobId: string;

  it('takes the key into session storage only, and shows its workspace and scopes', async () => {
    await page.goto(`${t.stack.url}/console`);
    await page.waitForSelector('#api-key', WAIT);
    await accessible('key-entry');
    await page.type('#api-key', t.stack.apiKey);
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector('#who-workspace', WAIT);
    expect(await text('#who-workspace')).toBe('default');
    expect(await text('#who-scopes')).toBe('read, write, delete, bulk');
    const stored = (await page.evaluate(STORED)) as { url: string; local: string; session: string };
    expect(stored.url).not.toContain(t.stack.apiKey);
    expect(stored.local).not.toContain(t.stack.apiKey);
    expect(stored.session).toContain(t.stack.apiKey);
  }, 30_000);

  it('follows a job submitted through the API to its end, with its throughput and failures', async () => {
    await page.waitForSelector('#jobs-empty, #jobs', WAIT);
    const ids: string[] = [];
    for (const name of ['console-a', 'console-b', 'console-c']) {
      const tag = await t.request('POST', '/actions/create_tag', { body: { name } });
      ids.push(tag.json.data.id);
    }
    // Three tags that exist and two that do not: three items succeed, two fail.
    const job = await t.request('POST', '/bulk/delete_tag', {
      items: [...ids.map((id) => ({ id })), { id: '999999901' }, { id: '999999902' }],
    });
    expect(job.status).toBe(202);
    jobId = job.json.jobId;
    await page.waitForSelector(`tr[data-job="${jobId}"]`, WAIT);
    await page.waitForSelector(`tr[data-job="${jobId}"][data-status="completed_with_errors"]`, WAIT);
    expect(await text(`tr[data-job="${jobId}"] .progress span`)).toBe('5 of 5 done, 2 failed');
    await accessible('jobs');

    await page.click(`tr[data-job="${jobId}"] a`);
    await page.waitForSelector('#job-status[data-status="completed_with_errors"]', WAIT);
    await page.waitForSelector('.chart svg rect.bar', WAIT);
    await page.waitForSelector('details.failures', WAIT);
    expect(await text('#count-succeeded')).toBe('3');
    expect(await text('#count-failed')).toBe('2');
    const groups = await page.$$eval('details.failures', (all) =>
      all.map((d) => ({ code: d.getAttribute('data-code'), rows: d.querySelectorAll('tbody tr').length })),
    );
    expect(groups.reduce((sum, g) => sum + g.rows, 0)).toBe(2);
    expect(await page.$eval('details.failures pre', (e) => e.textContent)).toContain('99999990');
    await accessible('job');
  }, 40_000);

  it('retries the failures behind a confirmation that counts them and warns about repeated writes', async () => {
    expect(await text('#retry')).toBe('Retry failed (2)');
    await page.click('#retry');
    await page.waitForSelector('dialog[open]', WAIT);
    const warning = await text('dialog[open]');
    expect(warning).toContain('Retry 2 failed item(s)?');
    expect(warning).toContain('happens twice');
    await accessible('retry-confirmation');
    await page.click('#retry-confirm');
    await page.waitForSelector('#job-status[data-attempt="2"][data-status="completed_with_errors"]', WAIT);
    expect(await text('p.notice')).toContain('Attempt 2 started: 2 item(s) queued again.');
  }, 30_000);

  it('renders the jobs list soon after navigation (measured, not asserted)', async () => {
    // A new document (not a change of fragment), so the mark is this load's.
    await page.goto('about:blank');
    await page.goto(`${t.stack.url}/console#/jobs`);
    await page.waitForSelector(`tr[data-job="${jobId}"]`, WAIT);
    const ms = await page.evaluate(
      () => performance.getEntriesByName('console:jobs-rendered')[0]?.startTime ?? Number.NaN,
    );
    writeFileSync(new URL('timing.json', SHOTS), JSON.stringify({ navigationToJobsListMs: Math.round(ms) }));
    expect(ms).toBeGreaterThan(0);
  }, 20_000);

  it('opens a run from the filtered run list: its trigger and each action with its Intercom request id', async () => {
    // A user created through the API: the sandbox's webhook runs the example rule that tags by domain.
    const user = await t.request('POST', '/actions/create_update_user', {
      body: { user_id: 'console-grace', email: 'grace@hopper.example' },
    });
    expect(user.status).toBe(200);
    // And a notification no rule matches.
    const body = JSON.stringify({
      type: 'notification_event',
      id: 'notif_console_company',
      topic: 'company.created',
      app_id: 'local',
      created_at: Math.floor(Date.now() / 1000),
      data: { type: 'notification_event_data', item: { type: 'company', id: 'c-console', name: 'Acme' } },
    });
    const secret = t.stack.webhookSecret.split(',')[0]!;
    const signature = `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
    const sent = await fetch(`${t.stack.url}/webhooks/intercom`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature': signature },
      body,
    });
    expect(sent.status).toBe(200);
    await t.stack.automations.workerSource!.drained(20_000);

    await go('#/runs');
    await page.waitForSelector('#runs tr[data-run]', WAIT);
    await page.type('#run-filters input[name="rule"]', 'tag-new-users-by-domain');
    await page.select('#run-filters select[name="outcome"]', 'succeeded');
    await page.click('#run-filters button[type="submit"]');
    await page.waitForFunction(
      `[...document.querySelectorAll('#runs tr[data-run]')].every((r) => r.dataset.outcome === 'succeeded') &&
        document.querySelectorAll('#runs tr[data-run]').length > 0`,
      WAIT,
    );
    expect(await page.$('tr[data-run="notif_console_company"]')).toBeNull();
    await accessible('runs');
    await page.click('#runs tr[data-run] a');
    await page.waitForSelector('#run .rule[data-rule="tag-new-users-by-domain"] table.actions', WAIT);
    expect(await text('#run .facts')).toContain('user.created');
    expect(await text('#run .request-id')).toMatch(/^[a-z0-9]{10,}$/);
    expect(await text('#run table.actions tbody tr')).toMatch(/create_tag.*succeeded.*\d+ ms/s);
    await accessible('run');
  }, 40_000);

  it('lists an export with its status and download link', async () => {
    const created = await t.request('POST', '/exports/scroll_users', {});
    expect(created.status).toBe(202);
    await go('#/exports');
    const row = `tr[data-export="${created.json.exportId}"]`;
    await page.waitForSelector(`${row}[data-status="succeeded"]`, WAIT);
    await page.click(`${row} button`);
    await page.waitForSelector(`${row} a[download]`, WAIT);
    expect(await page.$eval(`${row} a[download]`, (a) => a.getAttribute('href'))).toMatch(/^http/);
    await accessible('exports');
  }, 40_000);

  it("shows the API's error next to the field of the operation form it concerns", async () => {
    await go('#/try');
    await page.waitForSelector('#operation option[value="list_users"]', WAIT);
    await page.select('#operation', 'list_users');
    await page.waitForSelector('#field-created_since', WAIT);
    await page.type('#field-created_since', '-5');
    await page.click('#operation-form button[type="submit"]');
    await page.waitForSelector('#answer[data-status="400"]', WAIT);
    const field = '.field[data-field="created_since"]';
    expect(await text(`${field} .field-error`)).toMatch(/^created_since must be >= 0/);
    expect(await page.$eval('#field-created_since', (e) => e.getAttribute('aria-invalid'))).toBe('true');
    expect(await text('#answer pre')).toContain('"validation_failed"');
    await accessible('try-operation');
  }, 30_000);

  it('kept the key out of the URL and localStorage, and broke no Content-Security-Policy rule', async () => {
    const stored = (await page.evaluate(STORED)) as { url: string; local: string };
    expect(stored.url).not.toContain(t.stack.apiKey);
    expect(stored.local).not.toContain(t.stack.apiKey);
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
