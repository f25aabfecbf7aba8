import { ContributionClash, ContributionRegistry, KERNEL_OWNER } from '../registries/contribution-registry.js';
import { KERNEL_EVENT_TYPES, KERNEL_WRITE_POINTS } from '../events/registry.js';
import { eventTypeName } from '../events/event-type.js';
import { NodeRegistry, kernelNodeTypes } from '../graphql/node-registry.js';
import { kernelCustomizableTypes } from '../core/custom-fields/custom-field-admin.service.js';
import { kernelTaggableTypes } from '../core/tags/tag.service.js';
import { kernelSearchProviders } from '../core/search/search-provider.js';
import { kernelPermissionNames } from '../permissions/permission-registry.js';
import { kernelProtectedFieldNames } from '../permissions/protected-fields.js';
import { kernelContactFacts } from '../core/contact-queries/index.js';
import type { PluginManifest } from './manifest.js';

/**
 * Names a plugin claims that the kernel or another plugin already holds — node types, customizable and taggable
 * types, timeline entry types, search providers, event types, write points, permissions, protected fields and contact facts — and
 * hooks on write points nobody declares. One line per problem, naming the plugin first. Runs over manifests whose
 * shape is valid, in load order, into registries of its own (nothing of the app's is touched).
 */
export function contributionClashes(plugins: readonly PluginManifest[]): string[] {
  const problems: string[] = [];
  const claim = (add: () => void) => {
    try {
      add();
    } catch (error) {
      if (!(error instanceof ContributionClash)) throw error;
      problems.push(error.message);
    }
  };
  const nodeTypes = new NodeRegistry(kernelNodeTypes);
  const customizable = new ContributionRegistry('customizable type', kernelCustomizableTypes);
  const taggable = new ContributionRegistry('taggable type', kernelTaggableTypes);
  const entryTypes = new ContributionRegistry<true>('timeline entry type');
  const searchKeys = kernelOwned(
    'search provider',
    kernelSearchProviders.providers().map((p) => p.key),
  );
  const eventTypes = kernelOwned('event type', KERNEL_EVENT_TYPES);
  const writePoints = kernelOwned('write point', KERNEL_WRITE_POINTS);
  const permissions = kernelOwned('permission', kernelPermissionNames);
  const protectedFields = kernelOwned('protected field', kernelProtectedFieldNames);
  const contactFacts = kernelOwned('contact fact', kernelContactFacts.keys());

  for (const { id, ...m } of plugins) {
    for (const recordType of m.recordTypes ?? []) {
      claim(() => nodeTypes.register(recordType.nodeType, id));
      if (recordType.customizable) claim(() => customizable.add(id, recordType.customizable!.objectType, recordType.customizable!.table));
      if (recordType.taggable) claim(() => taggable.add(id, recordType.taggable!.type, { ...recordType.taggable!, workspaceColumn: true }));
    }
    for (const nodeType of m.nodeTypes ?? []) claim(() => nodeTypes.register(nodeType, id));
    for (const type of m.timelineEntryTypes ?? []) claim(() => entryTypes.add(id, type, true));
    for (const provider of m.searchProviders ?? []) claim(() => searchKeys.add(id, provider.key, true));
    for (const event of m.events ?? []) claim(() => eventTypes.add(id, eventTypeName(event), true));
    for (const point of m.writePoints ?? []) claim(() => writePoints.add(id, point, true));
    for (const definition of m.permissions ?? []) claim(() => permissions.add(id, definition.name, true));
    for (const field of m.protectedFields ?? []) claim(() => protectedFields.add(id, `${field.type}.${field.field}`, true));
    for (const fact of m.contactFacts ?? []) claim(() => contactFacts.add(id, fact.key, true));
  }
  // a hook may guard any write point of the kernel or of a plugin in the set, whichever order they load in
  for (const { id, hooks } of plugins) {
    for (const hook of hooks ?? []) {
      if (writePoints.ownerOf(hook.on) === undefined) {
        problems.push(`${id}: hook on unknown write point ${JSON.stringify(hook.on)} (known: ${writePoints.keys().join(', ')})`);
      }
    }
  }
  return problems;
}

function kernelOwned(what: string, keys: Iterable<string>): ContributionRegistry<true> {
  const kernel = new ContributionRegistry<true>(what);
  for (const key of keys) kernel.add(KERNEL_OWNER, key, true);
  return new ContributionRegistry<true>(what, kernel);
}
