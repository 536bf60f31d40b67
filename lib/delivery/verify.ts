/**
 * Did a write whose answer was lost happen? For the non-idempotent operations where Intercom 1.x
 * lets us look (a note on the user, a reply in the conversation, an event of the user), the worker
 * checks before deciding: found -> succeeded, certainly absent -> run it again, otherwise
 * `outcome_unknown`. Intercom 1.x has no idempotency keys, so these lookups are the only evidence.
 */
import { getOperation } from '../catalog/index.ts';
import type { IntercomClient } from '../intercom/client.ts';
import { IntercomError } from '../intercom/errors.ts';
import { pages } from '../intercom/pagination.ts';

/** `retry`: the lookup itself failed for a passing reason (429, 5xx, network); look again later. */
export type Verification = 'applied' | 'not_applied' | 'unknown' | 'retry';

export interface VerifyOptions {
  /** Called before each page after the first (one Intercom request each); false: no budget now. */
  beforePage?: () => Promise<boolean>;
  now?: () => number;
}

type Input = Record<string, unknown>;
type Lookup = (
  client: IntercomClient,
  input: Input,
  since: number,
  timeoutMs: number,
  options: VerifyOptions,
) => Promise<Verification>;

/** Intercom stores message bodies as HTML: compare the text. */
function text(value: unknown): string {
  return String(value ?? '')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const object = (value: unknown): Input =>
  typeof value === 'object' && value !== null ? (value as Input) : {};
/** Allows for clock skew between this worker and Intercom. */
const SKEW_SECONDS = 5;
/** Pages a lookup reads at most (50 entries each); a write further down is `unknown`. */
export const MAX_LOOKUP_PAGES = 5;
/** Intercom lists a user's events of the last 90 days only; a day less leaves room for skew. */
const EVENTS_LISTED_SECONDS = 89 * 86_400;
/** Intercom returns at most this many parts of a conversation. */
const MAX_PARTS = 500;

/**
 * Reads a newest-first list page by page until `found`, or until its entries are older than
 * `oldest` (unix seconds): `not_applied` only when the whole window was read (the list ended, or an
 * older entry was seen while every page came newest first), `unknown` when the page limit ran out.
 */
async function scan(
  client: IntercomClient,
  operation: string,
  query: Input,
  timeoutMs: number,
  options: VerifyOptions,
  oldest: number,
  found: (entry: Input) => boolean,
): Promise<Verification> {
  // One budget for the whole lookup, however many pages it reads.
  const signal = AbortSignal.timeout(Math.max(1, timeoutMs));
  let read = 0;
  let newestFirst = true;
  let previous = Number.POSITIVE_INFINITY;
  for await (const page of pages(client, getOperation(operation), query, { timeoutMs, signal })) {
    read++;
    let older = false;
    for (const item of page.items) {
      const entry = object(item);
      if (found(entry)) return 'applied';
      const created = Number(entry.created_at);
      if (!Number.isFinite(created) || created > previous) newestFirst = false;
      previous = created;
      if (created < oldest) older = true;
    }
    if (!page.next || page.items.length === 0) return 'not_applied';
    if (older && newestFirst) return 'not_applied';
    if (read >= MAX_LOOKUP_PAGES) return 'unknown';
    if (options.beforePage && !(await options.beforePage())) return 'retry';
  }
  return 'not_applied';
}

function userQuery(user: Input): Input | undefined {
  if (user.id ?? user.intercom_user_id) return { id: user.id ?? user.intercom_user_id };
  if (user.user_id) return { user_id: user.user_id };
  if (user.email) return { email: user.email };
  return undefined;
}

/** The user's notes, newest first, 50 a page: read back to `since` (less the skew). */
const note: Lookup = async (client, input, since, timeoutMs, options) => {
  const body = object(input.body);
  const query = userQuery(object(body.user));
  if (!query) return 'unknown';
  const wanted = text(body.body);
  const oldest = since / 1000 - SKEW_SECONDS;
  return scan(
    client,
    'list_notes_for_user',
    query,
    timeoutMs,
    options,
    oldest,
    (n) => text(n.body) === wanted && Number(n.created_at) >= oldest,
  );
};

/**
 * The conversation with its parts (one request). Intercom returns at most 500 parts: when fewer
 * came than `total_count` says, or the cap was reached, a reply not among them is `unknown`.
 */
const reply: Lookup = async (client, input, since, timeoutMs) => {
  const body = object(input.body);
  // Only replies that add a part with a body can be recognised; closing, assigning... cannot.
  if (!body.body || !['comment', 'note'].includes(String(body.message_type))) return 'unknown';
  const { data } = await client.call(
    'get_conversation',
    { id: String(input.conversation_id) },
    { timeoutMs },
  );
  const list = object(object(data).conversation_parts);
  const parts = Array.isArray(list.conversation_parts) ? (list.conversation_parts as Input[]) : [];
  const wanted = text(body.body);
  const found = parts.some(
    (p) =>
      p.part_type === body.message_type &&
      text(p.body) === wanted &&
      Number(p.created_at) >= since / 1000 - SKEW_SECONDS,
  );
  if (found) return 'applied';
  const total = Number(list.total_count);
  const truncated = parts.length >= MAX_PARTS || (Number.isFinite(total) && total > parts.length);
  return truncated || !Array.isArray(list.conversation_parts) ? 'unknown' : 'not_applied';
};

/**
 * The user's events of the last 90 days, newest first by the event's own `created_at`, 50 a page
 * (`pages.next`: a `before=` cursor): read back to the event's time. An event dated before the
 * listed 90 days can never be seen: `unknown`.
 */
const event: Lookup = async (client, input, _since, timeoutMs, options) => {
  const body = object(input.body);
  const query: Input = { type: 'user' };
  if (body.user_id) query.user_id = body.user_id;
  else if (body.email) query.email = body.email;
  else if (body.id) query.intercom_user_id = body.id;
  else return 'unknown';
  const createdAt = Number(body.created_at);
  if (!Number.isFinite(createdAt)) return 'unknown';
  const nowSeconds = (options.now ?? Date.now)() / 1000;
  if (createdAt < nowSeconds - EVENTS_LISTED_SECONDS) return 'unknown';
  return scan(
    client,
    'list_events_for_user',
    query,
    timeoutMs,
    options,
    createdAt,
    (e) => e.event_name === body.event_name && Number(e.created_at) === createdAt,
  );
};

const LOOKUPS: Readonly<Record<string, Lookup>> = {
  create_note: note,
  post_reply: reply,
  create_event: event,
};

export function canVerify(operation: string): boolean {
  return Object.hasOwn(LOOKUPS, operation);
}

/** Looks for the write in Intercom; a lookup that cannot tell is `unknown` (or `retry`), never a guess. */
export async function verifyWrite(
  client: IntercomClient,
  operation: string,
  input: Input,
  since: number,
  timeoutMs: number,
  options: VerifyOptions = {},
): Promise<Verification> {
  const lookup = LOOKUPS[operation];
  if (!lookup) return 'unknown';
  try {
    return await lookup(client, input, since, timeoutMs, options);
  } catch (error) {
    if (error instanceof IntercomError) return error.retryable ? 'retry' : 'unknown';
    // The lookup's own time budget ran out between pages: look again later.
    return (error as { name?: string })?.name === 'TimeoutError' ? 'retry' : 'unknown';
  }
}
