/** The in-memory workspace: one Intercom app, its records and the lookups every route shares. */
import { conflict, notFound } from './errors.ts';
import { IdSource } from './ids.ts';
import type {
  ActivityLog,
  Admin,
  App,
  Company,
  Conversation,
  Customer,
  CustomerKind,
  DataAttribute,
  EventRecord,
  Note,
  ScrollState,
  Segment,
  Tag,
  Team,
} from './model.ts';
import { type Random, seededRandom } from './random.ts';
import { type ChangeListener, ignoreChanges } from './webhooks/topics.ts';

export class Workspace {
  readonly ids = new IdSource();
  /** Drives generated UUIDs and seed data, so a workspace is reproducible. */
  readonly random: Random = seededRandom(20_191_003);
  readonly clock: () => number;
  app: App;
  readonly admins = new Map<string, Admin>();
  readonly teams = new Map<string, Team>();
  readonly customers = new Map<string, Customer>();
  readonly companies = new Map<string, Company>();
  readonly tags = new Map<string, Tag>();
  readonly segments = new Map<string, Segment>();
  readonly conversations = new Map<string, Conversation>();
  readonly notes = new Map<string, Note>();
  readonly events: EventRecord[] = [];
  /** Events per customer and second, for unique `before=` cursor keys. */
  readonly eventRanks = new Map<string, number>();
  readonly activityLogs: ActivityLog[] = [];
  readonly dataAttributes: DataAttribute[] = [];
  /** Intercom allows one open scroll per app. */
  scroll: ScrollState | null = null;
  /** Where changes are reported for webhooks; set only while an API request is handled. */
  notify: ChangeListener = ignoreChanges;
  #seq = 0;

  constructor(clock: () => number) {
    this.clock = clock;
    this.app = {
      id_code: 'sbx7k2qd',
      name: 'Sandbox Co',
      created_at: this.nowSeconds() - 3 * 365 * 86_400,
      secure: true,
      identity_verification: false,
      timezone: 'Europe/Dublin',
      region: 'US',
    };
  }

  nowSeconds(): number {
    return Math.floor(this.clock() / 1000);
  }

  nextSeq(): number {
    return ++this.#seq;
  }

  /** The admin who owns the access token: the first admin. */
  owner(): Admin {
    return this.admins.values().next().value!;
  }

  customersOf(kind: CustomerKind): Customer[] {
    return [...this.customers.values()].filter((c) => c.kind === kind);
  }

  customer(kind: CustomerKind, id: string): Customer | undefined {
    const c = this.customers.get(id);
    return c?.kind === kind ? c : undefined;
  }

  byUserId(kind: CustomerKind, userId: string): Customer | undefined {
    for (const c of this.customers.values()) if (c.kind === kind && c.user_id === userId) return c;
    return undefined;
  }

  byEmail(kind: CustomerKind, email: string): Customer[] {
    const wanted = email.toLowerCase();
    return [...this.customers.values()].filter((c) => c.kind === kind && c.email?.toLowerCase() === wanted);
  }

  /**
   * The one user with this email. Several are Intercom's `conflict`, wherever a call names a user by
   * email alone (find on 1.0, archive, create/update, tags, notes, events, conversations); the
   * message names the email, as in intercom-node #96 and intercom-php #289.
   */
  uniqueUserByEmail(email: string): Customer | undefined {
    const found = this.byEmail('user', email);
    if (found.length > 1)
      throw conflict(
        `Multiple existing users match this email address ${email} - must be more specific using user_id`,
      );
    return found[0];
  }

  /**
   * A user found by `{id | user_id | email}` (Intercom's identifier precedence), or undefined.
   * `id` may also name a lead when `leadsById` (events, notes and tags reach leads by id).
   */
  findUserRef(
    ref: { id?: unknown; user_id?: unknown; email?: unknown },
    leadsById = false,
  ): Customer | undefined {
    if (typeof ref.id === 'string') {
      const c = this.customers.get(ref.id);
      if (c && (c.kind === 'user' || (leadsById && c.kind === 'contact'))) return c;
      return undefined;
    }
    if (typeof ref.user_id === 'string') return this.byUserId('user', ref.user_id);
    if (typeof ref.email === 'string') return this.uniqueUserByEmail(ref.email);
    return undefined;
  }

  requireAdmin(id: unknown): Admin {
    const admin = typeof id === 'string' || typeof id === 'number' ? this.admins.get(String(id)) : undefined;
    if (!admin) throw notFound('Admin Not Found', 'admin_not_found');
    return admin;
  }

  tagsOf(ids: Set<string>): Tag[] {
    return [...ids].map((id) => this.tags.get(id)).filter((t): t is Tag => t !== undefined);
  }

  companyUsers(companyId: string): Customer[] {
    return [...this.customers.values()].filter(
      (c) => c.companyIds.has(companyId) && (c.kind === 'user' || c.kind === 'contact'),
    );
  }

  /** Conversations, notes and events keep pointing at a removed customer, as Intercom's do. */
  removeCustomer(id: string): void {
    this.customers.delete(id);
  }
}
