import 'reflect-metadata';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import semver from 'semver';
import type { PluginManifest } from './manifest.js';
import type { RuleDeclarations } from '../graphql/shield/declarations.js';
import { mergeDeclarations } from '../graphql/shield/apply-shield.js';
import { entityNames, type EntityNames } from './entity-names.js';
import { graphqlTypeNames } from './graphql-type-names.js';
import { manifestProblems } from './manifest-schema.js';
import { contributionClashes } from './contribution-clashes.js';

/**
 * The plugin host's loader: finds built-in plugins (`plugins/<id>/plugin.(js|ts)`) and the third-party ones named in
 * configuration (npm package names or paths), validates all of them together and returns them in dependency order.
 * Start-up refuses with one `PluginLoadError` listing every problem, one line each, each starting with the plugin id
 * (or, when a module exports no manifest, with where it came from).
 */

export interface LoadedPlugin {
  id: string;
  manifest: PluginManifest;
  /** Where it came from: a file path relative to the working directory, or the package name. */
  source: string;
  builtin: boolean;
}

export class PluginLoadError extends Error {
  constructor(readonly problems: string[]) {
    super(`Plugins refused, the server cannot start:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'PluginLoadError';
  }
}

/** What plugins are checked against: the kernel's version, and the names the kernel already uses. */
export interface KernelFacts {
  /** semver of the kernel (package.json `version`). */
  version: string;
  /** Kernel entity classes: plugins may not reuse their class or table names. */
  entities?: Function[];
  /** Kernel rule declarations: plugins may not declare rules for the same fields. */
  rules?: RuleDeclarations[];
  /** Kernel resolver classes: plugins' GraphQL types may not reuse the names of the kernel's with other classes. */
  resolvers?: readonly Function[];
}

export interface LoadPluginsOptions {
  /** Folder holding one sub-folder per built-in plugin (`<dir>/<id>/plugin.js` or `plugin.ts`); skipped if missing.
   * The real one: `builtinPluginsDir()`. */
  builtinDir: string;
  /** Third-party plugins: npm package names, or paths (absolute, or starting with `.`, relative to `cwd`). */
  extra?: string[];
  /** Resolves relative `extra` paths; defaults to the process's working directory. */
  cwd?: string;
  /** The kernel the plugins are checked against (the app passes `kernelFacts()`). */
  kernel: KernelFacts;
}

export interface PluginCandidate {
  manifest: unknown;
  source: string;
  builtin: boolean;
}

/** Imports every built-in and configured plugin, validates them all, and returns them in dependency order. */
export async function loadPlugins(options: LoadPluginsOptions): Promise<LoadedPlugin[]> {
  const problems: string[] = [];
  const candidates: PluginCandidate[] = [];
  const cwd = options.cwd ?? process.cwd();
  for (const file of builtinPluginFiles(options.builtinDir)) {
    const source = relative(cwd, file) || file;
    await importCandidate(pathToFileURL(file).href, source, true, candidates, problems);
  }
  for (const entry of options.extra ?? []) {
    const name = entry.trim();
    if (!name) continue;
    if (isPath(name)) {
      const file = resolvePluginPath(resolve(cwd, name));
      if (!file) {
        problems.push(`${name}: no plugin found at this path (a plugin.js / plugin.ts file, a folder holding one, or a package folder)`);
        continue;
      }
      await importCandidate(pathToFileURL(file).href, name, false, candidates, problems);
    } else {
      await importCandidate(name, name, false, candidates, problems);
    }
  }
  const kernel = options.kernel;
  try {
    return validatePlugins(candidates, kernel, problems);
  } catch (error) {
    if (error instanceof PluginLoadError) throw error;
    throw new PluginLoadError([...problems, String((error as Error).message ?? error)]);
  }
}

/** The built-in plugins' folder: `plugins/` beside `src/` (tests, ts runners), or `dist/plugins/` when compiled. */
export function builtinPluginsDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../plugins');
}

/** `plugins/*\/plugin.js` (compiled) or `plugin.ts` (tests, ts runners), sorted by folder name. */
export function builtinPluginFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const folder = join(dir, name);
    if (!statSync(folder).isDirectory()) continue;
    const file = ['plugin.js', 'plugin.ts'].map((f) => join(folder, f)).find((f) => existsSync(f));
    if (file) files.push(file);
  }
  return files;
}

const isPath = (entry: string) => entry.startsWith('.') || isAbsolute(entry);

/** A file, a folder holding plugin.js / plugin.ts / index.js, or a package folder (its package.json `main`). */
function resolvePluginPath(path: string): string | null {
  if (!existsSync(path)) return null;
  if (statSync(path).isFile()) return path;
  const pkgFile = join(path, 'package.json');
  if (existsSync(pkgFile)) {
    const main = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { main?: string }).main;
    if (main && existsSync(join(path, main))) return join(path, main);
  }
  return ['plugin.js', 'plugin.ts', 'index.js', 'index.ts'].map((f) => join(path, f)).find((f) => existsSync(f)) ?? null;
}

async function importCandidate(specifier: string, source: string, builtin: boolean, into: PluginCandidate[], problems: string[]) {
  let module: Record<string, unknown>;
  try {
    module = (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    problems.push(`${source}: could not be imported: ${(error as Error).message ?? error}`);
    return;
  }
  // a manifest is an object with an `id` (a package's unrelated default export is not taken for one)
  const manifest = [module.default, module.plugin].find((v) => v !== null && typeof v === 'object' && 'id' in v);
  if (!manifest) {
    problems.push(`${source}: exports no plugin manifest (a default export or an export named \`plugin\`, made with definePlugin)`);
    return;
  }
  into.push({ manifest, source, builtin });
}

let kernelVersion: string | undefined;

/** The kernel's version: the `version` of the package.json next to src/ (or dist/), read once. */
export function readKernelVersion(): string {
  if (kernelVersion) return kernelVersion;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'crm-kernel' && pkg.version) {
        kernelVersion = pkg.version;
        return kernelVersion;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('The kernel package.json (crm-kernel) was not found above src/plugin-host');
    dir = parent;
  }
}

const KERNEL = 'kernel';

/**
 * Validates candidates together against the kernel; throws `PluginLoadError` listing every problem (plus those
 * passed in), else returns the plugins in dependency order (a plugin after what it depends on; ties by id).
 */
export function validatePlugins(candidates: PluginCandidate[], kernel: KernelFacts, earlier: string[] = []): LoadedPlugin[] {
  const problems = [...earlier];
  const byId = new Map<string, LoadedPlugin>();
  const wellFormed = new Set<string>();

  // 1. each manifest on its own
  for (const candidate of candidates) {
    const m = candidate.manifest as Partial<PluginManifest>;
    const id = typeof m.id === 'string' ? m.id : undefined;
    const label = id ?? candidate.source;
    const own = manifestProblems(m);
    if (
      typeof m.kernel === 'string' &&
      semver.validRange(m.kernel) &&
      !semver.satisfies(kernel.version, m.kernel, { includePrerelease: true })
    ) {
      own.push(`needs kernel ${m.kernel}, but this kernel is ${kernel.version}`);
    }
    problems.push(...own.map((p) => `${label}: ${p}`));
    if (!id) continue;
    if (!own.length) wellFormed.add(id);
    const existing = byId.get(id);
    if (existing) {
      problems.push(`${id}: duplicate plugin id, from ${existing.source} and ${candidate.source}`);
      continue;
    }
    byId.set(id, { id, manifest: m as PluginManifest, source: candidate.source, builtin: candidate.builtin });
  }

  // 2. dependencies: present, in range
  const plugins = [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  for (const plugin of plugins) {
    for (const [dep, range] of Object.entries(plugin.manifest.dependsOn ?? {})) {
      const target = byId.get(dep);
      if (!target) problems.push(`${plugin.id}: depends on ${dep} ${range}, which is not installed`);
      else if (
        typeof range === 'string' &&
        semver.validRange(range) &&
        semver.valid(target.manifest.version) &&
        !semver.satisfies(target.manifest.version, range, { includePrerelease: true })
      ) {
        problems.push(`${plugin.id}: depends on ${dep} ${range}, but ${dep} is ${target.manifest.version}`);
      }
    }
  }

  // 3. cycles (each reported once, from its smallest id)
  for (const cycle of findCycles(plugins, byId)) problems.push(`${cycle[0]}: dependency cycle ${cycle.join(' → ')}`);

  // 4. names that must be unique across kernel and plugins
  problems.push(...entityClashes(plugins, kernel), ...ruleClashes(plugins, kernel), ...graphqlTypeClashes(plugins, kernel));
  problems.push(...contributionClashes(plugins.filter((p) => wellFormed.has(p.id)).map((p) => p.manifest)));

  if (problems.length) throw new PluginLoadError(problems);
  return dependencyOrder(plugins);
}

function dependsOnIds(plugin: LoadedPlugin, byId: Map<string, LoadedPlugin>): string[] {
  return Object.keys(plugin.manifest.dependsOn ?? {})
    .filter((dep) => byId.has(dep))
    .sort();
}

/** Every elementary cycle found by depth-first search, as `[a, b, c, a]`, rotated to start at its smallest id. */
function findCycles(plugins: LoadedPlugin[], byId: Map<string, LoadedPlugin>): string[][] {
  const found = new Map<string, string[]>();
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string) => {
    state.set(id, 'active');
    stack.push(id);
    for (const dep of dependsOnIds(byId.get(id)!, byId)) {
      if (state.get(dep) === 'active') {
        const loop = stack.slice(stack.indexOf(dep));
        const start = loop.indexOf([...loop].sort()[0]!);
        const rotated = [...loop.slice(start), ...loop.slice(0, start)];
        const key = rotated.join(' ');
        if (!found.has(key)) found.set(key, [...rotated, rotated[0]!]);
      } else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const plugin of plugins) if (!state.has(plugin.id)) visit(plugin.id);
  return [...found.values()];
}

/** Kahn's algorithm; among the plugins whose dependencies are all placed, the smallest id goes first. */
export function dependencyOrder(plugins: LoadedPlugin[]): LoadedPlugin[] {
  const byId = new Map(plugins.map((p) => [p.id, p]));
  const placed = new Set<string>();
  const result: LoadedPlugin[] = [];
  const sorted = [...plugins].sort((a, b) => a.id.localeCompare(b.id));
  while (result.length < plugins.length) {
    const next = sorted.find((p) => !placed.has(p.id) && dependsOnIds(p, byId).every((d) => placed.has(d)));
    if (!next)
      throw new Error(
        `dependency cycle among ${sorted
          .filter((p) => !placed.has(p.id))
          .map((p) => p.id)
          .join(', ')}`,
      );
    placed.add(next.id);
    result.push(next);
  }
  return result;
}

function entityClashes(plugins: LoadedPlugin[], kernel: KernelFacts): string[] {
  const problems: string[] = [];
  const classOwner = new Map<string, string>();
  const tableOwner = new Map<string, string>();
  const claim = (owner: string, names: EntityNames) => {
    const before = classOwner.get(names.className);
    if (before !== undefined) problems.push(`${owner}: entity class name ${names.className} is already used by ${before}`);
    else classOwner.set(names.className, owner);
    const tableBefore = tableOwner.get(names.tableName);
    if (tableBefore !== undefined)
      problems.push(`${owner}: table ${names.tableName} (entity ${names.className}) is already used by ${tableBefore}`);
    else tableOwner.set(names.tableName, owner);
  };
  for (const entity of kernel.entities ?? []) claim(KERNEL, entityNames(entity));
  for (const plugin of plugins) {
    for (const entity of plugin.manifest.entities ?? []) {
      const names = entityNames(entity);
      if (!names.isEntity) {
        problems.push(`${plugin.id}: ${names.className} in entities is not a MikroORM entity (no @Entity())`);
        continue;
      }
      claim(plugin.id, names);
    }
  }
  return problems;
}

function ruleClashes(plugins: LoadedPlugin[], kernel: KernelFacts): string[] {
  const problems: string[] = [];
  const owners: { id: string; rules: RuleDeclarations }[] = [];
  try {
    owners.push({ id: KERNEL, rules: mergeDeclarations(kernel.rules ?? []) });
  } catch (error) {
    problems.push(`${KERNEL}: ${(error as Error).message}`);
  }
  for (const plugin of plugins) {
    const rules = plugin.manifest.rules;
    if (!rules) continue;
    try {
      mergeDeclarations([rules]); // a field twice in one declaration cannot happen (object keys); kept for shape errors
    } catch (error) {
      problems.push(`${plugin.id}: ${(error as Error).message}`);
      continue;
    }
    let clashed = false;
    for (const owner of owners) {
      try {
        mergeDeclarations([owner.rules, rules]);
      } catch (error) {
        problems.push(`${plugin.id}: ${(error as Error).message} (already declared by ${owner.id})`);
        clashed = true;
      }
    }
    if (!clashed) owners.push({ id: plugin.id, rules });
  }
  return problems;
}

/** Two owners (kernel, plugins) whose resolvers reach the same GraphQL type name through different definitions. */
function graphqlTypeClashes(plugins: LoadedPlugin[], kernel: KernelFacts): string[] {
  const problems: string[] = [];
  const owner = new Map<string, { id: string; definition: unknown }>();
  const claim = (id: string, resolvers: readonly Function[]) => {
    for (const [name, definition] of graphqlTypeNames(resolvers)) {
      const before = owner.get(name);
      if (!before) owner.set(name, { id, definition });
      else if (before.definition !== definition) problems.push(`${id}: GraphQL type ${name} is already defined by ${before.id}`);
    }
  };
  if (kernel.resolvers?.length) claim(KERNEL, kernel.resolvers);
  for (const plugin of plugins) if (plugin.manifest.resolvers?.length) claim(plugin.id, plugin.manifest.resolvers);
  return problems;
}
