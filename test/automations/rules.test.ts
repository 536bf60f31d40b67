import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_RUN_CAP,
  parseRules,
  type RuleIssue,
  type RuleSet,
  RuleValidationError,
} from '../../lib/automations/index.ts';

type Doc = Record<string, unknown>;

/** A valid rule, with fields replaced. */
function rule(over: Doc = {}): Doc {
  return {
    name: 'tag-users',
    topics: ['user.created'],
    actions: [
      { operation: 'create_tag', params: { body: { name: 'new', users: [{ id: '{{data.item.id}}' }] } } },
    ],
    ...over,
  };
}

function parse(doc: unknown): RuleSet {
  return parseRules(JSON.stringify(doc), 'json', 'rules.json');
}

function issuesOfText(text: string, format: 'json' | 'yaml'): RuleIssue[] {
  try {
    parseRules(text, format, `rules.${format}`);
  } catch (error) {
    if (error instanceof RuleValidationError) return [...error.issues];
    throw error;
  }
  return [];
}

function issuesOf(doc: unknown): RuleIssue[] {
  return issuesOfText(JSON.stringify(doc), 'json');
}

/** Issues of one rule (named "tag-users" unless replaced). */
function ruleIssues(over: Doc): Array<[string, string]> {
  return issuesOf({ rules: [rule(over)] }).map((i) => [i.path, i.message]);
}

function conditionIssues(condition: unknown, topics = ['user.created']): Array<[string, string]> {
  return ruleIssues({ topics, when: [condition] });
}

function actionIssues(action: unknown, topics = ['user.created']): Array<[string, string]> {
  return ruleIssues({ topics, actions: [action] });
}

describe('a valid document', () => {
  it('applies defaults', () => {
    const set = parse({ rules: [rule()] });
    expect(set).toEqual({
      source: 'rules.json',
      rules: [
        {
          name: 'tag-users',
          topics: ['user.created'],
          when: [],
          actions: [
            {
              operation: 'create_tag',
              params: { body: { name: 'new', users: [{ id: '{{data.item.id}}' }] } },
              continueOnError: false,
            },
          ],
          ignoreBotAuthors: true,
          maxRunsPerObject: { count: 3, windowSeconds: 600 },
        },
      ],
    });
    expect(DEFAULT_RUN_CAP).toEqual({ count: 3, windowSeconds: 600 });
  });

  it('keeps the given loop-guard settings, conditions and continueOnError', () => {
    const set = parse({
      version: 1,
      rules: [
        rule({
          when: [{ path: 'data.item.email', contains: '@', not: true }],
          ignoreBotAuthors: false,
          maxRunsPerObject: { count: 1, windowSeconds: 86_400 },
          actions: [{ operation: 'create_tag', params: { body: { name: 'x' } }, continueOnError: true }],
        }),
      ],
    });
    expect(set.rules[0]).toMatchObject({
      when: [{ path: 'data.item.email', contains: '@', not: true }],
      ignoreBotAuthors: false,
      maxRunsPerObject: { count: 1, windowSeconds: 86_400 },
      actions: [{ operation: 'create_tag', continueOnError: true }],
    });
  });

  it('expands topic wildcards to whole segments', () => {
    const [admin] = parse({
      rules: [rule({ topics: ['conversation.admin.*'], actions: [noteAction()] })],
    }).rules;
    expect(admin!.topics).toEqual([
      'conversation.admin.replied',
      'conversation.admin.single.created',
      'conversation.admin.assigned',
      'conversation.admin.noted',
      'conversation.admin.closed',
      'conversation.admin.opened',
      'conversation.admin.snoozed',
      'conversation.admin.unsnoozed',
    ]);
    const [users] = parse({
      rules: [rule({ topics: ['user.tag.*', 'user.tag.created'], actions: [tagAction()] })],
    }).rules;
    expect(users!.topics).toEqual(['user.tag.created', 'user.tag.deleted']);
  });

  it.each([
    ['an empty file', ''],
    ['only whitespace', '  \n\n'],
    ['only comments', '# no rules yet\n'],
    ['an empty list', 'rules: []\n'],
    ['null', 'null'],
  ])('%s has no rules', (_label, text) => {
    expect(parseRules(text, 'yaml', 'a.yaml')).toEqual({ source: 'a.yaml', rules: [] });
  });

  it('an empty JSON file and {"rules": []} have no rules', () => {
    expect(parseRules('', 'json', 'a.json').rules).toEqual([]);
    expect(parseRules('\uFEFF{"rules": []}', 'json', 'a.json').rules).toEqual([]);
  });

  it('YAML dates and times stay strings', () => {
    const set = parseRules(
      `rules:
  - name: hours
    topics: [conversation.user.created]
    when:
      - outsideHours: {timezone: UTC, days: [sat, sun], from: 09:00, to: 17:30}
      - path: data.item.conversation_message.subject
        equals: 2024-01-01
    actions:
      - operation: mark_conversation_as_read
        params: {id: "{{data.item.id}}"}
`,
      'yaml',
      'a.yaml',
    );
    expect(set.rules[0]!.when).toEqual([
      { outsideHours: { timezone: 'UTC', days: ['sat', 'sun'], from: '09:00', to: '17:30' } },
      { path: 'data.item.conversation_message.subject', equals: '2024-01-01' },
    ]);
  });
});

function noteAction(): Doc {
  return {
    operation: 'create_note',
    params: { body: { body: 'Closed', user: { id: '{{data.item.user.id}}' }, admin_id: '1' } },
  };
}

function tagAction(): Doc {
  return {
    operation: 'create_tag',
    params: { body: { name: 'x', users: [{ id: '{{data.item.user.id}}' }] } },
  };
}

describe('the document', () => {
  const at = (issues: RuleIssue[]) => issues.map((i) => [i.rule, i.path, i.message]);

  it.each([
    ['{"rules": [', 'json', /^is not valid JSON: /],
    ['rules: [a\n  b: c', 'yaml', /^is not valid YAML: /],
    ['rules: []\nrules: []\n', 'yaml', /^is not valid YAML: duplicated mapping key/],
    ['--- {rules: []}\n--- {rules: []}\n', 'yaml', /^is not valid YAML: expected a single document/],
  ] as const)('%j is not %s', (text, format, message) => {
    const issues = issuesOfText(text, format);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ rule: null, path: '' });
    expect(issues[0]!.message).toMatch(message);
  });

  it('must be an object', () => {
    expect(at(issuesOf([rule()]))).toEqual([[null, '', 'must be an object with a "rules" list, not a list']]);
    expect(at(issuesOfText('just text', 'yaml'))).toEqual([
      [null, '', 'must be an object with a "rules" list, not a string'],
    ]);
  });

  it('needs a rules list and knows its keys', () => {
    expect(at(issuesOf({}))).toEqual([[null, '/rules', 'is required (a list of rules)']]);
    expect(at(issuesOf({ rules: {} }))).toEqual([[null, '/rules', 'must be a list of rules']]);
    expect(at(issuesOf({ rule: [], rules: [], version: 2 }))).toEqual([
      [null, '/rule', 'is not a known field; did you mean "rules"? (known: version, rules)'],
      [null, '/version', 'must be 1'],
    ]);
  });

  it('bounds the number of rules, the size of the file and YAML alias expansion', () => {
    const many = Array.from({ length: 201 }, (_, i) => rule({ name: `r${i}` }));
    expect(at(issuesOf({ rules: many }))).toEqual([[null, '/rules', 'has more than 200 rules']]);
    expect(at(issuesOfText(`# ${'x'.repeat(1024 * 1024)}`, 'yaml'))).toEqual([
      [null, '', 'is larger than 1048576 bytes'],
    ]);
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      laughs.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    expect(at(issuesOfText(`${laughs.join('\n')}\nrules: []\n`, 'yaml'))).toEqual([
      [null, '', 'has more than 200000 values or is nested deeper than 64 levels'],
    ]);
  });

  it('rejects numbers JSON cannot hold', () => {
    expect(at(issuesOfText('rules: [{name: a, maxRunsPerObject: {count: .inf}}]', 'yaml'))).toEqual([
      [null, '/rules/0/maxRunsPerObject/count', 'must be a finite number'],
    ]);
  });
});

describe('a rule', () => {
  it('must be an object', () => {
    expect(issuesOf({ rules: ['tag-users'] })).toEqual([
      {
        rule: null,
        path: '/rules/0',
        message: 'must be an object {name, topics, when?, actions}, not a string',
      },
    ]);
  });

  it('knows its fields', () => {
    expect(ruleIssues({ action: [], conditions: [] })).toEqual([
      [
        '/rules/0/action',
        'is not a known field; did you mean "actions"? (known: name, topics, when, actions, ignoreBotAuthors, maxRunsPerObject, on, workspace, forEach)',
      ],
      [
        '/rules/0/conditions',
        'is not a known field (known: name, topics, when, actions, ignoreBotAuthors, maxRunsPerObject, on, workspace, forEach)',
      ],
    ]);
  });

  it.each([undefined, '', 'Tag Users', 'tag.users', 'x'.repeat(65), 42])('name %j is not valid', (name) => {
    const issues = issuesOf({ rules: [rule({ name })] });
    expect(issues).toEqual([
      {
        rule: null,
        path: '/rules/0/name',
        message: 'must be 1 to 64 characters: lower-case letters, digits, "_" and "-"',
      },
    ]);
  });

  it('names are unique', () => {
    expect(issuesOf({ rules: [rule(), rule({ name: 'other' }), rule()] })).toEqual([
      { rule: 'tag-users', path: '/rules/2/name', message: '"tag-users" is already the name of /rules/0' },
    ]);
  });

  it('topics: a non-empty list of known topics', () => {
    expect(ruleIssues({ topics: undefined })).toEqual([
      ['/rules/0/topics', 'must be a list of 1 to 30 topics, e.g. ["user.created"]'],
    ]);
    expect(ruleIssues({ topics: [] })).toEqual([
      ['/rules/0/topics', 'must be a list of 1 to 30 topics, e.g. ["user.created"]'],
    ]);
    expect(ruleIssues({ topics: 'user.created' })).toEqual([
      ['/rules/0/topics', 'must be a list of 1 to 30 topics, e.g. ["user.created"]'],
    ]);
    expect(ruleIssues({ topics: ['user.created', 7, 'user.created'] })).toEqual([
      ['/rules/0/topics/1', 'must be a topic name, not a number'],
      ['/rules/0/topics/2', 'repeats /rules/0/topics/0'],
    ]);
  });

  it('an unknown topic, with a suggestion', () => {
    expect(ruleIssues({ topics: ['user.create', 'conversation.admin.close', 'user.exploded'] })).toEqual([
      ['/rules/0/topics/0', 'unknown topic "user.create"; did you mean "user.created"?'],
      [
        '/rules/0/topics/1',
        'unknown topic "conversation.admin.close"; did you mean "conversation.admin.closed"?',
      ],
      ['/rules/0/topics/2', 'unknown topic "user.exploded"'],
    ]);
  });

  it('ping, "*" and wildcards matching nothing', () => {
    expect(ruleIssues({ topics: ['ping', '*', 'conv.*', 'user.*.created', 'user.crea*'] })).toEqual([
      ['/rules/0/topics/0', 'ping notifications only test the subscription and never run rules'],
      [
        '/rules/0/topics/1',
        'a rule names its topics: "*" would feed it every item shape; use a prefix such as "user.*"',
      ],
      ['/rules/0/topics/2', '"conv.*" matches no Intercom 1.x topic'],
      ['/rules/0/topics/3', 'unknown topic "user.*.created"; did you mean "user.created"?'],
      ['/rules/0/topics/4', 'unknown topic "user.crea*"; did you mean "user.created"?'],
    ]);
  });

  it('when: a list of at most 20 conditions', () => {
    expect(ruleIssues({ when: { path: 'data.item.email', exists: true } })).toEqual([
      ['/rules/0/when', 'must be a list of at most 20 conditions'],
    ]);
    expect(ruleIssues({ when: Array(21).fill({ path: 'data.item.email', exists: true }) })).toEqual([
      ['/rules/0/when', 'must be a list of at most 20 conditions'],
    ]);
  });

  it('actions: 1 to 10', () => {
    for (const actions of [undefined, [], {}, Array(11).fill(tagAction())]) {
      expect(ruleIssues({ actions })).toEqual([['/rules/0/actions', 'must be a list of 1 to 10 actions']]);
    }
  });

  it('loop-guard settings', () => {
    expect(ruleIssues({ ignoreBotAuthors: 'yes', maxRunsPerObject: 3 })).toEqual([
      ['/rules/0/ignoreBotAuthors', 'must be true or false'],
      ['/rules/0/maxRunsPerObject', 'must be an object {count, windowSeconds}, not a number'],
    ]);
    expect(ruleIssues({ maxRunsPerObject: { count: 0, window: 5 } })).toEqual([
      [
        '/rules/0/maxRunsPerObject/window',
        'is not a known field; did you mean "windowSeconds"? (known: count, windowSeconds)',
      ],
      ['/rules/0/maxRunsPerObject/count', 'must be an integer from 1 to 1000'],
      ['/rules/0/maxRunsPerObject/windowSeconds', 'must be an integer from 1 to 86400'],
    ]);
    expect(ruleIssues({ maxRunsPerObject: { count: 1.5, windowSeconds: 86_401 } })).toEqual([
      ['/rules/0/maxRunsPerObject/count', 'must be an integer from 1 to 1000'],
      ['/rules/0/maxRunsPerObject/windowSeconds', 'must be an integer from 1 to 86400'],
    ]);
  });

  it('reports every problem of every rule, named', () => {
    const issues = issuesOf({
      rules: [
        rule({ topics: ['user.create'] }),
        rule({ name: 'second', actions: [{ operation: 'create_tags', params: {} }] }),
        { topics: ['user.created'], actions: [tagAction()] },
      ],
    });
    expect(issues).toEqual([
      {
        rule: 'tag-users',
        path: '/rules/0/topics/0',
        message: 'unknown topic "user.create"; did you mean "user.created"?',
      },
      {
        rule: 'second',
        path: '/rules/1/actions/0/operation',
        message: 'unknown operation "create_tags"; did you mean "create_tag"?',
      },
      {
        rule: null,
        path: '/rules/2/name',
        message: 'must be 1 to 64 characters: lower-case letters, digits, "_" and "-"',
      },
      {
        rule: null,
        path: '/rules/2/actions/0/params/body/users/0/id',
        message:
          '"data.item.user.id" is not in notifications of topic user.created; did you mean "data.item.user_id"?',
      },
    ]);
  });

  it('the error message lists the problems readably', () => {
    const text = JSON.stringify({ rules: [rule({ topics: ['user.create'] }), { name: 'b' }], extra: 1 });
    expect(() => parseRules(text, 'json', 'automations.json')).toThrow(
      [
        'Invalid automation rules in automations.json (4 problems):',
        '  - /extra: is not a known field (known: version, rules)',
        '  - /rules/0/topics/0 (rule "tag-users"): unknown topic "user.create"; did you mean "user.created"?',
        '  - /rules/1/topics (rule "b"): must be a list of 1 to 30 topics, e.g. ["user.created"]',
        '  - /rules/1/actions (rule "b"): must be a list of 1 to 10 actions',
      ].join('\n'),
    );
    expect(() => parseRules('[', 'json', 'a.json')).toThrow(
      /^Invalid automation rules in a\.json \(1 problem\):\n {2}- \(file\): is not valid JSON/,
    );
  });
});

describe('a condition', () => {
  it('must be an object with exactly one operator', () => {
    expect(conditionIssues('data.item.email')).toEqual([
      ['/rules/0/when/0', 'must be an object such as {path: "data.item.email", exists: true}, not a string'],
    ]);
    expect(conditionIssues({ path: 'data.item.email' })).toEqual([
      ['/rules/0/when/0', 'needs one operator: equals, in, exists, contains, outsideHours, withinHours'],
    ]);
    expect(conditionIssues({ path: 'data.item.email', equals: 'a', in: ['a'] })).toEqual([
      ['/rules/0/when/0', 'has several operators (equals, in): write one condition for each'],
    ]);
    expect(conditionIssues({ path: 'data.item.email', exist: true, exists: true })).toEqual([
      [
        '/rules/0/when/0/exist',
        'is not a known field; did you mean "exists"? (known: path, not, equals, in, exists, contains, outsideHours, withinHours)',
      ],
    ]);
  });

  it('operands', () => {
    expect(conditionIssues({ path: 'data.item.email', in: [] })).toEqual([
      ['/rules/0/when/0/in', 'must be a list of 1 to 100 values'],
    ]);
    expect(conditionIssues({ path: 'data.item.email', in: 'a' })).toEqual([
      ['/rules/0/when/0/in', 'must be a list of 1 to 100 values'],
    ]);
    expect(conditionIssues({ path: 'data.item.email', exists: 'yes' })).toEqual([
      ['/rules/0/when/0/exists', 'must be true or false'],
    ]);
    expect(conditionIssues({ path: 'data.item.email', equals: 'a', not: 1 })).toEqual([
      ['/rules/0/when/0/not', 'must be true or false'],
    ]);
  });

  it('path syntax', () => {
    expect(conditionIssues({ path: 3, equals: 1 })).toEqual([
      ['/rules/0/when/0/path', 'must be a dot path such as "data.item.email"'],
    ]);
    expect(conditionIssues({ equals: 1 })).toEqual([
      ['/rules/0/when/0/path', 'must be a dot path such as "data.item.email"'],
    ]);
    expect(conditionIssues({ path: '', equals: 1 })).toEqual([['/rules/0/when/0/path', 'the path is empty']]);
    expect(conditionIssues({ path: 'data.item.', equals: 1 })).toEqual([
      ['/rules/0/when/0/path', '"data.item." has an empty segment'],
    ]);
    expect(conditionIssues({ path: 'data.item.__proto__.x', exists: true })).toEqual([
      ['/rules/0/when/0/path', '"data.item.__proto__.x": "__proto__" is not allowed in a path'],
    ]);
    expect(conditionIssues({ path: 'data.item["email"]', exists: true })).toEqual([
      [
        '/rules/0/when/0/path',
        '"data.item["email"]": segments are letters, digits, "_" and "-" separated by dots',
      ],
    ]);
    expect(conditionIssues({ path: 'user.email', exists: true })).toEqual([
      [
        '/rules/0/when/0/path',
        '"user.email" must start with a field of the notification (type, id, topic, app_id, created_at, data, delivery_status, delivery_attempts, delivered_at, first_sent_at, links, self)',
      ],
    ]);
    expect(conditionIssues({ path: `data.${'a.'.repeat(40)}b`, exists: true })).toEqual([
      ['/rules/0/when/0/path', 'the path has more than 32 segments'],
    ]);
    expect(conditionIssues({ path: `data.${'a'.repeat(300)}`, exists: true })).toEqual([
      ['/rules/0/when/0/path', 'the path is longer than 256 characters'],
    ]);
  });

  it('a path the topics cannot have, with a suggestion', () => {
    expect(conditionIssues({ path: 'data.item.emial', equals: 'a' })).toEqual([
      [
        '/rules/0/when/0/path',
        '"data.item.emial" is not in notifications of topic user.created; did you mean "data.item.email"?',
      ],
    ]);
    expect(
      conditionIssues({ path: 'data.item.name', equals: 'a' }, [
        'user.created',
        'user.deleted',
        'contact.deleted',
      ]),
    ).toEqual([
      [
        '/rules/0/when/0/path',
        '"data.item.name" is not in notifications of topics user.deleted, contact.deleted',
      ],
    ]);
    expect(conditionIssues({ path: 'data.item.tags.tags.name', equals: 'vip' })).toEqual([
      [
        '/rules/0/when/0/path',
        '"data.item.tags.tags.name": "data.item.tags.tags" is a list, so "name" must be an index such as 0 (topic user.created)',
      ],
    ]);
    expect(conditionIssues({ path: 'data.item.email.domain', equals: 'a' })).toEqual([
      [
        '/rules/0/when/0/path',
        '"data.item.email.domain": "data.item.email" is a string, not an object (topic user.created)',
      ],
    ]);
  });

  it('paths the samples cannot disprove are accepted', () => {
    for (const path of [
      'data.item.custom_attributes.anything_at_all',
      'data.item.tags.tags.5.name',
      'data.item.pseudonym.deeper',
      'data.item.nothing_here',
    ]) {
      expect(conditionIssues({ path, exists: true })).toEqual([]);
    }
    expect(
      conditionIssues({ path: 'data.item.metadata.invite_code', equals: 'X' }, ['event.created']),
    ).toEqual([]);
  });

  it('office hours', () => {
    const hours = { timezone: 'Europe/Paris', days: ['mon'], from: '09:00', to: '18:00' };
    expect(conditionIssues({ outsideHours: hours, path: 'created_at' })).toEqual([
      ['/rules/0/when/0/path', "is not used by outsideHours, which reads the notification's created_at"],
    ]);
    expect(conditionIssues({ withinHours: 'weekdays' })).toEqual([
      ['/rules/0/when/0/withinHours', 'must be an object with timezone, days, from and to, not a string'],
    ]);
    expect(conditionIssues({ outsideHours: { ...hours, zone: 'UTC' } })).toEqual([
      ['/rules/0/when/0/outsideHours/zone', 'is not a known field (known: timezone, days, from, to)'],
    ]);
    expect(conditionIssues({ outsideHours: { days: [], from: '9:00', to: '25:00' } })).toEqual([
      ['/rules/0/when/0/outsideHours/timezone', 'must be a string, e.g. "Europe/Paris"'],
      ['/rules/0/when/0/outsideHours/days', 'must be a non-empty list of mon, tue, wed, thu, fri, sat, sun'],
      ['/rules/0/when/0/outsideHours/from', 'must be a 24-hour time "HH:MM"'],
      ['/rules/0/when/0/outsideHours/to', 'must be a 24-hour time "HH:MM" (or "24:00")'],
    ]);
    expect(
      conditionIssues({ outsideHours: { ...hours, days: ['mon', 'Tue', 'mon'], from: '24:00' } }),
    ).toEqual([
      ['/rules/0/when/0/outsideHours/days/1', 'must be one of mon, tue, wed, thu, fri, sat, sun'],
      ['/rules/0/when/0/outsideHours/days/2', 'repeats "mon"'],
      ['/rules/0/when/0/outsideHours/from', 'must be a 24-hour time "HH:MM"'],
    ]);
    expect(conditionIssues({ outsideHours: { ...hours, from: '00:00', to: '24:00' } })).toEqual([
      [
        '/rules/0/when/0/outsideHours/to',
        'is the same time as "from": the window would be empty or the whole day',
      ],
    ]);
    expect(conditionIssues({ outsideHours: { ...hours, from: '10:00', to: '10:00' } })).toEqual([
      [
        '/rules/0/when/0/outsideHours/to',
        'is the same time as "from": the window would be empty or the whole day',
      ],
    ]);
  });

  it('the time zone is an IANA name this runtime knows', () => {
    const hours = (timezone: string) => ({
      outsideHours: { timezone, days: ['mon'], from: '09:00', to: '18:00' },
    });
    expect(conditionIssues(hours('Europe/Pari'))).toEqual([
      [
        '/rules/0/when/0/outsideHours/timezone',
        '"Europe/Pari" is not a time zone this runtime knows (an IANA name such as "Europe/Paris"); did you mean "Europe/Paris"?',
      ],
    ]);
    expect(conditionIssues(hours('Mars/Olympus_Mons'))).toEqual([
      [
        '/rules/0/when/0/outsideHours/timezone',
        '"Mars/Olympus_Mons" is not a time zone this runtime knows (an IANA name such as "Europe/Paris")',
      ],
    ]);
    expect(conditionIssues(hours('+01:00'))).toEqual([
      [
        '/rules/0/when/0/outsideHours/timezone',
        '"+01:00" is not an IANA time zone name such as "Europe/Paris"',
      ],
    ]);
    for (const zone of ['UTC', 'America/New_York', 'Asia/Kolkata', 'US/Eastern'])
      expect(conditionIssues(hours(zone))).toEqual([]);
  });
});

describe('an action', () => {
  it('must be an object with known fields', () => {
    expect(actionIssues('create_tag')).toEqual([
      ['/rules/0/actions/0', 'must be an object {operation, params}, not a string'],
    ]);
    expect(actionIssues({ ...tagAction(), param: {}, continueOnError: 'no' })).toEqual([
      [
        '/rules/0/actions/0/param',
        'is not a known field; did you mean "params"? (known: operation, params, continueOnError)',
      ],
      ['/rules/0/actions/0/continueOnError', 'must be true or false'],
      [
        '/rules/0/actions/0/params/body/users/0/id',
        '"data.item.user.id" is not in notifications of topic user.created; did you mean "data.item.user_id"?',
      ],
    ]);
  });

  it('an operation of the catalog, with a suggestion', () => {
    expect(actionIssues({ params: {} })).toEqual([
      ['/rules/0/actions/0/operation', 'must be the name of an operation, e.g. "create_tag"'],
    ]);
    expect(actionIssues({ operation: 'tag_users', params: {} })).toEqual([
      ['/rules/0/actions/0/operation', 'unknown operation "tag_users"'],
    ]);
    expect(actionIssues({ operation: 'create_note', params: {} })).toEqual([
      ['/rules/0/actions/0/params/body', 'is required'],
    ]);
    expect(actionIssues({ operation: 'Create_Note', params: {} })).toEqual([
      ['/rules/0/actions/0/operation', 'unknown operation "Create_Note"; did you mean "create_note"?'],
    ]);
  });

  it('params: an object', () => {
    expect(actionIssues({ operation: 'create_tag', params: ['x'] })).toEqual([
      ['/rules/0/actions/0/params', "must be an object of the operation's parameters, not a list"],
    ]);
  });

  it('list controls are not allowed', () => {
    expect(
      actionIssues({
        operation: 'list_users',
        params: { resultsPath: 'users', limit: 5, next: 'x', sort: 'created_at' },
      }),
    ).toEqual([
      [
        '/rules/0/actions/0/params/resultsPath',
        'is a list control (resultsPath, limit, next): rule actions do not page',
      ],
      [
        '/rules/0/actions/0/params/limit',
        'is a list control (resultsPath, limit, next): rule actions do not page',
      ],
      [
        '/rules/0/actions/0/params/next',
        'is a list control (resultsPath, limit, next): rule actions do not page',
      ],
    ]);
    // Operations that are not lists have no such parameter at all.
    expect(actionIssues({ operation: 'get_user', params: { id: '{{data.item.id}}', limit: 1 } })).toEqual([
      ['/rules/0/actions/0/params/limit', 'is not a known parameter'],
    ]);
  });

  it('field names are plain', () => {
    const params = JSON.parse('{"body": {"name": "x", "__proto__": {}, "{{data.item.id}}": 1}}');
    expect(actionIssues({ operation: 'create_tag', params })).toEqual([
      ['/rules/0/actions/0/params/body/__proto__', 'is not allowed as a field name'],
      ['/rules/0/actions/0/params/body/{{data.item.id}}', 'is a field name: templates only work in values'],
    ]);
  });

  it('template syntax and paths', () => {
    expect(
      actionIssues({
        operation: 'create_tag',
        params: {
          body: {
            name: '{{data.item.email | domian}}',
            users: [{ id: '{{data.item.uid}}', email: '{{data.item.email' }],
          },
        },
      }),
    ).toEqual([
      [
        '/rules/0/actions/0/params/body/name',
        'template "{{data.item.email | domian}}": unknown filter "domian"; did you mean "domain"? (filters are lower, upper, domain, html, default)',
      ],
      [
        '/rules/0/actions/0/params/body/users/0/id',
        '"data.item.uid" is not in notifications of topic user.created; did you mean "data.item.id"?',
      ],
      ['/rules/0/actions/0/params/body/users/0/email', 'template "{{data.item.email" has no closing "}}"'],
    ]);
  });

  it('a wildcard is checked against every topic it names', () => {
    // user.* includes user.tag.*, whose item is a user_tag with the user under `user`.
    expect(
      actionIssues({ operation: 'archive_user', params: { user_id: '{{data.item.user_id}}' } }, ['user.*']),
    ).toEqual([
      [
        '/rules/0/actions/0/params/user_id',
        '"data.item.user_id" is not in notifications of topics user.tag.created, user.tag.deleted',
      ],
    ]);
  });

  it('a path with a default may be missing', () => {
    expect(
      actionIssues({
        operation: 'create_tag',
        params: { body: { name: '{{data.item.plan_name | default:"free"}}' } },
      }),
    ).toEqual([]);
  });

  it('parameters must match the schema once templated with each topic sample', () => {
    // `name` renders as a number (session_count keeps its type).
    expect(
      actionIssues(
        {
          operation: 'create_tag',
          params: { body: { name: '{{data.item.session_count}}', users: [{ id: '{{data.item.id}}' }] } },
        },
        ['user.created', 'contact.created'],
      ),
    ).toEqual([
      [
        '/rules/0/actions/0/params/body/name',
        'must be string (once templated with the sample of topics user.created, contact.created)',
      ],
    ]);
  });

  it('a value that does not fit fails for the topics whose sample it does not fit', () => {
    expect(
      actionIssues(
        {
          operation: 'create_note',
          params: { body: { body: '{{data.item.pseudonym}}', user: { id: '{{data.item.id}}' } } },
        },
        ['user.created', 'contact.created'],
      ),
    ).toEqual([
      // A user's pseudonym is null; a lead's is a string.
      [
        '/rules/0/actions/0/params/body/body',
        'must be string (once templated with the sample of topic user.created)',
      ],
    ]);
  });

  it('static parameters are judged without a topic', () => {
    expect(
      actionIssues({
        operation: 'post_reply',
        params: { conversation_id: '1', body: { type: 'admin', message_type: 'comment', body: 'x' } },
      }),
    ).toEqual([['/rules/0/actions/0/params/body/admin_id', 'is required']]);
    expect(
      actionIssues({ operation: 'create_tag', params: { body: { name: 'x', users: [], companies: [] } } }),
    ).toEqual([['/rules/0/actions/0/params/body', 'combines parameters that cannot be used together']]);
  });

  it('a filter given a value it does not take is found with the samples, not at run time', () => {
    expect(
      actionIssues({
        operation: 'create_tag',
        params: {
          body: { name: 'domain:{{data.item.tags.tags | domain}}', users: [{ id: '{{data.item.id}}' }] },
        },
      }),
    ).toEqual([
      [
        '/rules/0/actions/0/params/body/name',
        'template "{{data.item.tags.tags | domain}}": filter "domain" takes text (an email address), not a list (once templated with the sample of topic user.created)',
      ],
    ]);
  });

  it('a number the API would refuse is refused in the rule too', () => {
    const text = JSON.stringify({
      rules: [rule({ actions: [{ operation: 'create_update_user', params: {} }] })],
    }).replace('"params":{}', '"params":{"body":{"user_id":"1","custom_attributes":{"n":9007199254740993}}}');
    expect(issuesOfText(text, 'json').map((i) => [i.path, i.message])).toEqual([
      [
        '/rules/0/actions/0/params/body/custom_attributes/n',
        'is a number beyond ±9007199254740991 (2^53-1), which cannot be sent exactly: send it as a string',
      ],
    ]);
  });

  it('issues under $body point at $body', () => {
    expect(
      actionIssues({
        operation: 'create_note',
        params: { $body: { body: 'Hi {{data.item.name}}', user: {} } },
      }),
    ).toEqual([
      ['/rules/0/actions/0/params/$body/user', 'needs at least one of: id, user_id, email, intercom_user_id'],
    ]);
  });
  it('issues of templated values under $body point at $body too', () => {
    expect(
      actionIssues({
        operation: 'create_note',
        params: { $body: { body: '{{data.item.pseudonym}}', user: { id: '{{data.item.id}}' } } },
      }),
    ).toEqual([
      [
        '/rules/0/actions/0/params/$body/body',
        'must be string (once templated with the sample of topic user.created)',
      ],
    ]);
  });
});

describe('a for-each rule', () => {
  const forEachRule = (forEach: unknown, actions?: unknown[]): Doc =>
    rule({
      forEach,
      actions: actions ?? [
        {
          operation: 'create_update_user',
          params: {
            body: { user_id: '{{item.user_id}}', custom_attributes: { seen: '{{data.item.email}}' } },
          },
        },
      ],
    });

  it('reads its enumeration, filter and bound, with defaults', () => {
    const [parsed] = parse({
      rules: [forEachRule({ operation: 'scroll_users', where: [{ path: 'item.email', exists: true }] })],
    }).rules;
    expect(parsed!.forEach).toEqual({
      operation: 'scroll_users',
      params: {},
      where: [{ path: 'item.email', exists: true }],
      maxItems: 1000,
    });
    const [listed] = parse({
      rules: [forEachRule({ operation: 'list_users', params: { created_since: 7 }, maxItems: 10_000 })],
    }).rules;
    expect(listed!.forEach).toMatchObject({
      operation: 'list_users',
      params: { created_since: 7 },
      maxItems: 10_000,
    });
  });

  it('refuses what it cannot enumerate, a bad bound, unknown keys and paths off the record', () => {
    expect(
      issuesOf({
        rules: [
          forEachRule({
            operation: 'list_tags',
            maxItems: 10_001,
            filter: [],
          }),
        ],
      }).map((i) => [i.path, i.message]),
    ).toEqual([
      ['/rules/0/forEach/filter', 'is not a known field (known: operation, params, where, maxItems)'],
      [
        '/rules/0/forEach/operation',
        '"list_tags" does not enumerate records a rule can act on: use a scroll (scroll_users, scroll_leads, scroll_companies) or a list of users, leads, companies or conversations',
      ],
      ['/rules/0/forEach/maxItems', 'must be an integer from 1 to 10000'],
    ]);
    expect(
      ruleIssues({
        ...forEachRule({
          operation: 'scroll_users',
          where: [
            { path: 'data.item.email', equals: 'a' },
            { path: 'item.emial', equals: 'b' },
          ],
        }),
      }),
    ).toEqual([
      [
        '/rules/0/forEach/where/0/path',
        '"data.item.email" must start with a field of the record (item); this rule reads the record itself, not an Intercom notification',
      ],
      [
        '/rules/0/forEach/where/1/path',
        '"item.emial" is not in scroll_users records; did you mean "item.email"?',
      ],
    ]);
  });

  it('has exactly one action, validated against a record of what it enumerates', () => {
    const action = { operation: 'create_update_user', params: { body: { user_id: '{{item.user_id}}' } } };
    expect(ruleIssues(forEachRule({ operation: 'scroll_users' }, [action, action]))).toEqual([
      [
        '/rules/0/actions',
        'a for-each rule has exactly one action: the operation its bulk job runs for each match',
      ],
    ]);
    expect(
      ruleIssues(
        forEachRule({ operation: 'scroll_companies' }, [
          { operation: 'create_update_user', params: { body: { user_id: '{{item.user_id}}' } } },
        ]),
      ),
    ).toEqual([
      ['/rules/0/actions/0/params/body/user_id', '"item.user_id" is not in scroll_companies records'],
      [
        '/rules/0/actions/0/params/body/user_id',
        'must NOT have fewer than 1 characters (once templated with a scroll_companies record)',
      ],
    ]);
  });

  it('tells a rule without forEach that "item" is a for-each record', () => {
    expect(
      actionIssues({
        operation: 'create_tag',
        params: { body: { name: '{{item.email}}', users: [{ id: '1' }] } },
      }),
    ).toEqual([
      [
        '/rules/0/actions/0/params/body/name',
        'template "{{item.email}}": "item.email" must start with a field of the notification (type, id, topic, app_id, created_at, data, delivery_status, delivery_attempts, delivered_at, first_sent_at, links, self); did you mean "data.item.email"?',
      ],
    ]);
  });
});
