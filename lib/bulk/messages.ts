/** The body of one queued item: which job, which item, which attempt, and its validated input. */

export interface ItemMessage {
  v: 1;
  jobId: string;
  index: number;
  /** Starts at 1; `retry-failed` queues attempt n+1 and older messages are then ignored. */
  attempt: number;
  operation: string;
  workspace: string;
  input: Record<string, unknown>;
}

export function encodeItemMessage(message: Omit<ItemMessage, 'v'>): string {
  return JSON.stringify({ v: 1, ...message });
}

/** The message, or undefined when the body is not one of ours (logged and dropped by the worker). */
export function decodeItemMessage(body: string): ItemMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const m = parsed as Partial<ItemMessage>;
  if (
    m.v !== 1 ||
    typeof m.jobId !== 'string' ||
    !Number.isSafeInteger(m.index) ||
    !Number.isSafeInteger(m.attempt) ||
    typeof m.operation !== 'string' ||
    typeof m.workspace !== 'string' ||
    typeof m.input !== 'object' ||
    m.input === null
  ) {
    return undefined;
  }
  return m as ItemMessage;
}
