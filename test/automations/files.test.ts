import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  formatOf,
  loadRulesFile,
  matchingRules,
  type Notification,
  type Rule,
  type RuleSet,
  RuleValidationError,
  renderAction,
  sampleNotification,
} from '../../lib/automations/index.ts';
import * as validators from '../../lib/validation/generated/index.ts';
import { type ValidatorMap, validateInput } from '../../lib/validation/validate.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/automations/${name}`, import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../automations.example.yaml', import.meta.url));

function failure(path: string): RuleValidationError {
  try {
    loadRulesFile(path);
  } catch (error) {
    if (error instanceof RuleValidationError) return error;
    throw error;
  }
  throw new Error(`${path} loaded`);
}

/** The action's rendered input passes the operation's validator, as the worker will check it. */
function expectValidInput(rule: Rule, n: Notification) {
  return rule.actions.map((action) => {
    const { operation, input } = renderAction(action, n);
    expect(validateInput((validators as ValidatorMap)[operation]!, input)).toEqual([]);
    return { operation, input };
  });
}

describe('loadRulesFile', () => {
  it('reads JSON and YAML alike', () => {
    const json = loadRulesFile(fixture('valid.json'));
    const yml = loadRulesFile(fixture('valid.yml'));
    expect(json.source).toBe(fixture('valid.json'));
    expect(yml.rules).toEqual(json.rules);
    expect(json.rules[0]).toMatchObject({
      name: 'vip-signups',
      topics: ['user.created', 'contact.signed_up'],
      maxRunsPerObject: { count: 1, windowSeconds: 3600 },
      ignoreBotAuthors: true,
    });
    const n = sampleNotification('contact.signed_up');
    expect(matchingRules(json, n).map((r) => r.name)).toEqual(['vip-signups']);
    expect(expectValidInput(json.rules[0]!, n)[1]).toEqual({
      operation: 'create_event',
      input: {
        body: {
          event_name: 'vip-signup',
          created_at: 1_709_632_800,
          id: '5f1c2e3a9b8d7c0012345678',
          metadata: { plan: 'PRO' },
        },
      },
    });
  });

  it('a file without rules is valid', () => {
    expect(loadRulesFile(fixture('empty.yaml'))).toEqual({ source: fixture('empty.yaml'), rules: [] });
  });

  it('reports every problem of a bad file', () => {
    const error = failure(fixture('invalid.yaml'));
    expect(error.source).toBe(fixture('invalid.yaml'));
    expect(error.issues).toEqual([
      {
        rule: 'greet-new-people',
        path: '/rules/0/topics/0',
        message: 'unknown topic "user.create"; did you mean "user.created"?',
      },
      {
        rule: 'greet-new-people',
        path: '/rules/0/actions/0/params/body/body',
        message:
          'template "{{data.item.name | defualt:"there"}}": unknown filter "defualt"; did you mean "default"? (filters are lower, upper, domain, html, default)',
      },
      { rule: 'greet-new-people', path: '/rules/0/actions/1/params/body/subject', message: 'is required' },
      {
        rule: 'greet-new-people',
        path: '/rules/1/name',
        message: '"greet-new-people" is already the name of /rules/0',
      },
      {
        rule: 'greet-new-people',
        path: '/rules/1/when/0/path',
        message:
          '"data.item.conversation_message.athor.type" is not in notifications of topic conversation.user.created; did you mean "data.item.conversation_message.author.type"?',
      },
      { rule: 'greet-new-people', path: '/rules/1/actions/0/params/body/admin_id', message: 'is required' },
    ]);
    expect(error.message.split('\n')[0]).toBe(
      `Invalid automation rules in ${fixture('invalid.yaml')} (6 problems):`,
    );
  });

  it('the format comes from the extension', () => {
    expect(formatOf('a/b.json')).toBe('json');
    expect(formatOf('a/b.YAML')).toBe('yaml');
    expect(formatOf('a/b.yml')).toBe('yaml');
    expect(formatOf('a/b.txt')).toBeUndefined();
    expect(failure(fixture('rules.txt')).issues).toEqual([
      { rule: null, path: '', message: 'must be a .json, .yaml or .yml file' },
    ]);
  });

  it('a missing file is a validation error too', () => {
    expect(failure(fixture('missing.yaml')).issues).toEqual([
      { rule: null, path: '', message: 'cannot be read (ENOENT)' },
    ]);
    expect(
      failure(fileURLToPath(new URL('../fixtures/automations.yaml', import.meta.url))).message,
    ).toContain('cannot be read (ENOENT)');
  });
});

describe('automations.example.yaml', () => {
  let example: RuleSet;
  const ruleNamed = (name: string) => example.rules.find((r) => r.name === name)!;

  beforeAll(() => {
    example = loadRulesFile(EXAMPLE);
  });

  it('loads', () => {
    expect(example.rules.map((r) => r.name)).toEqual([
      'tag-new-users-by-domain',
      'note-closed-conversation',
      'auto-reply-outside-office-hours',
      'convert-lead-with-email',
      'tag-big-spenders',
      'nightly-checkpoint',
    ]);
    expect(ruleNamed('tag-big-spenders').trigger?.kind).toBe('eventbridge');
    expect(ruleNamed('nightly-checkpoint').trigger).toEqual({
      kind: 'schedule',
      expression: 'cron(0 2 * * ? *)',
      timezone: 'Europe/Paris',
    });
  });

  it('tags new users by email domain', () => {
    const n = sampleNotification('user.created');
    expect(matchingRules(example, n).map((r) => r.name)).toEqual(['tag-new-users-by-domain']);
    expect(expectValidInput(ruleNamed('tag-new-users-by-domain'), n)).toEqual([
      {
        operation: 'create_tag',
        input: { body: { name: 'domain:example.com', users: [{ id: '5f1c2e3a9b8d7c0012345678' }] } },
      },
    ]);
    n.data.item.email = null;
    expect(matchingRules(example, n)).toEqual([]);
  });

  it('adds a note when a conversation is closed', () => {
    const n = sampleNotification('conversation.admin.closed');
    expect(matchingRules(example, n).map((r) => r.name)).toEqual(['note-closed-conversation']);
    expect(expectValidInput(ruleNamed('note-closed-conversation'), n)).toEqual([
      {
        operation: 'create_note',
        input: {
          body: {
            body: '<p>Conversation 21330067382 was closed by admin 814860.</p>',
            user: { id: '5f1c2e3a9b8d7c0012345678' },
            admin_id: '814860',
          },
        },
      },
    ]);
  });

  it('auto-replies to user conversations outside office hours only', () => {
    const n = sampleNotification('conversation.user.created');
    // The sample's time, Tuesday 11:00 in Paris, is within office hours.
    expect(matchingRules(example, n)).toEqual([]);
    n.created_at = Date.parse('2024-03-05T17:30:00Z') / 1000; // Tuesday 18:30 in Paris
    expect(matchingRules(example, n).map((r) => r.name)).toEqual(['auto-reply-outside-office-hours']);
    n.created_at = Date.parse('2024-03-09T10:00:00Z') / 1000; // Saturday 11:00 in Paris
    expect(matchingRules(example, n).map((r) => r.name)).toEqual(['auto-reply-outside-office-hours']);
    (n.data.item.user as Record<string, unknown>).name = 'Ada <b>Lovelace</b>';
    const [reply] = expectValidInput(ruleNamed('auto-reply-outside-office-hours'), n);
    expect(reply).toMatchObject({
      operation: 'post_reply',
      input: {
        conversation_id: '21330067382',
        body: { type: 'admin', message_type: 'comment', admin_id: '814860' },
      },
    });
    expect((reply!.input.body as { body: string }).body).toMatch(
      /^<p>Hi Ada &lt;b&gt;Lovelace&lt;\/b&gt;, thanks/,
    );
    expect(ruleNamed('auto-reply-outside-office-hours').maxRunsPerObject).toEqual({
      count: 1,
      windowSeconds: 86_400,
    });
  });

  it('converts a lead that adds an email', () => {
    const n = sampleNotification('contact.added_email');
    expect(matchingRules(example, n).map((r) => r.name)).toEqual(['convert-lead-with-email']);
    expect(expectValidInput(ruleNamed('convert-lead-with-email'), n)).toEqual([
      {
        operation: 'convert_lead',
        input: {
          body: {
            contact: { id: '5f1c2e3a9b8d7c0087654321' },
            user: { email: 'charles.babbage@example.org' },
          },
        },
      },
    ]);
  });

  it('every rule ignores the bot and keeps a run cap', () => {
    for (const rule of example.rules) {
      expect(rule.ignoreBotAuthors).toBe(true);
      expect(rule.maxRunsPerObject.count).toBeGreaterThan(0);
    }
  });
});
