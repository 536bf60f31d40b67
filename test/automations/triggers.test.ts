/** Event and scheduled rules: reading `on:`, matching notifications made from events and firings. */
import { describe, expect, it } from '@jest/globals';
import {
  createRuleEngine,
  type Notification,
  parseRules,
  type RuleIssue,
  type RuleSet,
  RuleValidationError,
} from '../../lib/automations/index.ts';
import {
  requiredScopesToFire,
  triggerRouting,
  unknownWorkspaceIssues,
} from '../../lib/automations/triggers.ts';

type Doc = Record<string, unknown>;

const TAG = {
  operation: 'create_tag',
  params: { body: { name: 'vip', users: [{ id: '{{detail.userId}}' }] } },
};

function eventRule(over: Doc = {}): Doc {
  return {
    name: 'vip-orders',
    on: { eventbridge: { source: 'com.example.shop', detailType: 'OrderPlaced' } },
    actions: [TAG],
    ...over,
  };
}

function scheduleRule(over: Doc = {}): Doc {
  return {
    name: 'nightly',
    on: { schedule: 'cron(0 2 * * ? *)', timezone: 'Europe/Paris' },
    actions: [{ operation: 'create_tag', params: { body: { name: 'run {{time}}', users: [{ id: '1' }] } } }],
    ...over,
  };
}

function parse(...rules: Doc[]): RuleSet {
  return parseRules(JSON.stringify({ rules }), 'json', 'rules.json');
}

function issues(...rules: Doc[]): Array<[string | null, string, string]> {
  try {
    parse(...rules);
  } catch (error) {
    if (error instanceof RuleValidationError)
      return error.issues.map((i: RuleIssue) => [i.rule, i.path, i.message]);
    throw error;
  }
  return [];
}

function eventNotification(event: Record<string, unknown>): Notification {
  return {
    type: 'notification_event',
    id: `eventbridge:${String(event.id)}`,
    topic: 'eventbridge',
    data: { type: 'eventbridge_event', item: event },
  };
}

const EVENT = {
  version: '0',
  id: 'e1',
  'detail-type': 'OrderPlaced',
  source: 'com.example.shop',
  account: '000000000000',
  time: '2024-03-05T09:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: { orderId: 'o-1', userId: 'u-7', total: 120, status: 'paid', tags: ['new', 'gift'] },
};

describe('reading event rules', () => {
  it("writes the pattern in EventBridge's form, single values as lists of one", () => {
    const [rule] = parse(
      eventRule({
        on: {
          eventbridge: {
            source: 'com.example.shop',
            detailType: ['OrderPlaced', 'OrderUpdated'],
            detail: {
              total: [{ numeric: ['>', 100, '<=', 1000] }],
              status: [{ 'anything-but': ['cancelled'] }],
            },
          },
          orderBy: 'detail.orderId',
        },
        workspace: 'eu',
      }),
    ).rules;
    expect(rule).toMatchObject({
      name: 'vip-orders',
      topics: [],
      workspace: 'eu',
      trigger: {
        kind: 'eventbridge',
        orderBy: 'detail.orderId',
        pattern: {
          source: ['com.example.shop'],
          'detail-type': ['OrderPlaced', 'OrderUpdated'],
          detail: {
            total: [{ numeric: ['>', 100, '<=', 1000] }],
            status: [{ 'anything-but': ['cancelled'] }],
          },
        },
      },
    });
  });

  it('refuses what EventBridge patterns cannot say or this subset does not support, naming the rule', () => {
    expect(
      issues(
        eventRule({
          on: {
            eventbridge: {
              detailType: { prefix: 'Order' },
              detail: {
                a: [{ suffix: '.png' }],
                b: [{ numeric: ['>', 'x'] }],
                c: [],
                d: [{ prefix: 'x', exists: true }],
                e: [{ 'equals-ignore-case': 'x' }],
              },
            },
            timezone: 'UTC',
          },
        }),
      ),
    ).toEqual([
      ['vip-orders', '/rules/0/on/timezone', 'is for schedules: an event carries its own time'],
      [
        'vip-orders',
        '/rules/0/on/eventbridge/source',
        'is required: the source your application sends, e.g. "com.example.shop"',
      ],
      ['vip-orders', '/rules/0/on/eventbridge/detailType', 'a matcher goes in a list: write [{prefix: ...}]'],
      [
        'vip-orders',
        '/rules/0/on/eventbridge/detail/a/0/suffix',
        'the "suffix" matcher is not supported here (supported: prefix, exists, anything-but, numeric)',
      ],
      [
        'vip-orders',
        '/rules/0/on/eventbridge/detail/b/0/numeric',
        'must be ["=", n] or up to two bounds such as [">", 0, "<=", 100]: ">" needs a number',
      ],
      ['vip-orders', '/rules/0/on/eventbridge/detail/c', 'must be a value or a list of 1 to 100 values'],
      [
        'vip-orders',
        '/rules/0/on/eventbridge/detail/d/0',
        'must be a value or one matcher (prefix, exists, anything-but, numeric), not an object of 2 keys',
      ],
      [
        'vip-orders',
        '/rules/0/on/eventbridge/detail/e/0/equals-ignore-case',
        'the "equals-ignore-case" matcher is not supported here (supported: prefix, exists, anything-but, numeric)',
      ],
    ]);
  });

  it('checks paths against the event, not a notification, and the schema away from templated values', () => {
    expect(
      issues(
        eventRule({
          on: { eventbridge: { source: 'a' }, orderBy: 'orderId' },
          when: [{ path: 'data.item.email', exists: true }],
          actions: [
            // A templated id is the sender's to fill; the missing `users`/`companies` is not.
            {
              operation: 'create_tag',
              params: { body: { name: '{{detail.name}}', users: [{ id: '{{detail.id}}' }] } },
            },
            { operation: 'create_tag', params: { body: { nom: 'x' } } },
          ],
        }),
      ),
    ).toEqual([
      [
        'vip-orders',
        '/rules/0/on/orderBy',
        '"orderId" must start with a field of the EventBridge event (version, id, detail-type, source, account, time, region, resources, detail); did you mean "detail.orderId"?',
      ],
      [
        'vip-orders',
        '/rules/0/when/0/path',
        '"data.item.email" must start with a field of the EventBridge event (version, id, detail-type, source, account, time, region, resources, detail); this rule reads the EventBridge event itself, not an Intercom notification',
      ],
      ['vip-orders', '/rules/0/actions/1/params/body/name', 'is required'],
    ]);
  });

  it('has topics or on, not both, and a workspace only with on', () => {
    const webhookRule = {
      name: 'n2',
      topics: ['user.created'],
      workspace: 'eu',
      actions: [{ operation: 'create_tag', params: { body: { name: 'x', users: [] } } }],
    };
    expect(issues(eventRule({ topics: ['user.created'] }), webhookRule)).toEqual([
      [
        'vip-orders',
        '/rules/0/topics',
        'a rule has topics (Intercom webhooks) or on (EventBridge events, schedules), not both',
      ],
      [
        'n2',
        '/rules/1/workspace',
        'is for event and scheduled rules: a webhook notification names its own workspace (app_id)',
      ],
    ]);
    expect(issues(eventRule({ on: { eventbridge: { source: 'a' }, schedule: 'rate(1 hour)' } }))).toEqual([
      ['vip-orders', '/rules/0/on', 'has both eventbridge and schedule: write one rule for each'],
    ]);
  });
});

describe('reading scheduled rules', () => {
  it('keeps the expression and the time zone (UTC by default)', () => {
    const set = parse(scheduleRule(), scheduleRule({ name: 'hourly', on: { schedule: 'rate(1 hour)' } }));
    expect(set.rules.map((r) => r.trigger)).toEqual([
      { kind: 'schedule', expression: 'cron(0 2 * * ? *)', timezone: 'Europe/Paris' },
      { kind: 'schedule', expression: 'rate(1 hour)', timezone: 'UTC' },
    ]);
  });

  it.each([
    ['cron(0 9 * * * *)', 'exactly one of day-of-month and day-of-week must be "?"'],
    ['cron(0 9 * * ?)', 'a cron expression has 6 fields'],
    ['cron(60 9 * * ? *)', '"60" is out of range in the minutes field (0-59)'],
    ['cron(0 9 ? * 8 *)', '"8" is out of range in the day-of-week field (1-7 or SUN-SAT)'],
    ['cron(0 9 * * ? 2300)', '"2300" is out of range in the year field (1970-2199)'],
    ['cron(0 9 ? * MON#6 *)', '"MON#6" is not valid in the day-of-week field'],
    ['rate(1 hours)', 'write "rate(1 hour)"'],
    ['rate(5 minute)', 'write "rate(5 minutes)"'],
    ['rate(0 minutes)', 'a rate is "rate(value unit)"'],
    ['rate(2 weeks)', 'a rate is "rate(value unit)"'],
    ['at(2030-01-01T00:00:00)', 'one-time "at(...)" schedules are not supported'],
    ['every day', 'must be "cron(minutes hours day-of-month month day-of-week year)" or "rate(value unit)"'],
  ])('refuses %s naming the rule', (expression, message) => {
    const found = issues(scheduleRule({ on: { schedule: expression } }));
    expect(found).toHaveLength(1);
    expect(found[0]!.slice(0, 2)).toEqual(['nightly', '/rules/0/on/schedule']);
    expect(found[0]![2]).toContain(`"${expression}": ${message}`);
  });

  it('checks time zones, and templates against the firing {time, rule}', () => {
    expect(
      issues(
        scheduleRule({
          on: { schedule: 'rate(1 day)', timezone: '+01:00', orderBy: 'detail.x' },
          actions: [
            {
              operation: 'create_tag',
              params: { body: { name: '{{time.day}} {{data.item.id}}', users: [] } },
            },
          ],
        }),
      ),
    ).toEqual([
      ['nightly', '/rules/0/on/orderBy', 'is for events: firings of a schedule never overlap in order'],
      ['nightly', '/rules/0/on/timezone', '"+01:00" is not an IANA time zone name such as "Europe/Paris"'],
      [
        'nightly',
        '/rules/0/actions/0/params/body/name',
        'template "{{data.item.id}}": "data.item.id" must start with a field of a scheduled firing (time, rule); this rule reads a scheduled firing itself, not an Intercom notification',
      ],
      ['nightly', '/rules/0/actions/0/params/body/name', '"time.day": "time" is text, with no fields'],
    ]);
  });

  it('validates parameters once templated with a firing', () => {
    const found = issues(
      scheduleRule({
        actions: [{ operation: 'create_tag', params: { body: { name: 'x', users: '{{rule}}' } } }],
      }),
    );
    expect(found).toEqual([
      [
        'nightly',
        '/rules/0/actions/0/params/body/users',
        'must be array (once templated with a scheduled firing)',
      ],
    ]);
  });
});

describe('matching notifications made from events and firings', () => {
  const set = parse(
    eventRule({
      on: {
        eventbridge: {
          source: 'com.example.shop',
          detailType: 'OrderPlaced',
          detail: { total: [{ numeric: ['>=', 100] }] },
        },
        orderBy: 'detail.orderId',
      },
      when: [{ path: 'detail.status', equals: 'paid' }],
    }),
    eventRule({ name: 'eu-orders', workspace: 'eu' }),
    scheduleRule(),
    {
      name: 'webhook',
      topics: ['user.created'],
      actions: [{ operation: 'create_tag', params: { body: { name: 'x', users: [] } } }],
    },
  );
  const engine = createRuleEngine(set, { botAdminIds: [], defaultWorkspace: () => 'main' });
  const names = (n: Notification, ws?: string) => engine.match(n, ws).map((r) => r.name);

  it('runs event rules whose pattern and conditions hold, in their own workspace', () => {
    expect(names(eventNotification(EVENT), 'main')).toEqual(['vip-orders']);
    expect(names(eventNotification(EVENT), 'eu')).toEqual(['eu-orders']);
    expect(names(eventNotification({ ...EVENT, detail: { ...EVENT.detail, total: 99 } }), 'main')).toEqual(
      [],
    );
    expect(
      names(eventNotification({ ...EVENT, detail: { ...EVENT.detail, status: 'refunded' } }), 'main'),
    ).toEqual([]);
    expect(names(eventNotification({ ...EVENT, source: 'com.example.other' }), 'eu')).toEqual([]);
  });

  it('runs a firing only for its rule, and renders templates against the event or the firing', () => {
    const firing: Notification = {
      type: 'notification_event',
      id: 'schedule:nightly:2024-03-05T01:00:00Z',
      topic: 'schedule',
      data: { item: { time: '2024-03-05T01:00:00Z', rule: 'nightly' } },
    };
    expect(names(firing, 'main')).toEqual(['nightly']);
    expect(names({ ...firing, data: { item: { time: 'x', rule: 'other' } } }, 'main')).toEqual([]);
    expect(engine.render(set.rules[2]!.actions[0]!, firing).input).toEqual({
      body: { name: 'run 2024-03-05T01:00:00Z', users: [{ id: '1' }] },
    });
    expect(engine.render(set.rules[0]!.actions[0]!, eventNotification(EVENT)).input).toEqual({
      body: { name: 'vip', users: [{ id: 'u-7' }] },
    });
  });

  it('routes an event to each workspace with a matching rule, ordered by the first ordered rule', () => {
    const routing = triggerRouting(set, () => 'main');
    expect(routing.eventRoutes(EVENT)).toEqual([
      { workspace: 'main', objectKey: 'detail.orderId=o-1' },
      { workspace: 'eu', objectKey: 'event:e1' },
    ]);
    // Without the key, the event goes unordered; without a match, nowhere.
    const { orderId: _, ...noOrder } = EVENT.detail;
    expect(routing.eventRoutes({ ...EVENT, detail: noOrder })[0]).toEqual({
      workspace: 'main',
      objectKey: 'event:e1',
    });
    expect(routing.eventRoutes({ ...EVENT, source: 'x' })).toEqual([]);
    expect(routing.scheduleWorkspace('nightly')).toBe('main');
    expect(routing.scheduleWorkspace('vip-orders')).toBeUndefined();
  });

  it('names event and scheduled rules whose workspace is not configured', () => {
    expect(unknownWorkspaceIssues(set, ['main'])).toEqual([
      {
        rule: 'eu-orders',
        path: '/rules/1/workspace',
        message: '"eu" is not a configured workspace (configured: main)',
      },
    ]);
    expect(unknownWorkspaceIssues(set, ['main', 'eu'])).toEqual([]);
  });

  it('needs the write scope to fire a rule', () => {
    expect(requiredScopesToFire(set.rules[2]!)).toEqual(['write']);
  });
});
