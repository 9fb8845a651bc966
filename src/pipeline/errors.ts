/**
 * Bad input from a person or a file: the message says what to fix. Nothing was changed.
 * The CLI maps it to exit code 64; the editor shows it as-is, never as a stack trace.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

/** A problem with one file of the repository, located for the reader. */
export class FileProblem extends UserError {
  constructor(
    readonly file: string,
    message: string,
    readonly line?: number,
    hint?: string,
  ) {
    super(message, hint);
  }

  /** "helm/environments/prod-env/image-tags.yaml:4: message" relative to a root. */
  where(root?: string): string {
    const shown = root && this.file.startsWith(root + '/') ? this.file.slice(root.length + 1) : this.file;
    return this.line ? `${shown}:${this.line}` : shown;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
