/**
 * One line to stdout, as Node's Console writes it: a write error (stdout closed, EPIPE) is dropped
 * rather than thrown as an unhandled 'error' event, so a log or metrics line never ends the process.
 * Our own lines (the access line, EMF) write here instead of through a Console for speed: nothing
 * is allocated per line on the way.
 */
const ignore = () => {};

/** An error reported later reaches the write's callback first: it leaves a listener for the event. */
function afterWrite(stream: NodeJS.WritableStream) {
  return (error?: Error | null) => {
    if (error && stream.listenerCount('error') === 0) stream.once('error', ignore);
  };
}

let afterStdoutWrite: ((error?: Error | null) => void) | undefined;

export function writeLine(text: string, stream: NodeJS.WritableStream = process.stdout): void {
  let callback: (error?: Error | null) => void;
  if (stream === process.stdout) callback = afterStdoutWrite ??= afterWrite(process.stdout);
  else callback = afterWrite(stream);
  // An error reported synchronously meets this listener during the write.
  stream.on('error', ignore);
  try {
    stream.write(text, callback);
  } finally {
    stream.removeListener('error', ignore);
  }
}
