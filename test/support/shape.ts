/** The shape of a JSON value: every key path with the JSON types seen there (array elements merged as `[]`). */
export function jsonShape(value: unknown, at = '$', out = new Map<string, Set<string>>()): Map<string, Set<string>> {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  const seen = out.get(at) ?? new Set<string>();
  seen.add(type);
  out.set(at, seen);
  if (Array.isArray(value)) for (const item of value) jsonShape(item, `${at}[]`, out);
  else if (value && typeof value === 'object') for (const [key, v] of Object.entries(value)) jsonShape(v, `${at}.${key}`, out);
  return out;
}

/** As a sorted plain object, for a fixture file. */
export function shapeRecord(shape: Map<string, Set<string>>): Record<string, string[]> {
  return Object.fromEntries([...shape.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, [...v].sort()]));
}
