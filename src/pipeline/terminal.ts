// Repository text (reasons, records, logs) printed to a terminal must not drive it: control
// characters (ESC sequences, carriage returns, C1 codes) are shown escaped, never interpreted.

/** The longest reason accepted (characters); documented in the README. */
export const REASON_MAX = 500;

/** Escapes every control character except newline and tab: `\x1b[2J` is printed as the text `\x1b[2J`. */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}
