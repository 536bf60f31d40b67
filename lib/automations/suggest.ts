/** "Did you mean" for misspelt names: the nearest candidate by edit distance, when it is near enough. */

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

export function closest(input: string, candidates: Iterable<string>): string | undefined {
  // Long inputs are never a typo of a short name; bounding also keeps hostile input cheap.
  if (input.length > 100) return undefined;
  const limit = Math.max(2, Math.floor(input.length / 3));
  let best: { name: string; score: number } | undefined;
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    const same = lower === input.toLowerCase();
    // A cut-short name ("window" for "windowSeconds") is a near miss however many letters are missing.
    const prefix = input.length >= 4 && lower.startsWith(input.toLowerCase());
    const score = same ? 0 : prefix ? 1 : distance(input, candidate);
    if (score <= limit && (best === undefined || score < best.score)) best = { name: candidate, score };
  }
  return best?.name;
}

/** `; did you mean "x"?` or nothing. */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  const match = closest(input, candidates);
  return match === undefined ? '' : `; did you mean "${match}"?`;
}
