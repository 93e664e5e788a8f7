type OwnerField = 'sub' | 'sid';

/**
 * Answers findSessions() the same way in every store: each given field must match, and an empty
 * query finds nothing (never "every session", which a logout handler could act on by mistake).
 */
export async function findOwned(
  query: { sub?: string; sid?: string },
  lookup: (field: OwnerField, value: string) => string[] | Promise<string[]>,
): Promise<string[]> {
  const lists: string[][] = [];
  for (const field of ['sub', 'sid'] as const) {
    const value = query[field];
    if (value !== undefined) lists.push(await lookup(field, value));
  }
  const [first, ...rest] = lists;
  if (!first) return [];
  return [...new Set(first)].filter((id) => rest.every((list) => list.includes(id)));
}
