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
    if (!specifier.startsWith('.') && !specifier.startsWith('/')) return false; // packages (crm-kernel exports ./sdk only)
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
