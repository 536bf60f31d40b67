/** Counters for `GET /__sandbox/stats` and the log of recent API requests. */
import type { RecordedRequest } from './types.ts';

export const REQUEST_LOG_SIZE = 1000;

function bump(counter: Record<string, number>, key: string): void {
  counter[key] = (counter[key] ?? 0) + 1;
}

export class Recorder {
  requests: Record<string, number> = {};
  responses: Record<string, number> = {};
  faults: Record<string, number> = {};
  #log: RecordedRequest[] = [];

  countRequest(routeKey: string): void {
    bump(this.requests, routeKey);
  }

  countFault(kind: string): void {
    bump(this.faults, kind);
  }

  /** A finished request: counted by status (a dropped connection is not a response) and logged. */
  finish(entry: RecordedRequest): void {
    if (entry.status > 0) bump(this.responses, String(entry.status));
    this.#log.push(entry);
    if (this.#log.length > REQUEST_LOG_SIZE) this.#log.splice(0, this.#log.length - REQUEST_LOG_SIZE);
  }

  log(): RecordedRequest[] {
    return this.#log.map((entry) => structuredClone(entry));
  }

  clear(): void {
    this.requests = {};
    this.responses = {};
    this.faults = {};
    this.#log = [];
  }
}
