/**
 * Did a write whose answer was lost happen? For the non-idempotent operations where Intercom 1.x
 * lets us look (a note on the user, a reply in the conversation, an event of the user), the worker
 * checks before deciding: found -> succeeded, certainly absent -> run it again, otherwise
 * `outcome_unknown`. Intercom 1.x has no idempotency keys, so these lookups are the only evidence.
 */
import type { IntercomClient } from '../intercom/client.ts';
import { IntercomError } from '../intercom/errors.ts';

/** `retry`: the lookup itself failed for a passing reason (429, 5xx, network); look again later. */
export type Verification = 'applied' | 'not_applied' | 'unknown' | 'retry';

type Input = Record<string, unknown>;
type Lookup = (
  client: IntercomClient,
  input: Input,
  since: number,
  timeoutMs: number,
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

const note: Lookup = async (client, input, since, timeoutMs) => {
  const body = object(input.body);
  const user = object(body.user);
  const query: Input = {};
  if (user.id ?? user.intercom_user_id) query.id = user.id ?? user.intercom_user_id;
  else if (user.user_id) query.user_id = user.user_id;
  else if (user.email) query.email = user.email;
  else return 'unknown';
  const { data } = await client.call('list_notes_for_user', query, { timeoutMs });
  const wanted = text(body.body);
  const notes = (object(data).notes ?? []) as Input[];
  const found = notes.some(
    (n) => text(n.body) === wanted && Number(n.created_at) >= since / 1000 - SKEW_SECONDS,
  );
  return found ? 'applied' : 'not_applied';
};

const reply: Lookup = async (client, input, since, timeoutMs) => {
  const body = object(input.body);
  // Only replies that add a part with a body can be recognised; closing, assigning... cannot.
  if (!body.body || !['comment', 'note'].includes(String(body.message_type))) return 'unknown';
  const { data } = await client.call(
    'get_conversation',
    { id: String(input.conversation_id) },
    { timeoutMs },
  );
  const parts = (object(object(data).conversation_parts).conversation_parts ?? []) as Input[];
  const wanted = text(body.body);
  const found = parts.some(
    (p) =>
      p.part_type === body.message_type &&
      text(p.body) === wanted &&
      Number(p.created_at) >= since / 1000 - SKEW_SECONDS,
  );
  return found ? 'applied' : 'not_applied';
};

const event: Lookup = async (client, input, _since, timeoutMs) => {
  const body = object(input.body);
  const query: Input = { type: 'user' };
  if (body.user_id) query.user_id = body.user_id;
  else if (body.email) query.email = body.email;
  else if (body.id) query.intercom_user_id = body.id;
  else return 'unknown';
  const { data } = await client.call('list_events_for_user', query, { timeoutMs });
  const events = (object(data).events ?? []) as Input[];
  const found = events.some(
    (e) => e.event_name === body.event_name && Number(e.created_at) === Number(body.created_at),
  );
  return found ? 'applied' : 'not_applied';
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
): Promise<Verification> {
  const lookup = LOOKUPS[operation];
  if (!lookup) return 'unknown';
  try {
    return await lookup(client, input, since, timeoutMs);
  } catch (error) {
    return error instanceof IntercomError && error.retryable ? 'retry' : 'unknown';
  }
}
