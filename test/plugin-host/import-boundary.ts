import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Every module specifier of a TypeScript/JavaScript source: static imports and re-exports, `import()`, `require()`. */
export function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"`])([^'"`\n]+)\1/g;
  for (const match of source.matchAll(pattern)) found.push(match[2]!);
  return found;
}

/**
 * The specifiers of `source` (a file at `file`) that reach into the kernel's `src/` anywhere but `src/sdk`
 * (relative or absolute paths resolving there).
 */
export function boundaryViolations(source: string, file: string, repoRoot: string): string[] {
  const srcDir = resolve(repoRoot, 'src');
  const sdkDir = join(srcDir, 'sdk');
  const inside = (path: string, dir: string) => path === dir || path.startsWith(dir + sep);
  return importSpecifiers(source).filter((specifier) => {
    if (!specifier.startsWith('.') && !specifier.startsWith('/')) return false; // packages (crm-kernel exports ./sdk and ./sdk/testing only)
    const target = resolve(dirname(file), specifier);
    return inside(target, srcDir) && !inside(target, sdkDir);
  });
}

/** .ts / .mts / .js / .mjs files under `dir` (none if it does not exist), skipping node_modules. */
export function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(m?ts|m?js|tsx)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

export function scanBoundary(dirs: string[], repoRoot: string): string[] {
  return dirs.flatMap((dir) =>
    sourceFiles(dir).flatMap((file) =>
      boundaryViolations(readFileSync(file, 'utf8'), file, repoRoot).map((specifier) => `${relative(repoRoot, file)} imports ${specifier}`),
    ),
  );
}

// ---- kernel tables in plugin SQL ----

/**
 * The text of every string literal of a TypeScript/JavaScript source: '…', "…" and template literals (`${…}`
 * placeholders read as `?`; literals inside the placeholders are returned too). Comments are skipped.
 */
export function stringLiterals(source: string): string[] {
  const found: string[] = [];
  let i = 0;
  const n = source.length;
  // reads a template literal starting after its opening backtick; returns the index after the closing one
  const template = (start: number): number => {
    let j = start;
    let text = '';
    while (j < n && source[j] !== '`') {
      if (source[j] === '\\') {
        text += source.slice(j, j + 2);
        j += 2;
      } else if (source[j] === '$' && source[j + 1] === '{') {
        text += '?';
        j = code(j + 2, true);
      } else text += source[j++];
    }
    found.push(text);
    return j + 1;
  };
  // scans code until the end (or, inside a placeholder, the matching `}`); returns the index after it
  const code = (start: number, placeholder: boolean): number => {
    let j = start;
    let depth = 0;
    while (j < n) {
      const c = source[j]!;
      if (c === '/' && source[j + 1] === '/') j = source.indexOf('\n', j) < 0 ? n : source.indexOf('\n', j);
      else if (c === '/' && source[j + 1] === '*') j = source.indexOf('*/', j + 2) < 0 ? n : source.indexOf('*/', j + 2) + 2;
      else if (c === "'" || c === '"') {
        let k = j + 1;
        let text = '';
        while (k < n && source[k] !== c && source[k] !== '\n') {
          if (source[k] === '\\') {
            text += source.slice(k, k + 2);
            k += 2;
          } else text += source[k++];
        }
        found.push(text);
        j = k + 1;
      } else if (c === '`') j = template(j + 1);
      else if (c === '{') {
        depth++;
        j++;
      } else if (c === '}') {
        if (placeholder && depth === 0) return j + 1;
        depth--;
        j++;
      } else j++;
    }
    return j;
  };
  while (i < n) i = code(i, false);
  return found;
}

/** Where SQL names a table: after these keywords (optionally `only`, optionally schema-qualified, optionally quoted). */
const TABLE_REFERENCE =
  /\b(from|join|into|update|table|references|using|truncate)\s+(?:only\s+)?(?:"?public"?\s*\.\s*)?"?([a-z_][a-z0-9_]*)"?/gi;

/**
 * The kernel tables a literal names: in SQL (after from / join / into / update / table / references / using /
 * truncate), or as the whole literal when the name is unmistakably a table (it has an underscore: `'timeline_link'`
 * passed to `raw()`). In schema DDL — a migration's statements, or any `create table` / `alter table` literal — naming
 * a kernel table after `references` (a foreign key to `workspace`, `app_user`, `contact` …) is allowed; anything else
 * (reading, writing or altering a kernel table) is not.
 */
export function kernelTableReferences(literal: string, kernelTables: ReadonlySet<string>, inMigration = false): string[] {
  const named: string[] = [];
  const ddl = inMigration || /^\s*(create|alter)\s+table\b/i.test(literal);
  for (const match of literal.matchAll(TABLE_REFERENCE)) {
    const keyword = match[1]!.toLowerCase();
    const table = match[2]!.toLowerCase();
    if (!kernelTables.has(table)) continue;
    if (ddl && keyword === 'references') continue;
    named.push(table);
  }
  const whole = literal.trim().replace(/^"|"$/g, '');
  if (whole.includes('_') && kernelTables.has(whole)) named.push(whole);
  return [...new Set(named)];
}

/** Plugin files whose string literals name kernel tables: `<file> names kernel table <table>` (migrations: foreign keys allowed). */
export function scanKernelSql(dirs: string[], repoRoot: string, kernelTables: ReadonlySet<string>): string[] {
  return dirs.flatMap((dir) =>
    sourceFiles(dir).flatMap((file) => {
      const inMigration = file.split(sep).includes('migrations');
      const tables = new Set(
        stringLiterals(readFileSync(file, 'utf8')).flatMap((literal) => kernelTableReferences(literal, kernelTables, inMigration)),
      );
      return [...tables].sort().map((table) => `${relative(repoRoot, file)} names kernel table ${table}`);
    }),
  );
}
