/**
 * What the process writes to stdout and stderr (log lines, EMF), kept instead of printed while
 * captured: `start()` in a beforeAll, `stop()` in the afterAll.
 */
export class CapturedOutput {
  /** Every chunk written while capturing, in order (cleared by `clear()`). */
  readonly chunks: string[] = [];
  #restore: (() => void) | undefined;

  start(): void {
    const out = process.stdout.write;
    const err = process.stderr.write;
    const capture = ((chunk: unknown) => {
      this.chunks.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    process.stdout.write = capture;
    process.stderr.write = capture;
    this.#restore = () => {
      process.stdout.write = out;
      process.stderr.write = err;
    };
  }

  stop(): void {
    this.#restore?.();
    this.#restore = undefined;
  }

  clear(): void {
    this.chunks.length = 0;
  }

  /** The JSON lines written since chunk `from`, parsed (other output skipped). */
  records(from = 0): Record<string, any>[] {
    return this.chunks
      .slice(from)
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
  }
}
