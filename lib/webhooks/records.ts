/** What the automations keep per notification: its processing state and, when done, what each rule did. */
import type { ItemError } from '../bulk/records.ts';

export type ActionStatus = 'succeeded' | 'failed' | 'outcome_unknown';

export interface ActionResult {
  operation: string;
  status: ActionStatus;
  error?: ItemError;
}

export interface RuleRun {
  rule: string;
  /** `ran`: its actions were executed; `skipped`: the loop guard stopped it (see `reason`). */
  status: 'ran' | 'skipped';
  reason?: 'own_write' | 'run_cap';
  actions: ActionResult[];
}

export interface NotificationRun {
  notificationId: string;
  topic: string;
  workspace: string;
  /** `<item type>:<item id>`: notifications of one object are processed in order. */
  objectKey: string;
  receivedAt: number;
  finishedAt: number;
  rules: RuleRun[];
}

export const notificationKey = (id: string) => ({ pk: `notif#${id}`, sk: 'notif' });
