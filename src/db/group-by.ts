/** Groups rows by a key (e.g. the parent id of a batched load), keeping their order. */
export function groupBy<T, V = T>(
  items: Iterable<T>,
  key: (item: T) => string,
  value: (item: T) => V = (item) => item as unknown as V,
): Map<string, V[]> {
  const groups = new Map<string, V[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(value(item));
    else groups.set(k, [value(item)]);
  }
  return groups;
}

/** Removes and returns a helper column a query added to each row (e.g. `_parent`). */
export function takeColumn(row: Record<string, unknown>, column: string): string {
  const value = row[column] as string;
  delete row[column];
  return value;
}
