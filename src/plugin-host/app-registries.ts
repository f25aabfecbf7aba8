import { eventTypeName } from '../events/event-type.js';
import { AppSlot, attachToApp, detachFromApp, lookupInApp, type AppScoped } from '../registries/app-slot.js';
import { ContributionRegistry } from '../registries/contribution-registry.js';
import { EVENTS_SLOT, EventRegistry, kernelEvents } from '../events/registry.js';
import { NODE_TYPES_SLOT, NodeRegistry, kernelNodeTypes } from '../graphql/node-registry.js';
import { CUSTOMIZABLE_TYPES_SLOT, kernelCustomizableTypes } from '../core/custom-fields/custom-field-admin.service.js';
import { TAGGABLE_TYPES_SLOT, kernelTaggableTypes, type TagPivot } from '../core/tags/tag.service.js';
import { TIMELINE_ENTRY_TYPES_SLOT } from '../core/timeline/entry-types.js';
import { SEARCH_PROVIDERS_SLOT, SearchRegistry, kernelSearchProviders } from '../core/search/search-provider.js';
import { permissionRegistry } from '../permissions/permission-registry.js';
import { protectedFields } from '../permissions/protected-fields.js';
import type { PluginManifest } from './manifest.js';
import { AUTOMATION_CATALOG_SLOT, AutomationCatalog, kernelAutomation } from '../core/automation/index.js';
import { CONTACT_FACTS_SLOT, kernelContactFacts, type ContactFact } from '../core/contact-queries/index.js';
import { PRIVACY_HANDLERS_SLOT, type RegisteredPrivacyHandler } from '../core/privacy/privacy-provider.js';

/**
 * What one app's plugins contribute, in registries of that app alone (each over the kernel's own entries): hooks and
 * subscribers, node types, customizable and taggable record types, timeline entry types, search providers and contact facts. Every
 * entry is stamped with its plugin's id; a key already held — by the kernel or another plugin — is refused
 * (`ContributionClash`, naming the plugin). The start-up validation (`validatePlugins`) reports the same clashes
 * first, all at once.
 */
export interface AppRegistries {
  /** The plugin ids they were built from, in load order. */
  pluginIds: readonly string[];
  events: EventRegistry;
  nodeTypes: NodeRegistry;
  customizableTypes: ContributionRegistry<string>;
  taggableTypes: ContributionRegistry<TagPivot>;
  timelineEntryTypes: ContributionRegistry<true>;
  searchProviders: SearchRegistry;
  automation: AutomationCatalog;
  /** Facts segment rules can name (src/core/contact-queries), by key. */
  contactFacts: ContributionRegistry<ContactFact>;
  /** Every installed plugin's part of privacy requests (called whether the plugin is enabled or not). */
  privacy: RegisteredPrivacyHandler[];
}

export function buildAppRegistries(plugins: readonly PluginManifest[]): AppRegistries {
  const registries: AppRegistries = {
    pluginIds: plugins.map((p) => p.id),
    events: new EventRegistry(kernelEvents),
    nodeTypes: new NodeRegistry(kernelNodeTypes),
    customizableTypes: new ContributionRegistry('customizable type', kernelCustomizableTypes),
    taggableTypes: new ContributionRegistry('taggable type', kernelTaggableTypes),
    timelineEntryTypes: new ContributionRegistry('timeline entry type'),
    searchProviders: new SearchRegistry(kernelSearchProviders),
    automation: new AutomationCatalog(kernelAutomation),
    contactFacts: new ContributionRegistry('contact fact', kernelContactFacts),
    privacy: [],
  };
  for (const { id, ...manifest } of plugins) {
    for (const recordType of manifest.recordTypes ?? []) {
      registries.nodeTypes.register(recordType.nodeType, id);
      if (recordType.customizable) registries.customizableTypes.add(id, recordType.customizable.objectType, recordType.customizable.table);
      if (recordType.taggable)
        registries.taggableTypes.add(id, recordType.taggable.type, {
          table: recordType.taggable.table,
          column: recordType.taggable.column,
          workspaceColumn: true,
        });
    }
    for (const nodeType of manifest.nodeTypes ?? []) registries.nodeTypes.register(nodeType, id);
    for (const type of manifest.timelineEntryTypes ?? []) registries.timelineEntryTypes.add(id, type, true);
    for (const provider of manifest.searchProviders ?? []) registries.searchProviders.register(provider, id);
    for (const hook of manifest.hooks ?? []) registries.events.registerHook({ ...hook, plugin: id });
    for (const subscriber of manifest.subscribers ?? []) registries.events.registerSubscriber({ ...subscriber, plugin: id });
    for (const event of manifest.events ?? []) registries.events.declareEventType(eventTypeName(event), id);
    for (const recordType of manifest.automation?.recordTypes ?? []) registries.automation.recordTypes.add(id, recordType.name, recordType);
    for (const record of manifest.automation?.eventRecords ?? []) registries.automation.eventRecords.add(id, record.event, record);
    for (const action of manifest.automation?.actions ?? []) registries.automation.actions.add(id, action.type, action);
    for (const rule of manifest.automation?.defaultRules ?? []) registries.automation.defaultRules.add(id, `${id}/${rule.name}`, rule);
    for (const fact of manifest.contactFacts ?? []) registries.contactFacts.add(id, fact.key, fact);
    if (manifest.privacy)
      registries.privacy.push({ plugin: id, enabledByDefault: manifest.enabledByDefault ?? false, handler: manifest.privacy });
  }
  return registries;
}

export const APP_REGISTRIES_SLOT = new AppSlot<{ registries: AppRegistries; apps: number }>('app registries');

/**
 * Makes the app's registries those of its ORM (every entity manager forked from it finds them) and returns the
 * registries the app uses. Apps sharing one ORM (two instances of the same server in one process) must have the same
 * plugin set and share the first one's registries; another set on the same ORM is refused.
 */
export function attachAppRegistries(orm: AppScoped, registries: AppRegistries): AppRegistries {
  const attached = lookupInApp(orm, APP_REGISTRIES_SLOT);
  if (attached) {
    if (attached.registries.pluginIds.join(',') !== registries.pluginIds.join(',')) {
      throw new Error(
        `This ORM already serves an app with plugins [${attached.registries.pluginIds.join(', ')}]; an app with [${registries.pluginIds.join(', ')}] needs an ORM of its own`,
      );
    }
    attached.apps += 1;
    return attached.registries;
  }
  attachToApp(orm, APP_REGISTRIES_SLOT, { registries, apps: 1 });
  attachToApp(orm, EVENTS_SLOT, registries.events);
  attachToApp(orm, NODE_TYPES_SLOT, registries.nodeTypes);
  attachToApp(orm, CUSTOMIZABLE_TYPES_SLOT, registries.customizableTypes);
  attachToApp(orm, TAGGABLE_TYPES_SLOT, registries.taggableTypes);
  attachToApp(orm, TIMELINE_ENTRY_TYPES_SLOT, registries.timelineEntryTypes);
  attachToApp(orm, SEARCH_PROVIDERS_SLOT, registries.searchProviders);
  attachToApp(orm, AUTOMATION_CATALOG_SLOT, registries.automation);
  attachToApp(orm, PRIVACY_HANDLERS_SLOT, registries.privacy);
  attachToApp(orm, CONTACT_FACTS_SLOT, registries.contactFacts);
  return registries;
}

/** An app closing: the last app on the ORM takes the registries off it. */
export function detachAppRegistries(orm: AppScoped): void {
  const attached = lookupInApp(orm, APP_REGISTRIES_SLOT);
  if (!attached || --attached.apps > 0) return;
  for (const slot of [
    APP_REGISTRIES_SLOT,
    EVENTS_SLOT,
    NODE_TYPES_SLOT,
    CUSTOMIZABLE_TYPES_SLOT,
    TAGGABLE_TYPES_SLOT,
    TIMELINE_ENTRY_TYPES_SLOT,
    SEARCH_PROVIDERS_SLOT,
    AUTOMATION_CATALOG_SLOT,
    PRIVACY_HANDLERS_SLOT,
    CONTACT_FACTS_SLOT,
  ]) {
    detachFromApp(orm, slot);
  }
}

/** Plugin ids whose permissions and protected fields this process holds. */
const permissionOwners = new Set<string>();

/**
 * Permissions and protected fields stay process-wide (role definitions and shield rules name them; their names are
 * unique across every plugin the process ever loaded): registered once per plugin id. Validation has already
 * refused a plugin claiming a kernel permission or another plugin's.
 */
export function registerPluginPermissions(plugins: readonly PluginManifest[]): void {
  for (const plugin of plugins) {
    if (permissionOwners.has(plugin.id)) continue;
    permissionRegistry.register(...(plugin.permissions ?? []));
    protectedFields.register(...(plugin.protectedFields ?? []));
    permissionOwners.add(plugin.id);
  }
}
