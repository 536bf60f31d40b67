/** Every operation's example (declared or derived from its schema) passes the operation's own validator. */
import { describe, expect, it } from '@jest/globals';
import { exampleInput, getOperation, operations } from '../../lib/catalog/index.ts';
import { type ValidatorMap, validateInput } from '../../lib/validation/validate.ts';

describe('operation examples', () => {
  it.each(operations.map((op) => [op.name, op] as const))('%s: its example is valid input', async (_, op) => {
    const validators = (await import(`../../lib/validation/generated/${op.group}.ts`)) as ValidatorMap;
    expect(validateInput(validators[op.name]!, exampleInput(op))).toEqual([]);
  });

  it('derives the required parameters and the first of "at least one of", with samples by name and type', () => {
    expect(exampleInput(getOperation('get_user'))).toEqual({ id: '1' });
    expect(exampleInput(getOperation('list_users'))).toEqual({});
    expect(exampleInput(getOperation('archive_user'))).toEqual({ email: 'ada@example.com' });
    expect(exampleInput(getOperation('list_events_for_user'))).toEqual({
      type: 'user',
      email: 'ada@example.com',
    });
    expect(exampleInput(getOperation('create_event'))).toEqual({
      body: { event_name: 'ordered-item', created_at: 1_767_225_600, user_id: '42' },
    });
    expect(exampleInput(getOperation('list_activity_logs_for_admin'))).toEqual({
      created_at_after: 1_767_225_600,
    });
  });

  it("prefers the operation's declared example and hands out copies", () => {
    const op = getOperation('post_reply');
    expect(op.example).toBeDefined();
    const example = exampleInput(op);
    expect(example).toEqual(op.example);
    (example.body as Record<string, unknown>).body = 'changed';
    expect(exampleInput(op)).toEqual(op.example);
  });
});
