/** Who contributed an entry: `kernel` or a plugin id. */
export type Owner = string;

export const KERNEL_OWNER: Owner = 'kernel';

/** An entry claimed twice: the message names the claimant first (`pipeline: node type Contact is already …`). */
export class ContributionClash extends Error {
  constructor(
    readonly owner: Owner,
    message: string,
  ) {
    super(`${owner}: ${message}`);
    this.name = 'ContributionClash';
  }
}

/**
 * Entries by key, each stamped with its owner. An app's registry layers its plugins' entries over the kernel's
 * (`base`), and refuses a key that either already holds — a plugin cannot overwrite the kernel's entry or another
 * plugin's.
 */
export class ContributionRegistry<V> {
  readonly #own = new Map<string, { owner: Owner; value: V }>();

  constructor(
    /** What an entry is, for messages: `node type`, `taggable type`. */
    readonly what: string,
    readonly base?: ContributionRegistry<V>,
  ) {}

  add(owner: Owner, key: string, value: V): void {
    const holder = this.ownerOf(key);
    if (holder !== undefined) {
      throw new ContributionClash(owner, `${this.what} ${key} is already ${holder === owner ? 'declared by it' : `declared by ${holder}`}`);
    }
    this.#own.set(key, { owner, value });
  }

  get(key: string): V | undefined {
    return this.#own.get(key)?.value ?? this.base?.get(key);
  }

  ownerOf(key: string): Owner | undefined {
    return this.#own.get(key)?.owner ?? this.base?.ownerOf(key);
  }

  /** Base entries first, then this registry's, in the order added. */
  entries(): [key: string, value: V, owner: Owner][] {
    return [...(this.base?.entries() ?? []), ...[...this.#own].map(([key, { owner, value }]) => [key, value, owner] as [string, V, Owner])];
  }

  keys(): string[] {
    return this.entries().map(([key]) => key);
  }
}
