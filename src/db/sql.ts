/**
 * A SQL fragment with `?` placeholders and its parameters. MikroORM's `execute` quotes the parameters
 * into the statement, so `?` must never appear in SQL text for anything but a parameter (use
 * `jsonb_exists()` instead of the jsonb `?` operator).
 */
export class Sql {
  constructor(
    readonly text: string,
    readonly params: unknown[] = [],
  ) {}

  static join(parts: Sql[], separator: string): Sql {
    return new Sql(
      parts.map((p) => p.text).join(separator),
      parts.flatMap((p) => p.params),
    );
  }

  static and(parts: Sql[]): Sql {
    return parts.length === 0
      ? new Sql('true')
      : Sql.join(
          parts.map((p) => p.wrap()),
          ' and ',
        );
  }

  static or(parts: Sql[]): Sql {
    return parts.length === 0
      ? new Sql('false')
      : Sql.join(
          parts.map((p) => p.wrap()),
          ' or ',
        );
  }

  wrap(): Sql {
    return new Sql(`(${this.text})`, this.params);
  }
}

/** Tagged template: `sql\`a = ${x}\`` → text `a = ?` with params [x]; nested `Sql` values are spliced in. */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  let text = strings[0]!;
  const params: unknown[] = [];
  values.forEach((value, i) => {
    if (value instanceof Sql) {
      text += value.text;
      params.push(...value.params);
    } else {
      text += '?';
      params.push(value);
    }
    text += strings[i + 1]!;
  });
  return new Sql(text, params);
}

/** Raw SQL text (identifiers and expressions chosen by code, never by users). */
export const raw = (text: string) => new Sql(text);

/** A row of a raw query as the driver returns it; columns are read by name and converted where they are used. */
// biome-ignore lint/suspicious/noExplicitAny: a raw row's column types are not known statically
export type SqlRow = Record<string, any>;

/** Escapes LIKE wildcards in user text. */
export const likeEscape = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);
