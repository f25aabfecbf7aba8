import { ArgsType, Field, ID, Int, InterfaceType, ObjectType, type ClassType } from 'type-graphql';
import { ErrorCode, InputRejected } from './errors.js';
import type { RequestContext } from './context.js';
import { nodeTypesOf } from './node-registry.js';

@InterfaceType({
  description: 'An object with an opaque global id, fetchable through `node(id:)`.',
  // a type is in a schema only when a field reaches it: plugin node types (Deal…) must not show in workspaces
  // (and schemas) without the plugin just because they implement Node
  autoRegisterImplementations: false,
  resolveType: (value: object, ctx: RequestContext) => nodeTypesOf(ctx).typeNameOf(value),
})
export abstract class Node {
  @Field(() => ID)
  id!: string;
}

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field()
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 20;

@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { nullable: true, description: `Page size, at most ${MAX_PAGE_SIZE}.` })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: `Page size from the end, at most ${MAX_PAGE_SIZE}.` })
  last?: number | null;

  @Field(() => String, { nullable: true })
  before?: string | null;
}

export interface Page<T> {
  nodes: T[];
  cursors: string[];
  pageInfo: PageInfo;
  /** Counted only when a client asks for `totalCount`. */
  count: () => Promise<number>;
}

export interface EdgeShape<T> {
  cursor: string;
  node: T;
}

/** Builds `XConnection` and `XEdge` types for a node type. */
export function Connection<T extends object>(nodeType: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field()
    cursor!: string;

    @Field(() => nodeType)
    node!: T;
  }

  @ObjectType(`${name}Connection`)
  class ConnectionType {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => [nodeType], { description: 'The nodes of `edges`, for clients that do not need cursors.' })
    nodes!: T[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'Number of records matching the filter, ignoring pagination.' })
    totalCount(): Promise<number> {
      return (this as unknown as { count: () => Promise<number> }).count();
    }
  }
  return ConnectionType;
}

/** Turns a page into the connection shape type-graphql resolves. */
export function toConnection<T>(page: Page<T>) {
  return {
    edges: page.nodes.map((node, i) => ({ node, cursor: page.cursors[i]! })),
    nodes: page.nodes,
    pageInfo: page.pageInfo,
    count: page.count,
  };
}

export interface PageRequest {
  limit: number;
  cursor: unknown[] | null;
  backward: boolean;
}

/** Validates `first/after/last/before` into one direction and limit. */
export function pageRequest(args: ConnectionArgs): PageRequest {
  const { first, last, after, before } = args;
  if (first != null && last != null) throw InputRejected.one('first', 'use either first or last, not both');
  for (const [name, value] of [
    ['first', first],
    ['last', last],
  ] as const) {
    if (value != null && (value < 0 || value > MAX_PAGE_SIZE)) {
      throw InputRejected.one(name, `must be between 0 and ${MAX_PAGE_SIZE}`);
    }
  }
  const backward = last != null || (before != null && first == null);
  const raw = backward ? before : after;
  return {
    limit: (backward ? last : first) ?? DEFAULT_PAGE_SIZE,
    cursor: raw ? decodeCursor(raw, backward ? 'before' : 'after') : null,
    backward,
  };
}

export function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string, field: string): unknown[] {
  try {
    if (cursor.length > 4096) throw new Error('too long');
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(values) || values.length === 0) throw new Error('not a cursor');
    return values;
  } catch {
    throw InputRejected.one(field, 'is not a valid cursor', ErrorCode.BAD_USER_INPUT);
  }
}
