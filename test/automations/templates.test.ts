import { describe, expect, it } from '@jest/globals';
import {
  type Json,
  parseTemplate,
  renderString,
  renderTree,
  sampleNotification,
  TemplateError,
} from '../../lib/automations/index.ts';

const user = sampleNotification('user.created');
const closed = sampleNotification('conversation.admin.closed');

function errorsOf(text: string): string[] {
  return parseTemplate(text).errors;
}

describe('rendering', () => {
  it('a string that is exactly one template keeps the value type', () => {
    expect(renderString('{{created_at}}', user)).toBe(1_709_632_800);
    expect(renderString('{{data.item.anonymous}}', user)).toBe(false);
    expect(renderString('{{data.item.custom_attributes}}', user)).toEqual({ plan: 'pro', seats: 12 });
    expect(renderString('{{data.item.tags.tags}}', user)).toEqual([
      { type: 'tag', id: '2525085', name: 'vip' },
    ]);
    expect(renderString('{{data.item.pseudonym}}', user)).toBeNull();
  });

  it('a whole-template object is a copy, not the notification itself', () => {
    const copy = renderString('{{data.item.custom_attributes}}', user) as Record<string, unknown>;
    copy.plan = 'changed';
    expect((user.data.item.custom_attributes as Record<string, unknown>).plan).toBe('pro');
  });

  it('interpolates as text when the string has more than the template', () => {
    expect(renderString('User {{data.item.id}} ({{data.item.session_count}} sessions)', user)).toBe(
      'User 5f1c2e3a9b8d7c0012345678 (3 sessions)',
    );
    expect(renderString(' {{data.item.session_count}}', user)).toBe(' 3');
    expect(renderString('{{data.item.anonymous}}/{{data.item.pseudonym}}', user)).toBe('false/');
    expect(renderString('attrs: {{data.item.custom_attributes}}', user)).toBe(
      'attrs: {"plan":"pro","seats":12}',
    );
  });

  it('reads list elements by index', () => {
    expect(renderString('{{data.item.conversation_parts.conversation_parts.0.author.id}}', closed)).toBe(
      '814860',
    );
    expect(renderString('{{data.item.conversation_parts.conversation_parts.0.part_type}}', closed)).toBe(
      'close',
    );
    expect(renderString('{{data.item.conversation_parts.conversation_parts.7.author.id}}', closed)).toBe('');
    expect(renderString('{{data.item.tags.tags.name}}', user)).toBe('');
  });

  it('allows spaces inside the braces', () => {
    expect(renderString('{{  data.item.email  |  upper  }}', user)).toBe('ADA.LOVELACE@EXAMPLE.COM');
  });

  it('renders missing values as an empty string, in text and alone', () => {
    expect(renderString('{{data.item.nothing}}', user)).toBe('');
    expect(renderString('a{{data.item.nothing}}b', user)).toBe('ab');
    expect(renderString('{{data.item.email.length}}', user)).toBe('');
    expect(renderString('{{data.item.toString}}', user)).toBe('');
    expect(renderString('{{data.item.hasOwnProperty}}', user)).toBe('');
  });

  it('leaves strings without templates alone', () => {
    expect(renderString('no templates } { here }}', user)).toBe('no templates } { here }}');
  });
});

describe('filters', () => {
  it('lower and upper', () => {
    expect(renderString('{{data.item.name | lower}}', user)).toBe('ada lovelace');
    expect(renderString('{{data.item.name | upper}}', user)).toBe('ADA LOVELACE');
    expect(renderString('{{data.item.session_count | upper}}', user)).toBe('3');
    expect(renderString('{{data.item.nothing | upper}}', user)).toBe('');
  });

  it('domain: after the last @, lower-cased; empty without an @', () => {
    const n = sampleNotification('user.created');
    n.data.item.email = ' Ada@Sub.Example.COM ';
    expect(renderString('{{data.item.email | domain}}', n)).toBe('sub.example.com');
    n.data.item.email = 'odd@name@example.org';
    expect(renderString('{{data.item.email | domain}}', n)).toBe('example.org');
    n.data.item.email = 'no-at-sign';
    expect(renderString('{{data.item.email | domain}}', n)).toBe('');
    n.data.item.email = null;
    expect(renderString('{{data.item.email | domain}}', n)).toBe('');
  });

  it('html escapes markup', () => {
    const n = sampleNotification('user.created');
    n.data.item.name = `<img src=x onerror="alert('1')"> & co`;
    expect(renderString('<p>{{data.item.name | html}}</p>', n)).toBe(
      '<p>&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt; &amp; co</p>',
    );
  });

  it('default replaces missing, null and empty values, and keeps its own type', () => {
    const n = sampleNotification('user.created');
    n.data.item.name = '';
    expect(renderString('{{data.item.name | default:"there"}}', n)).toBe('there');
    expect(renderString('{{data.item.pseudonym | default:"anon"}}', n)).toBe('anon');
    expect(renderString('{{data.item.nothing | default:0}}', n)).toBe(0);
    expect(renderString('{{data.item.nothing | default:true}}', n)).toBe(true);
    expect(renderString('{{data.item.nothing | default:null}}', n)).toBeNull();
    expect(renderString('{{data.item.email | default:"x"}}', n)).toBe('ada.lovelace@example.com');
    expect(renderString('{{data.item.session_count | default:"x"}}', n)).toBe(3);
    expect(renderString('Hi {{data.item.nothing | default:"a \\"quoted\\" | }} name"}}!', n)).toBe(
      'Hi a "quoted" | }} name!',
    );
  });

  it('applies filters left to right', () => {
    expect(renderString('{{data.item.nothing | default:"MiXeD" | lower}}', user)).toBe('mixed');
    expect(renderString('{{data.item.nothing | lower | default:"MiXeD"}}', user)).toBe('MiXeD');
    expect(renderString('{{data.item.email | domain | upper}}', user)).toBe('EXAMPLE.COM');
  });
});

describe('values a filter or the text does not take fail the action, never reach Intercom as junk', () => {
  const n = sampleNotification('user.created');
  n.data.item.emails = ['a@b.example'];
  n.data.item.big = 2 ** 53;
  n.data.item.custom_attributes = { plan: 'pro', seats: 2 ** 53 };

  it.each([
    ['{{data.item.emails | domain}}', 'filter "domain" takes text (an email address), not a list'],
    ['domain:{{data.item.emails | domain}}', 'filter "domain" takes text (an email address), not a list'],
    ['{{data.item.location_data | domain}}', 'filter "domain" takes text (an email address), not an object'],
    ['{{data.item.session_count | domain}}', 'filter "domain" takes text (an email address), not a number'],
    ['{{data.item.anonymous | domain}}', 'filter "domain" takes text (an email address), not a boolean'],
    ['{{data.item.emails | lower}}', 'filter "lower" takes text, a number or true/false, not a list'],
    ['{{data.item.tags | upper}}', 'filter "upper" takes text, a number or true/false, not an object'],
    ['<p>{{data.item.emails | html}}</p>', 'filter "html" takes text, a number or true/false, not a list'],
  ])('%s', (template, problem) => {
    const source = /\{\{.*\}\}/.exec(template)![0];
    expect(() => renderString(template, n, '/params/body/name')).toThrow(
      new TemplateError(`/params/body/name: template "${source}": ${problem}`),
    );
  });

  it('names the failing string for the run log and for the rules check', () => {
    let error: unknown;
    try {
      renderTree({ body: { name: 'domain:{{data.item.emails | domain}}' } }, n, '/params');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as TemplateError).at).toBe('/params/body/name');
    expect((error as TemplateError).problem).toBe(
      'template "{{data.item.emails | domain}}": filter "domain" takes text (an email address), not a list',
    );
  });

  it('a number beyond 2^53-1 is not written into text (its digits would be wrong)', () => {
    expect(() => renderString('id-{{data.item.big}}', n, '/params/id')).toThrow(
      new TemplateError(
        '/params/id: template "{{data.item.big}}": the value is a number beyond ±9007199254740991 (2^53-1), which cannot be sent exactly: send it as a string',
      ),
    );
    expect(() => renderString('{{data.item.big | upper}}', n)).toThrow(TemplateError);
    expect(() => renderString('attrs: {{data.item.custom_attributes}}', n)).toThrow(
      'template "{{data.item.custom_attributes}}": the value (at /seats) is a number beyond',
    );
    // Alone it keeps its type: the rendered input's validation refuses it with its path.
    expect(renderString('{{data.item.big}}', n)).toBe(2 ** 53);
    expect(renderString('{{data.item.session_count}} and {{data.item.session_count | lower}}', n)).toBe(
      '3 and 3',
    );
  });

  it('a default value must be a number JSON carries exactly', () => {
    expect(parseTemplate('{{data.item.x | default:1e400}}').errors).toEqual([
      'template "{{data.item.x | default:1e400}}": the value of "default" is a number too large for JSON (it would be sent as null)',
    ]);
    expect(parseTemplate('{{data.item.x | default:9007199254740993}}').errors[0]).toContain(
      'the value of "default" is a number beyond ±9007199254740991',
    );
    expect(parseTemplate('{{data.item.x | default:9007199254740991}}').errors).toEqual([]);
  });
});

describe('template syntax errors', () => {
  it.each([
    ['{{data.item.email', 'template "{{data.item.email" has no closing "}}"'],
    ['{{}}', 'template "{{}}": names no path'],
    ['{{ | lower}}', 'template "{{ | lower}}": names no path'],
    ['{{data..item}}', 'template "{{data..item}}": "data..item" has an empty segment'],
    [
      '{{user.email}}',
      'template "{{user.email}}": "user.email" must start with a field of the notification (type, id, topic, app_id, created_at, data, delivery_status, delivery_attempts, delivered_at, first_sent_at, links, self)',
    ],
    [
      '{{data.item[0]}}',
      'template "{{data.item[0]}}": "data.item[0]": segments are letters, digits, "_" and "-" separated by dots',
    ],
    [
      '{{data.item.email | domian}}',
      'template "{{data.item.email | domian}}": unknown filter "domian"; did you mean "domain"? (filters are lower, upper, domain, html, default)',
    ],
    [
      '{{data.item.email | lower:"x"}}',
      'template "{{data.item.email | lower:"x"}}": filter "lower" takes no argument',
    ],
    [
      '{{data.item.email | default}}',
      'template "{{data.item.email | default}}": filter "default" needs a value, e.g. default:"unknown"',
    ],
    [
      '{{data.item.email | default:unknown}}',
      'template "{{data.item.email | default:unknown}}": the value of "default" must be a quoted string, a number, true, false or null, not unknown',
    ],
    [
      '{{data.item.email | default:{"a":1}}}',
      // The first "}}" closes the template.
      'template "{{data.item.email | default:{"a":1}}": the value of "default" must be a quoted string, a number, true, false or null, not {"a":1',
    ],
    [
      '{{data.item.email | 1x}}',
      'template "{{data.item.email | 1x}}": "1x" is not a filter (filters are lower, upper, domain, html, default)',
    ],
  ])('%s', (text, message) => {
    expect(errorsOf(text)).toEqual([message]);
  });

  it('reports every broken template of a string', () => {
    expect(errorsOf('{{data.item.a | nope}} and {{data.x.constructor}}')).toEqual([
      'template "{{data.item.a | nope}}": unknown filter "nope" (filters are lower, upper, domain, html, default)',
      'template "{{data.x.constructor}}": "data.x.constructor": "constructor" is not allowed in a path',
    ]);
  });

  it('shortens long templates in messages', () => {
    const long = `{{data.item.${'a'.repeat(100)} | nope}}`;
    expect(errorsOf(long)[0]).toMatch(/^template "\{\{data\.item\.a+\.\.\.": unknown filter "nope"/);
  });

  it('bounds the number of templates and the length of a string', () => {
    expect(errorsOf('{{id}}'.repeat(51))).toEqual(['has more than 50 templates']);
    expect(errorsOf(`{{id}}${'x'.repeat(65_536)}`)).toEqual(['is longer than 65536 characters']);
  });
});

describe('hostile paths', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('"%s" is a syntax error, never a lookup', (segment) => {
    expect(errorsOf(`{{data.item.${segment}}}`)).toEqual([
      `template "{{data.item.${segment}}}": "data.item.${segment}": "${segment}" is not allowed in a path`,
    ]);
    expect(() => renderString(`{{data.${segment}.polluted}}`, user)).toThrow(TemplateError);
  });

  it('an expression language is not there to abuse', () => {
    expect(errorsOf('{{ process.exit() }}')[0]).toContain('segments are letters, digits');
    expect(errorsOf('{{ this.constructor.constructor("return process")() }}')[0]).toContain(
      '"constructor" is not allowed in a path',
    );
    expect(errorsOf('{{ data.item.email.replace("a", "b") }}')[0]).toContain('segments are letters, digits');
  });

  it('a broken template fails rendering with the location', () => {
    expect(() => renderTree({ body: { name: '{{data.item.email | nope}}' } }, user, '/params')).toThrow(
      '/params/body/name: template "{{data.item.email | nope}}": unknown filter "nope"',
    );
  });

  it('a rendering longer than the bound fails instead of reaching Intercom', () => {
    const n = sampleNotification('user.created');
    n.data.item.name = 'x'.repeat(70_000);
    expect(() => renderString('Hi {{data.item.name}}', n, '/params/body/body')).toThrow(
      new TemplateError('/params/body/body renders more than 65536 characters'),
    );
    expect(() => renderString('{{data.item.name}}', n)).toThrow(TemplateError);
    n.data.item.custom_attributes = { big: 'y'.repeat(70_000) };
    expect(() => renderString('{{data.item.custom_attributes}}', n)).toThrow(TemplateError);
  });

  it('renders a tree without touching prototypes or object keys', () => {
    const params = JSON.parse(
      '{"__proto__": {"polluted": "{{data.item.id}}"}, "{{data.item.id}}": "key"}',
    ) as Json;
    const out = renderTree(params, user) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({
      polluted: '5f1c2e3a9b8d7c0012345678',
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(out['{{data.item.id}}']).toBe('key');
  });

  it('renders arrays, numbers, booleans and null as given', () => {
    expect(
      renderTree([1, true, null, '{{data.item.user_id}}', ['{{data.item.email | domain}}']], user),
    ).toEqual([1, true, null, '25', ['example.com']]);
  });
});
