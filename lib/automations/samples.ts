/**
 * One realistic notification per topic. Rules are checked against them when they load: a condition or
 * template path that the topic's item cannot have is a typo, and an action's templated parameters must
 * satisfy the operation's schema. Items follow what Intercom sent in the 1.x era (captured payloads)
 * and what the sandbox renders (lib/sandbox/views.ts), with every optional field filled in so that a
 * rule is judged on the shape of its item, not on one object's missing values.
 */
import { TOPICS, type Topic } from '../intercom/webhook-topics.ts';
import type { Notification } from './types.ts';

export const SAMPLE_APP_ID = 'a86dr8yl';
/** Tuesday 5 March 2024, 10:00 UTC. */
export const SAMPLE_TIME = 1_709_632_800;
export const SAMPLE_ADMIN = { type: 'admin', id: '814860', name: 'Grace Hopper', email: 'grace@example.com' };

const USER = {
  id: '5f1c2e3a9b8d7c0012345678',
  user_id: '25',
  email: 'ada.lovelace@example.com',
  name: 'Ada Lovelace',
};
const LEAD = {
  id: '5f1c2e3a9b8d7c0087654321',
  user_id: '8a88a590-e1c3-41e2-a502-e0649dbf721c',
  email: 'charles.babbage@example.org',
  name: 'Charles Babbage',
};
const TAG = { type: 'tag', id: '2525085', name: 'vip' };
const COMPANY_REF = {
  type: 'company',
  company_id: 'acme-42',
  id: '5f1c2e3a9b8d7c00aaaa0001',
  name: 'Acme Ltd',
};

function customer(kind: 'user' | 'contact') {
  const who = kind === 'user' ? USER : LEAD;
  return {
    type: kind,
    id: who.id,
    user_id: who.user_id,
    anonymous: kind !== 'user',
    email: who.email,
    phone: '+33 1 23 45 67 89',
    name: who.name,
    pseudonym: kind === 'user' ? null : 'Azure Falcon from Paris',
    avatar: { type: 'avatar', image_url: 'https://static.example.com/avatars/25.png' },
    app_id: SAMPLE_APP_ID,
    companies: { type: 'company.list', companies: [COMPANY_REF] },
    location_data: {
      type: 'location_data',
      city_name: 'Paris',
      continent_code: 'EU',
      country_code: 'FRA',
      country_name: 'France',
      postal_code: '75001',
      region_name: 'Île-de-France',
      timezone: 'Europe/Paris',
    },
    last_request_at: SAMPLE_TIME - 3_600,
    created_at: SAMPLE_TIME - 86_400,
    remote_created_at: SAMPLE_TIME - 86_400,
    signed_up_at: SAMPLE_TIME - 86_400,
    updated_at: SAMPLE_TIME,
    session_count: 3,
    social_profiles: {
      type: 'social_profile.list',
      social_profiles: [
        { type: 'social_profile', name: 'github', id: null, username: 'ada', url: 'https://github.com/ada' },
      ],
    },
    unsubscribed_from_emails: false,
    marked_email_as_spam: false,
    has_hard_bounced: false,
    last_seen_ip: '203.0.113.7',
    user_agent_data: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 Safari/605.1.15',
    referrer: 'https://www.example.com/pricing',
    utm_campaign: 'spring',
    utm_content: 'banner',
    utm_medium: 'email',
    utm_source: 'newsletter',
    utm_term: 'automation',
    do_not_track: null,
    tags: { type: 'tag.list', tags: [TAG] },
    segments: { type: 'segment.list', segments: [{ type: 'segment', id: '5310d8e7598c9a0b24000002' }] },
    custom_attributes: { plan: 'pro', seats: 12 },
  };
}

/** `user.deleted` and `contact.deleted` carry the identifiers only. */
function deletedCustomer(kind: 'user' | 'contact') {
  const who = kind === 'user' ? USER : LEAD;
  return { type: kind, id: who.id, user_id: who.user_id, email: who.email };
}

const USER_AUTHOR = { type: 'user', id: USER.id, name: USER.name, email: USER.email };
const ADMIN_AUTHOR = {
  type: 'admin',
  id: SAMPLE_ADMIN.id,
  name: SAMPLE_ADMIN.name,
  email: SAMPLE_ADMIN.email,
};

type PartType = 'comment' | 'note' | 'assignment' | 'open' | 'close' | 'snoozed';

function part(partType: PartType, author: object, body: string | null) {
  return {
    type: 'conversation_part',
    id: '2824395628',
    part_type: partType,
    body,
    created_at: SAMPLE_TIME,
    updated_at: SAMPLE_TIME,
    notified_at: SAMPLE_TIME,
    assigned_to: partType === 'assignment' ? { type: 'admin', id: SAMPLE_ADMIN.id } : null,
    author,
    attachments: [
      {
        type: 'upload',
        name: 'invoice.pdf',
        url: 'https://downloads.example.com/invoice.pdf',
        content_type: 'application/pdf',
        filesize: 48_213,
      },
    ],
    external_id: null,
  };
}

/** A conversation item: the conversation with only the parts that caused the notification. */
function conversation(options: {
  startedBy: 'user' | 'admin';
  parts?: ReturnType<typeof part>[];
  state?: 'open' | 'closed' | 'snoozed';
  tagsAdded?: boolean;
}) {
  const state = options.state ?? 'open';
  const parts = options.parts ?? [];
  return {
    type: 'conversation',
    id: '21330067382',
    created_at: SAMPLE_TIME - 600,
    updated_at: SAMPLE_TIME,
    waiting_since: options.startedBy === 'user' ? SAMPLE_TIME - 600 : null,
    snoozed_until: state === 'snoozed' ? SAMPLE_TIME + 86_400 : null,
    conversation_message: {
      type: 'conversation_message',
      id: '331786931',
      subject: options.startedBy === 'admin' ? 'Welcome aboard' : '',
      body: options.startedBy === 'admin' ? '<p>Welcome! How can we help?</p>' : "<p>Hi, I can't log in.</p>",
      author: options.startedBy === 'admin' ? ADMIN_AUTHOR : USER_AUTHOR,
      attachments: [],
      url: 'https://www.example.com/account',
    },
    user: {
      type: 'user',
      id: USER.id,
      user_id: USER.user_id,
      name: USER.name,
      email: USER.email,
      do_not_track: null,
    },
    customers: [{ type: 'user', id: USER.id }],
    assignee: { type: 'admin', id: SAMPLE_ADMIN.id, name: SAMPLE_ADMIN.name, email: SAMPLE_ADMIN.email },
    open: state !== 'closed',
    state,
    read: options.startedBy === 'admin',
    metadata: {},
    tags: { type: 'tag.list', tags: [TAG] },
    tags_added: { type: 'tag.list', tags: options.tagsAdded ? [TAG] : [] },
    links: { conversation_web: `https://app.intercom.io/a/apps/${SAMPLE_APP_ID}/conversations/21330067382` },
    conversation_parts: {
      type: 'conversation_part.list',
      conversation_parts: parts,
      total_count: parts.length,
    },
  };
}

/** `user.tag.*` name the acting admin; `contact.tag.*` do not. */
function tagging(kind: 'user' | 'contact') {
  if (kind === 'contact') {
    return { type: 'contact_tag', created_at: SAMPLE_TIME, tag: TAG, contact: customer('contact') };
  }
  return {
    type: 'user_tag',
    created_at: SAMPLE_TIME,
    tag: TAG,
    user: customer('user'),
    admin: { type: 'admin', id: SAMPLE_ADMIN.id },
  };
}

function company() {
  return {
    type: 'company',
    id: COMPANY_REF.id,
    company_id: COMPANY_REF.company_id,
    name: COMPANY_REF.name,
    app_id: SAMPLE_APP_ID,
    created_at: SAMPLE_TIME,
    updated_at: SAMPLE_TIME,
    remote_created_at: SAMPLE_TIME - 86_400 * 30,
    last_request_at: SAMPLE_TIME - 3_600,
    monthly_spend: 490,
    session_count: 12,
    user_count: 4,
    size: 85,
    website: 'https://acme.example.com',
    industry: 'Manufacturing',
    plan: { type: 'plan', id: '269315', name: 'pro' },
    custom_attributes: { region: 'EMEA' },
    tags: { type: 'tag.list', tags: [TAG] },
    segments: { type: 'segment.list', segments: [{ type: 'segment', id: '5310d8e7598c9a0b24000003' }] },
  };
}

function event() {
  return {
    type: 'event',
    id: 'a1b2c3d4-0000-4000-8000-000000000001',
    created_at: SAMPLE_TIME,
    event_name: 'invited-friend',
    user_id: USER.user_id,
    email: USER.email,
    intercom_user_id: USER.id,
    metadata: { invitee_email: 'pi@example.org', invite_code: 'ADDAFRIEND' },
  };
}

function itemOf(topic: Topic): Record<string, unknown> {
  switch (topic) {
    case 'conversation.user.created':
      return conversation({ startedBy: 'user' });
    case 'conversation.user.replied':
      return conversation({
        startedBy: 'user',
        parts: [part('comment', USER_AUTHOR, '<p>Still stuck.</p>')],
      });
    case 'conversation.admin.replied':
      return conversation({ startedBy: 'user', parts: [part('comment', ADMIN_AUTHOR, '<p>On it!</p>')] });
    case 'conversation.admin.single.created':
      return conversation({ startedBy: 'admin' });
    case 'conversation.admin.assigned':
      return conversation({ startedBy: 'user', parts: [part('assignment', ADMIN_AUTHOR, null)] });
    case 'conversation.admin.noted':
      return conversation({
        startedBy: 'user',
        parts: [part('note', ADMIN_AUTHOR, '<p>Billing issue.</p>')],
      });
    case 'conversation.admin.closed':
      return conversation({ startedBy: 'user', state: 'closed', parts: [part('close', ADMIN_AUTHOR, null)] });
    case 'conversation.admin.opened':
    case 'conversation.admin.unsnoozed':
      return conversation({ startedBy: 'user', parts: [part('open', ADMIN_AUTHOR, null)] });
    case 'conversation.admin.snoozed':
      return conversation({
        startedBy: 'user',
        state: 'snoozed',
        parts: [part('snoozed', ADMIN_AUTHOR, null)],
      });
    case 'conversation_part.tag.created':
      return conversation({
        startedBy: 'user',
        tagsAdded: true,
        parts: [part('comment', USER_AUTHOR, "<p>Hi, I can't log in.</p>")],
      });
    case 'conversation.deleted':
      // Identifiers only; payloads have carried the id as `id` and as `conversation_id`.
      return { type: 'conversation', id: '21330067382', conversation_id: '21330067382' };
    case 'user.created':
    case 'user.unsubscribed':
    case 'user.unsubscribed_from_sms':
    case 'user.email.updated':
    case 'contact.signed_up':
    case 'visitor.signed_up':
      // A converted lead or visitor is reported as the user it became.
      return customer('user');
    case 'user.deleted':
      return deletedCustomer('user');
    case 'user.tag.created':
    case 'user.tag.deleted':
      return tagging('user');
    case 'contact.created':
    case 'contact.added_email':
    case 'contact.updated':
      return customer('contact');
    case 'contact.deleted':
      return deletedCustomer('contact');
    case 'contact.tag.created':
    case 'contact.tag.deleted':
      return tagging('contact');
    case 'company.created':
      return company();
    case 'event.created':
      return event();
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function build(topic: Topic): Notification {
  return {
    type: 'notification_event',
    app_id: SAMPLE_APP_ID,
    data: { type: 'notification_event_data', item: itemOf(topic) },
    links: {},
    id: `notif_sample-${topic.replaceAll('.', '-')}`,
    topic,
    delivery_status: 'pending',
    delivery_attempts: 1,
    delivered_at: 0,
    first_sent_at: SAMPLE_TIME,
    created_at: SAMPLE_TIME,
    self: null,
  };
}

/** Frozen: shared by every validation. */
export const SAMPLES: Readonly<Record<Topic, Notification>> = deepFreeze(
  Object.fromEntries(TOPICS.map((topic) => [topic, build(topic)])) as Record<Topic, Notification>,
);

/** A fresh, mutable copy of the topic's sample. */
export function sampleNotification(topic: Topic): Notification {
  return structuredClone(SAMPLES[topic]) as Notification;
}
