import { describe, expect, it } from '@jest/globals';
import {
  authorOf,
  createRuleEngine,
  isOwnWrite,
  matchingRules,
  type Notification,
  parseRules,
  renderAction,
  SAMPLES,
  sampleNotification,
  TOPICS,
} from '../../lib/automations/index.ts';
import type { AutomationWorkerDeps } from '../../lib/automations/worker.ts';

const BOT = '814860';

const ruleSet = parseRules(
  `
rules:
  - name: new-example-users
    topics: [user.created]
    when:
      - path: data.item.email
        contains: "@example.com"
    actions:
      - operation: create_tag
        params:
          body: {name: example, users: [{id: "{{data.item.id}}"}]}
  - name: any-user-change
    topics: [user.created, user.deleted, user.email.updated]
    actions:
      - operation: create_event
        params:
          $body:
            event_name: changed
            created_at: "{{created_at}}"
            id: "{{data.item.id}}"
            metadata: {topic: "{{topic}}"}
  - name: bot-replies
    topics: [conversation.admin.replied, conversation.user.replied]
    ignoreBotAuthors: true
    actions:
      - operation: post_reply
        params:
          conversation_id: "{{data.item.id}}"
          body: {type: admin, message_type: comment, admin_id: "${BOT}", body: "Noted."}
`,
  'yaml',
  'engine.yaml',
);

function names(n: Notification): string[] {
  return matchingRules(ruleSet, n).map((r) => r.name);
}

describe('matchingRules', () => {
  it('matches by topic and conditions, in file order', () => {
    expect(names(sampleNotification('user.created'))).toEqual(['new-example-users', 'any-user-change']);
    expect(names(sampleNotification('user.email.updated'))).toEqual(['any-user-change']);
    expect(names(sampleNotification('contact.created'))).toEqual([]);
    expect(names(sampleNotification('conversation.user.replied'))).toEqual(['bot-replies']);
  });

  it('a condition that fails drops the rule', () => {
    const n = sampleNotification('user.created');
    n.data.item.email = 'someone@elsewhere.org';
    expect(names(n)).toEqual(['any-user-change']);
    delete n.data.item.email;
    expect(names(n)).toEqual(['any-user-change']);
  });

  it('topics outside the 1.x list match nothing', () => {
    expect(names({ ...sampleNotification('user.created'), topic: 'contact.lead.created' })).toEqual([]);
    expect(names({ ...sampleNotification('user.created'), topic: 'ping' })).toEqual([]);
  });

  it('an empty rule set matches nothing', () => {
    expect(matchingRules({ source: 'x', rules: [] }, sampleNotification('user.created'))).toEqual([]);
  });
});

describe('renderAction', () => {
  it('renders templates, keeps types and moves $body to body', () => {
    const [, anyChange] = ruleSet.rules;
    expect(renderAction(anyChange!.actions[0]!, sampleNotification('user.deleted'))).toEqual({
      operation: 'create_event',
      input: {
        body: {
          event_name: 'changed',
          created_at: 1_709_632_800,
          id: '5f1c2e3a9b8d7c0012345678',
          metadata: { topic: 'user.deleted' },
        },
      },
    });
  });

  it('does not change the rule', () => {
    const [tagRule] = ruleSet.rules;
    const before = structuredClone(tagRule!.actions[0]!.params);
    renderAction(tagRule!.actions[0]!, sampleNotification('user.created'));
    expect(tagRule!.actions[0]!.params).toEqual(before);
  });
});

function conversationWith(
  parts: unknown[],
  messageAuthor: unknown = { type: 'user', id: 'u1' },
): Notification {
  const n = sampleNotification('conversation.user.replied');
  const item = n.data.item as Record<string, any>;
  item.conversation_parts.conversation_parts = parts;
  item.conversation_message.author = messageAuthor;
  return n;
}

describe('authorOf', () => {
  it('conversations: the last part author, else the message author', () => {
    expect(authorOf(SAMPLES['conversation.user.created'])).toEqual({
      type: 'user',
      id: '5f1c2e3a9b8d7c0012345678',
    });
    expect(authorOf(SAMPLES['conversation.user.replied'])).toEqual({
      type: 'user',
      id: '5f1c2e3a9b8d7c0012345678',
    });
    expect(authorOf(SAMPLES['conversation.admin.single.created'])).toEqual({ type: 'admin', id: BOT });
    for (const topic of [
      'conversation.admin.replied',
      'conversation.admin.assigned',
      'conversation.admin.noted',
      'conversation.admin.closed',
      'conversation.admin.opened',
      'conversation.admin.snoozed',
      'conversation.admin.unsnoozed',
    ] as const) {
      expect(authorOf(SAMPLES[topic])).toEqual({ type: 'admin', id: BOT });
    }
    expect(
      authorOf(
        conversationWith([
          { author: { type: 'user', id: 'u1' } },
          { author: { type: 'bot', id: 'b1' } },
          { part_type: 'comment' },
        ]),
      ),
    ).toEqual({ type: 'bot', id: 'b1' });
    expect(authorOf(conversationWith([], { type: 'lead', id: 'l1' }))).toEqual({ type: 'lead', id: 'l1' });
    expect(authorOf(conversationWith([{ author: { type: 'admin', id: 42 } }]))).toEqual({
      type: 'admin',
      id: '42',
    });
  });

  it('user tags: the tagging admin; items without an author: none', () => {
    expect(authorOf(SAMPLES['user.tag.created'])).toEqual({ type: 'admin', id: BOT });
    for (const topic of [
      'contact.tag.created',
      'user.created',
      'contact.added_email',
      'company.created',
      'event.created',
      'conversation.deleted',
    ] as const) {
      expect(authorOf(SAMPLES[topic])).toBeUndefined();
    }
  });

  it('survives malformed items', () => {
    const base = sampleNotification('conversation.user.replied');
    expect(authorOf({ ...base, data: {} } as unknown as Notification)).toBeUndefined();
    expect(authorOf({ ...base, data: undefined } as unknown as Notification)).toBeUndefined();
    expect(authorOf(conversationWith([{ author: { type: 'admin' } }], null))).toBeUndefined();
    expect(authorOf(conversationWith([{ author: 'admin' }], { type: 'user', id: {} }))).toBeUndefined();
    const tag = sampleNotification('user.tag.created');
    // Intercom has sent `admin: {type: "admin"}` without an id.
    (tag.data.item as Record<string, unknown>).admin = { type: 'admin' };
    expect(authorOf(tag)).toBeUndefined();
  });
});

describe('isOwnWrite', () => {
  it('the bot admin replying is its own write; a customer or another admin is not', () => {
    expect(isOwnWrite(SAMPLES['conversation.admin.replied'], [BOT])).toBe(true);
    expect(isOwnWrite(SAMPLES['conversation.admin.replied'], ['1', BOT])).toBe(true);
    expect(isOwnWrite(SAMPLES['conversation.admin.replied'], ['1'])).toBe(false);
    expect(isOwnWrite(SAMPLES['conversation.admin.replied'], [])).toBe(false);
    expect(isOwnWrite(SAMPLES['conversation.user.replied'], ['5f1c2e3a9b8d7c0012345678'])).toBe(false);
    expect(isOwnWrite(SAMPLES['user.tag.created'], [BOT])).toBe(true);
    expect(isOwnWrite(SAMPLES['user.created'], [BOT])).toBe(false);
  });

  it('counts bot-typed authors with the bot id', () => {
    expect(isOwnWrite(conversationWith([{ author: { type: 'bot', id: BOT } }]), [BOT])).toBe(true);
  });

  it('assigning a conversation to the bot is not the bot writing', () => {
    const n = conversationWith([{ part_type: 'assignment', author: { type: 'admin', id: '7' } }]);
    (n.data.item as Record<string, unknown>).assignee = { type: 'admin', id: BOT };
    expect(isOwnWrite(n, [BOT])).toBe(false);
  });
});

describe('createRuleEngine', () => {
  it('is the rule port the automation worker takes', () => {
    const port: AutomationWorkerDeps['rules'] = createRuleEngine(ruleSet, { botAdminIds: [BOT] });
    expect(port.match(sampleNotification('user.created')).map((r) => r.name)).toEqual([
      'new-example-users',
      'any-user-change',
    ]);
  });

  it('breaks the reply loop: its own reply matches the rule but is flagged', () => {
    const engine = createRuleEngine(ruleSet, { botAdminIds: [BOT] });
    const ownReply = sampleNotification('conversation.admin.replied');
    const [rule] = engine.match(ownReply);
    expect(rule!.name).toBe('bot-replies');
    expect(rule!.ignoreBotAuthors).toBe(true);
    expect(rule!.maxRunsPerObject).toEqual({ count: 3, windowSeconds: 600 });
    expect(engine.isOwnWrite(ownReply)).toBe(true);
    expect(engine.isOwnWrite(sampleNotification('conversation.user.replied'))).toBe(false);
    expect(engine.render(rule!.actions[0]!, ownReply)).toEqual({
      operation: 'post_reply',
      input: {
        conversation_id: '21330067382',
        body: { type: 'admin', message_type: 'comment', admin_id: BOT, body: 'Noted.' },
      },
    });
  });

  it('copies the bot ids', () => {
    const ids = [BOT];
    const engine = createRuleEngine(ruleSet, { botAdminIds: ids });
    ids.pop();
    expect(engine.isOwnWrite(SAMPLES['conversation.admin.replied'])).toBe(true);
  });
});

describe('samples', () => {
  it('one per topic, with the topic and an item type', () => {
    expect(Object.keys(SAMPLES)).toEqual([...TOPICS]);
    for (const topic of TOPICS) {
      const n = SAMPLES[topic];
      expect(n).toMatchObject({
        type: 'notification_event',
        topic,
        data: { type: 'notification_event_data' },
      });
      expect(typeof n.data.item.type).toBe('string');
      expect(Object.isFrozen(n.data.item)).toBe(true);
    }
  });

  it('items have the 1.x shapes', () => {
    const types = Object.fromEntries(TOPICS.map((t) => [t, SAMPLES[t].data.item.type]));
    expect(types).toMatchObject({
      'conversation.admin.closed': 'conversation',
      'conversation_part.tag.created': 'conversation',
      'user.created': 'user',
      'contact.signed_up': 'user',
      'visitor.signed_up': 'user',
      'contact.added_email': 'contact',
      'user.tag.created': 'user_tag',
      'contact.tag.deleted': 'contact_tag',
      'company.created': 'company',
      'event.created': 'event',
    });
    expect(SAMPLES['user.deleted'].data.item).toEqual({
      type: 'user',
      id: '5f1c2e3a9b8d7c0012345678',
      user_id: '25',
      email: 'ada.lovelace@example.com',
    });
    expect(SAMPLES['conversation.admin.closed'].data.item).toMatchObject({ open: false, state: 'closed' });
  });

  it('sampleNotification returns a mutable copy', () => {
    const n = sampleNotification('user.created');
    n.data.item.email = 'changed@example.org';
    expect(SAMPLES['user.created'].data.item.email).toBe('ada.lovelace@example.com');
  });
});
