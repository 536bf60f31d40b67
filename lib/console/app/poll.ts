/**
 * Live data: loads now, then again every `intervalMs` while `keepGoing` says the data can still
 * change and the user has not paused. One load at a time: the next is scheduled only when the last
 * one has finished, and a refresh asked for meanwhile waits for it.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Poll<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  paused: boolean;
  setPaused(paused: boolean): void;
  refresh(): void;
  /** When the data was last loaded. */
  updatedAt: Date | undefined;
}

export function usePoll<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  options: { intervalMs?: number; keepGoing?: (data: T) => boolean } = {},
): Poll<T> {
  const { intervalMs = 2_000, keepGoing = () => false } = options;
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [paused, setPausedState] = useState(false);
  const [updatedAt, setUpdatedAt] = useState<Date | undefined>(undefined);
  const state = useRef({
    inFlight: false,
    again: false,
    timer: 0,
    /** Bumped when the deps change or the view goes: a load of an older generation is dropped. */
    generation: 0,
    paused: false,
    latest: undefined as T | undefined,
  });
  const run = useRef<() => void>(() => undefined);

  run.current = () => {
    const s = state.current;
    window.clearTimeout(s.timer);
    if (s.inFlight) {
      s.again = true;
      return;
    }
    s.inFlight = true;
    const generation = s.generation;
    const current = () => generation === s.generation;
    setLoading(true);
    load()
      .then(
        (value) => {
          if (!current()) return;
          s.latest = value;
          setData(value);
          setError(undefined);
          setUpdatedAt(new Date());
        },
        (failure: unknown) => {
          if (current()) setError(failure instanceof Error ? failure : new Error(String(failure)));
        },
      )
      .finally(() => {
        s.inFlight = false;
        if (s.generation < 0) return;
        setLoading(false);
        if (s.again) {
          s.again = false;
          run.current();
        } else if (current() && !s.paused && s.latest !== undefined && keepGoing(s.latest)) {
          s.timer = window.setTimeout(() => run.current(), intervalMs);
        }
      });
  };

  useEffect(() => {
    const s = state.current;
    s.generation = Math.abs(s.generation) + 1;
    s.latest = undefined;
    setData(undefined);
    run.current();
    return () => {
      // Negative: gone (nothing is scheduled any more) until the next generation starts.
      s.generation = -s.generation;
      s.again = false;
      window.clearTimeout(s.timer);
    };
  }, deps);

  const setPaused = useCallback((value: boolean) => {
    state.current.paused = value;
    setPausedState(value);
    if (value) window.clearTimeout(state.current.timer);
    else run.current();
  }, []);
  const refresh = useCallback(() => run.current(), []);
  return { data, error, loading, paused, setPaused, refresh, updatedAt };
}
