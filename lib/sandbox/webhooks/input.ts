/** Validation of `POST /__sandbox/webhooks` (`{"url", "secret", "topics"}`) and of the webhook options. */
import { SandboxConfigError } from '../config.ts';
import { isObject } from '../input.ts';
import type { WebhookOptions } from '../types.ts';
import type { SubscriptionInput } from './hub.ts';
import { isTopic } from './topics.ts';

const FIELDS = ['url', 'secret', 'topics'];

export type SubscriptionParse = { ok: true; value: SubscriptionInput } | { ok: false; problems: string[] };

function readUrl(value: unknown, problems: string[]): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    problems.push('url must be an http or https URL');
  return value as string;
}

/** `"*"` or omitted: every topic. Otherwise a non-empty list of 1.x topic names (or `"*"` in it). */
function readTopics(value: unknown, problems: string[]): SubscriptionInput['topics'] {
  if (value === undefined || value === '*') return '*';
  if (!Array.isArray(value)) {
    problems.push('topics must be an array of topic names, or "*"');
    return '*';
  }
  if (value.length === 0) problems.push('topics must name at least one topic');
  value.forEach((topic, i) => {
    if (topic !== '*' && !isTopic(topic))
      problems.push(`topics[${i}] ${JSON.stringify(topic)} is not an Intercom 1.x webhook topic`);
  });
  return value.includes('*') ? '*' : [...new Set(value.filter(isTopic))];
}

export function readSubscription(body: unknown): SubscriptionParse {
  if (!isObject(body)) return { ok: false, problems: ['the subscription must be a JSON object'] };
  const problems: string[] = [];
  for (const key of Object.keys(body))
    if (!FIELDS.includes(key)) problems.push(`${key} is not a subscription field (${FIELDS.join(', ')})`);
  const url = readUrl(body.url, problems);
  // Intercom always signs (with the hub_secret or the app's client secret); an empty key would make
  // every signature forgeable, so the sandbox refuses it rather than send unsigned notifications.
  if (typeof body.secret !== 'string' || body.secret === '')
    problems.push('secret must be a non-empty string');
  const topics = readTopics(body.topics, problems);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { url, secret: body.secret as string, topics } };
}

const isDelay = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 60_000;

/** `SandboxOptions.webhooks`, checked at start-up like the rest of the options. */
export function checkWebhookOptions(options: WebhookOptions | undefined): WebhookOptions | undefined {
  if (!options) return undefined;
  const problems: string[] = [];
  const { retryDelaysMs, timeoutMs } = options;
  if (
    retryDelaysMs !== undefined &&
    (!Array.isArray(retryDelaysMs) || retryDelaysMs.length > 5 || !retryDelaysMs.every(isDelay))
  )
    problems.push('webhooks.retryDelaysMs must list at most 5 integers from 0 to 60000');
  if (timeoutMs !== undefined && (!isDelay(timeoutMs) || timeoutMs === 0))
    problems.push('webhooks.timeoutMs must be an integer from 1 to 60000');
  if (problems.length > 0) throw new SandboxConfigError(problems);
  return options;
}
