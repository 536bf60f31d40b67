/**
 * Loop guard, first half: who caused a notification. A bot that replied on conversation.admin.replied
 * once replied to itself forever (engineering notes), so rules skip the bot's own writes by default.
 * Writes that carry no author (user.*, contact.*, company.*, event.*) are bounded by the per-object run
 * cap instead (`maxRunsPerObject`, enforced by the worker's store).
 */
import { isObject } from './reader.ts';
import type { Author, Notification, RunCap } from './types.ts';

export const DEFAULT_RUN_CAP: Readonly<RunCap> = Object.freeze({ count: 3, windowSeconds: 600 });

function asAuthor(value: unknown): Author | undefined {
  if (!isObject(value)) return undefined;
  const { type, id } = value;
  if (typeof type !== 'string' || (typeof id !== 'string' && typeof id !== 'number')) return undefined;
  return { type, id: String(id) };
}

/**
 * The author of the change, when the item names one:
 * - a conversation item: the author of its last conversation part (the reply, note, assignment,
 *   close, open or snooze that caused the notification), else of its `conversation_message` (a
 *   conversation just started, by a user or by an admin);
 * - any other item with an `admin` (`user_tag`: the admin who tagged).
 * The `assignee` is not an author: assigning to the bot must not mute the customer's replies.
 */
export function authorOf(notification: Notification): Author | undefined {
  const item = notification.data?.item;
  if (!isObject(item)) return undefined;
  if (item.type === 'conversation') {
    const list = isObject(item.conversation_parts) ? item.conversation_parts.conversation_parts : undefined;
    if (Array.isArray(list)) {
      for (let i = list.length - 1; i >= 0; i--) {
        const part = list[i];
        const author = isObject(part) ? asAuthor(part.author) : undefined;
        if (author) return author;
      }
    }
    const message = item.conversation_message;
    return isObject(message) ? asAuthor(message.author) : undefined;
  }
  return asAuthor(item.admin);
}

/** The change was made by one of the bot's admins (as an admin or as a bot author). */
export function isOwnWrite(notification: Notification, botAdminIds: readonly string[]): boolean {
  if (botAdminIds.length === 0) return false;
  const author = authorOf(notification);
  return (
    author !== undefined &&
    (author.type === 'admin' || author.type === 'bot') &&
    botAdminIds.includes(author.id)
  );
}
