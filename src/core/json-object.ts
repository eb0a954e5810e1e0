/** A parsed JSON value that is an object (not null, not an array): the one check every reader of outside JSON needs. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
