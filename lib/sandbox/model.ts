/** The records the in-memory workspace keeps. Rendering to Intercom's JSON is in views.ts. */

/** Users, leads (`contact`) and visitors share one record: conversions keep the Intercom id. */
export type CustomerKind = 'user' | 'contact' | 'visitor';

/** Where Intercom placed a customer from the IP of its sessions; fields as intercom-java's user.json. */
export interface Location {
  city_name: string | null;
  continent_code: string | null;
  country_code: string | null;
  country_name: string | null;
  latitude: number | null;
  longitude: number | null;
  postal_code: string | null;
  region_name: string | null;
  timezone: string | null;
}

export interface Customer {
  kind: CustomerKind;
  id: string;
  user_id: string | null;
  email: string | null;
  phone: string | null;
  name: string | null;
  pseudonym: string | null;
  created_at: number;
  updated_at: number;
  signed_up_at: number | null;
  remote_created_at: number | null;
  last_request_at: number | null;
  session_count: number;
  last_seen_ip: string | null;
  user_agent: string | null;
  /** Null until seen through the Messenger: the sandbox does not geolocate `last_seen_ip`. */
  location: Location | null;
  unsubscribed_from_emails: boolean;
  custom_attributes: Record<string, unknown>;
  /** Leads' and visitors' `utm_*` fields; empty for users. */
  utm: Record<string, string | null>;
  /** Intercom ids of the companies the customer belongs to. */
  companyIds: Set<string>;
  tagIds: Set<string>;
  /** Insertion order: a stable tie-breaker for sorting. */
  seq: number;
}

export interface Company {
  id: string;
  company_id: string;
  name: string | null;
  created_at: number;
  updated_at: number;
  remote_created_at: number | null;
  last_request_at: number | null;
  monthly_spend: number;
  session_count: number;
  size: number | null;
  website: string | null;
  industry: string | null;
  plan: string | null;
  custom_attributes: Record<string, unknown>;
  tagIds: Set<string>;
  seq: number;
}

export interface Tag {
  id: string;
  name: string;
}

/** Membership is computed, so segments stay true as the data changes. */
export type SegmentRule =
  | { kind: 'all' }
  | { kind: 'created_within_days'; days: number }
  | { kind: 'active_within_days'; days: number }
  | { kind: 'inactive_for_days'; days: number }
  | { kind: 'attribute'; key: string; value: unknown }
  | { kind: 'min_monthly_spend'; amount: number };

export interface Segment {
  id: string;
  name: string;
  /**
   * People segments are `user` or `contact` (leads), as R1.1 view-a-segment has it; `company` segments
   * are the ones `GET /segments?type=company` lists.
   */
  person_type: 'user' | 'contact' | 'company';
  created_at: number;
  updated_at: number;
  rule: SegmentRule;
}

export interface Admin {
  id: string;
  name: string;
  email: string;
  job_title: string | null;
  away_mode_enabled: boolean;
  away_mode_reassign: boolean;
  /** Admins without an Inbox seat cannot be set away (403 action_forbidden). */
  has_inbox_seat: boolean;
}

export interface Team {
  id: string;
  name: string;
  /** Admin ids as the workspace keys them (strings); rendered as integers, as Intercom does. */
  admin_ids: string[];
}

export interface App {
  id_code: string;
  name: string;
  created_at: number;
  secure: boolean;
  identity_verification: boolean;
  timezone: string;
  region: string;
}

export interface Note {
  id: string;
  created_at: number;
  body: string;
  authorId: string;
  customerId: string;
}

export interface EventRecord {
  id: string;
  event_name: string;
  created_at: number;
  customerId: string;
  metadata: Record<string, unknown>;
  /** The `before=`/`since=` cursor value: created_at in ms plus a per-second sequence. */
  key: number;
}

export interface ActivityLog {
  id: string;
  adminId: string;
  created_at: number;
  activity_type: string;
  activity_description: string;
  metadata: Record<string, unknown>;
}

export interface DataAttribute {
  model: 'customer' | 'company';
  name: string;
  full_name: string;
  label: string;
  description: string;
  data_type: 'string' | 'integer' | 'float' | 'boolean' | 'date';
  api_writable: boolean;
  ui_writable: boolean;
  custom: boolean;
  archived: boolean;
  created_at: number;
  updated_at: number;
  admin_id: string | null;
}

export interface AuthorRef {
  type: 'admin' | 'user' | 'lead' | 'bot';
  id: string;
}

export interface Assignee {
  type: 'admin' | 'team' | 'nobody_admin';
  id: string | null;
}

export type PartType = 'comment' | 'note' | 'assignment' | 'open' | 'close' | 'snoozed';

export interface ConversationPart {
  id: string;
  part_type: PartType;
  body: string | null;
  created_at: number;
  author: AuthorRef;
  assigned_to: Assignee | null;
  attachment_urls: string[];
}

export interface Conversation {
  id: string;
  created_at: number;
  updated_at: number;
  waiting_since: number | null;
  snoozed_until: number | null;
  open: boolean;
  state: 'open' | 'closed' | 'snoozed';
  read: boolean;
  /** Customer ids; the first one started the conversation (or was messaged). */
  customerIds: string[];
  assignee: Assignee;
  tagIds: Set<string>;
  message: {
    id: string;
    subject: string;
    body: string;
    author: AuthorRef;
    message_type: 'inapp' | 'email';
  };
  parts: ConversationPart[];
  seq: number;
}

export interface ScrollState {
  param: string;
  /** The route's resource: a scroll_param only continues the scroll it came from. */
  resource: 'users' | 'contacts' | 'companies';
  /** Ids captured when the scroll opened. */
  ids: string[];
  offset: number;
  lastUsedAt: number;
}
