/**
 * Ids shaped as Intercom's: 24 hex digits (Mongo ObjectId-like) for users, leads, visitors, companies
 * and segments; numeric strings for admins, teams, tags, notes, conversations and the rest. They depend
 * only on a counter, never on the clock, so a seeded workspace has the same ids on every reset.
 */

const MIX = 0x9e3779b97f4a7c15n;
const MASK = (1n << 64n) - 1n;

export type NumericKind =
  | 'admin'
  | 'team'
  | 'tag'
  | 'note'
  | 'conversation'
  | 'part'
  | 'message'
  | 'event'
  | 'log';

const FIRST: Record<NumericKind, number> = {
  admin: 814_860,
  team: 2_468_200,
  tag: 1_504_200,
  note: 30_110_000,
  conversation: 21_000_000_001,
  part: 4_100_000_000,
  message: 61_000_000,
  event: 900_000,
  log: 7_000_000,
};

export class IdSource {
  #hexCount = 0;
  readonly #numeric = new Map<NumericKind, number>();

  /** 24 hex digits: an ObjectId-like 8-digit prefix, then 16 of a bijective (so unique) mix of a counter. */
  hex(): string {
    this.#hexCount++;
    const unique = (BigInt(this.#hexCount) * MIX) & MASK;
    const prefix = 0x5d000000 + ((Number(unique >> 40n) & 0xffffff) >>> 0);
    return prefix.toString(16) + unique.toString(16).padStart(16, '0');
  }

  numeric(kind: NumericKind): string {
    const next = this.#numeric.get(kind) ?? FIRST[kind];
    this.#numeric.set(kind, next + 1);
    return String(next);
  }
}
