/** The shape of the operation catalog: every operation is declared once, as data, in `operations/`. */

export type Group =
  | 'users'
  | 'leads'
  | 'visitors'
  | 'companies'
  | 'conversations'
  | 'tags'
  | 'notes'
  | 'events'
  | 'admins'
  | 'insights';

/** API-key scopes (contract.md "Scopes"); `bulk` is checked on top of an operation's own scope. */
export type Scope = 'read' | 'write' | 'delete';
export type ApiKeyScope = Scope | 'bulk';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Intercom REST API versions this project speaks (API 2.x is a different product). */
export const API_VERSIONS = ['1.0', '1.1', '1.2', '1.3', '1.4'] as const;
export type ApiVersion = (typeof API_VERSIONS)[number];

/**
 * How a list is walked: `pages` follows `pages.next` URLs, `events_cursor` follows the events
 * `before=` cursor URL in `pages.next`, `scroll` resends `scroll_param`; `none` is one response.
 */
export type PaginationKind = 'none' | 'pages' | 'events_cursor' | 'scroll';

export type JsonSchema = { [keyword: string]: unknown };

export interface ParamSpec {
  /** Where the parameter goes on the wire. */
  in: 'path' | 'query' | 'body';
  required?: boolean;
  description: string;
  schema: JsonSchema;
  /** The name Intercom expects when it differs from the connector's (e.g. `scroll` -> `scroll_param`). */
  wireName?: string;
}

export interface BodySpec {
  required: boolean;
  description: string;
  /** Schema of the `$body` object; extra fields always pass through to Intercom. */
  schema: JsonSchema;
  /** Connector field names Intercom spells differently (`snooze_until` -> `snoozed_until`). */
  renames?: Readonly<Record<string, string>>;
  /** Fields always merged over the given body (`mark_conversation_as_read` sends `read: true`). */
  constants?: Readonly<Record<string, unknown>>;
  /** Maps the connector's model-shaped body to Intercom's request body (e.g. note `author.id`). */
  adapt?: (body: Record<string, unknown>) => Record<string, unknown>;
}

/** From API version `since` on, the operation lives at another path (data attributes in 1.4). */
export interface VersionedPath {
  since: ApiVersion;
  path: string;
  query: Readonly<Record<string, string>>;
}

/**
 * An id that Intercom only accepts in the path is first looked up by another identifier through a
 * documented GET (delete_visitor: `GET /visitors?user_id=` then `DELETE /visitors/{id}`).
 */
export interface IdLookup {
  /** The connector parameter that identifies the object. */
  from: string;
  path: string;
  /** The query parameter of the lookup GET that carries `from`. */
  query: string;
  /** The path parameter of the operation that receives the found object's `id`. */
  into: string;
}

export interface OperationSpec {
  name: string;
  group: Group;
  summary: string;
  method: HttpMethod;
  /** Path template; `{name}` placeholders are `in: 'path'` parameters, percent-encoded. */
  path: string;
  params: Readonly<Record<string, ParamSpec>>;
  body?: BodySpec;
  /** JSON Schema keywords over the parameters as a whole (e.g. "one of email or user_id"). */
  constraints?: JsonSchema;
  /** Keys of the array in Intercom's response, first present wins (list-shaped operations). */
  resultsKeys?: readonly string[];
  pagination: PaginationKind;
  /** True when repeating the call after an unknown outcome cannot duplicate a side effect. */
  retrySafe: boolean;
  /** Intercom's success status (202 for events). */
  successStatus: 200 | 202;
  versionedPath?: VersionedPath;
  lookup?: IdLookup;
  /** Caveats users should know (documented in docs/operations.md and OpenAPI). */
  notes?: string;
  /**
   * A valid input, shown in the OpenAPI document. Without one, an example is derived from the schema
   * (examples.ts); declare one where that would not be valid (conditional schemas) or says too little.
   */
  example?: Readonly<Record<string, unknown>>;
}

export interface Operation extends OperationSpec {
  /** Derived from the name by the contract's rule (see scopes.ts). */
  scope: Scope;
}
