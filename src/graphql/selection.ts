import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * Names of the fields a client selected below the current field along `path` (e.g. `['nodes']`), following
 * fragments. Lets a loader read only the columns a query needs; null when the selection cannot be read.
 */
export function selectedFields(info: GraphQLResolveInfo, path: string[] = []): Set<string> | null {
  let sets: SelectionSetNode[] = info.fieldNodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
  for (const step of path) {
    sets = collect(info, sets).flatMap((f) => (f.name === step && f.selectionSet ? [f.selectionSet] : []));
  }
  if (sets.length === 0) return null;
  return new Set(collect(info, sets).map((f) => f.name));
}

function collect(info: GraphQLResolveInfo, sets: SelectionSetNode[]): { name: string; selectionSet?: SelectionSetNode }[] {
  const out: { name: string; selectionSet?: SelectionSetNode }[] = [];
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) out.push({ name: selection.name.value, selectionSet: selection.selectionSet });
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else {
        const fragment = info.fragments[selection.name.value];
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  sets.forEach(visit);
  return out;
}
