/** The OCI distribution spec's tag grammar. */
export const OCI_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** Why a tag is invalid, or undefined when it is a valid OCI tag. */
export function tagProblem(tag: string): string | undefined {
  if (tag.length === 0) return 'the tag is empty';
  if (tag.length > 128) return `the tag is ${tag.length} characters long; OCI tags have at most 128`;
  if (!/^[A-Za-z0-9_]/.test(tag)) return `the tag "${tag}" must start with a letter, digit or underscore`;
  const bad = [...tag].find((c) => !/[A-Za-z0-9._-]/.test(c));
  if (bad !== undefined) return `the tag "${tag}" contains ${JSON.stringify(bad)}; OCI tags use only letters, digits, ".", "_" and "-"`;
  return OCI_TAG.test(tag) ? undefined : `"${tag}" is not a valid OCI tag`;
}

export function isValidTag(tag: string): boolean {
  return OCI_TAG.test(tag);
}
