/**
 * The floor of the exports benchmark (bench/exports.ts), in a process of its own so it adds nothing
 * to the stack's memory or CPU: the sandbox's scroll read one page after another with nothing done
 * between pages but parsing. Its time per page beyond the latency is the sandbox's (building and
 * sending 100 KB a page on this machine) and the loopback's, which a real Intercom counts in its
 * latency: what an export takes beyond the floor is ours. Forked with the sandbox's URL and token;
 * sends `{ pages, seconds }` and exits.
 */
import { request } from 'undici';

const [sandboxUrl, token] = process.argv.slice(2) as [string, string];
const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
let param: string | undefined;
let pages = 0;
const started = performance.now();
for (;;) {
  const query = param === undefined ? '' : `?scroll_param=${encodeURIComponent(param)}`;
  const res = await request(`${sandboxUrl}/users/scroll${query}`, { headers });
  const page = (await res.body.json()) as { users?: unknown[]; scroll_param?: string };
  // An empty page ends the scroll and closes it, so an export after this finds none open.
  if (!page.users?.length || !page.scroll_param) break;
  pages++;
  param = page.scroll_param;
}
process.send!({ pages, seconds: (performance.now() - started) / 1000 }, () => process.exit(0));
