// How the CLI writes to its streams when it runs as a process.

/**
 * A writer that stops writing once the reader has gone (EPIPE: `gitops-deploy status | head`):
 * the command goes on to its end (a deployment is never cut short by a closed pipe), silently.
 */
export function quietWhenClosed(stream: NodeJS.WriteStream): (s: string) => void {
  let closed = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') closed = true;
    else throw err;
  });
  return (s) => {
    if (!closed) stream.write(s);
  };
}
