import type { MigrationObject } from '@mikro-orm/core';
import type { NotificationTypeDeclaration } from '../core/notifications/notification-types.js';
import type { z } from 'zod';
import type { RuleDeclarations } from '../graphql/shield/declarations.js';
import type { PermissionDefinition } from '../permissions/permission-registry.js';
import type { ProtectedField } from '../permissions/protected-fields.js';
import type { SearchProvider } from '../core/search/search-provider.js';
import type { AutomationContribution } from '../core/automation/catalog.js';
import type { ContactFact } from '../core/contact-queries/facts.js';
import type { PrivacyHandler } from '../core/privacy/privacy-provider.js';
import type { NodeTypeEntry } from '../graphql/node-registry.js';
import type { RequestContext } from '../graphql/context.js';
import type { EventType } from '../events/event-type.js';

export { defineEvent, eventTypeName, type EventType } from '../events/event-type.js';
export {
  subscribe,
  type BeforeHook,
  type DomainEvent,
  type HookContext,
  type PluginContext,
  type Subscriber,
  type SubscriberContext,
} from '../events/handlers.js';
import type { BeforeHook, PluginContext, Subscriber } from '../events/handlers.js';

/**
 * A plugin's typed manifest: everything the host needs to validate, install, enable and run it. Built-in plugins
 * live in `plugins/<id>/plugin.ts`; third-party ones are npm packages or paths listed in configuration.
 */
export interface PluginManifest<Settings extends z.ZodType = z.ZodType<Record<string, unknown>>, S = z.output<Settings>> {
  /** Unique, lower-case: `pipeline`, `acme-loyalty`. Prefixes the plugin's migrations and settings. */
  id: string;
  name: string;
  /** semver of the plugin itself. */
  version: string;
  /** semver range of the kernel it works with, e.g. `^1.0.0`. */
  kernel: string;
  /** Other plugins it needs, id → semver range. */
  dependsOn?: Record<string, string>;
  /** Whether a workspace that never enabled or disabled the plugin has it enabled (default false: admins enable it). */
  enabledByDefault?: boolean;
  /** MikroORM entity classes (always registered once installed, enabled or not). */
  entities?: Function[];
  /** Migrations, applied in dependency order and tracked per plugin. */
  migrations?: MigrationObject[];
  /** type-graphql resolver classes, incl. field resolvers that add fields to kernel types. */
  resolvers?: Function[];
  /** Authorization of every root field and object type the plugin adds (deny by default). */
  rules?: RuleDeclarations;
  permissions?: PermissionDefinition[];
  protectedFields?: ProtectedField[];
  /** Run inside the write's transaction, ordered by `order` then plugin load order; throw a user error to veto. */
  hooks?: BeforeHook[];
  /** Delivered after commit from the transactional outbox, at least once. */
  subscribers?: Subscriber<S>[];
  jobs?: PluginJob<S, object>[];
  /** zod schema of the plugin's per-workspace settings; defaults fill what a workspace did not set. */
  settings?: Settings;
  /**
   * Record types made with `defineRecordType`: each becomes a `node(id:)` type (loaded in the caller's scope), a
   * custom-field type when it declares `customFields`, and a taggable type when it declares `tags`.
   */
  recordTypes?: RecordTypeContribution[];
  /** Other types reachable through `node(id:)` (`load` must apply record scope). */
  nodeTypes?: NodeType[];
  /** The domain event types the plugin emits (`defineEvent` tokens or names, `deal.won`): no other plugin may claim them. */
  events?: (EventType<object> | string)[];
  /** The writes of the plugin that run before hooks (`runBeforeHooks(ctx, 'deal.create', draft)`): hooks may guard them. */
  writePoints?: string[];
  /** Timeline entry types the plugin records (`deal.stageChanged` …). */
  timelineEntryTypes?: string[];
  /** Notification types the plugin sends with `notify` (`{ key: 'deal.rotting', label, defaults? }`): users see them in their preferences. */
  notificationTypes?: NotificationTypeDeclaration[];
  searchProviders?: SearchProvider[];
  /**
   * What automation rules can do with the plugin (src/core/automation): its record types (fields, facts, writes),
   * actions (`<plugin id>.<name>`), and default rules every workspace where it is enabled gets.
   */
  automation?: AutomationContribution;
  /**
   * Facts segment rules can name (`{ fact: '<plugin id>.<name>', params }`, src/core/contact-queries): an SQL condition
   * on a contact over the plugin's own tables, the events that change it and the contacts they change it for.
   */
  contactFacts?: ContactFact[];
  /**
   * The plugin's part of privacy requests (src/core/privacy): what it holds about a contact (export), and how it
   * anonymizes and deletes it. Called for every installed plugin, enabled or not; a plugin that stores anything about
   * contacts must declare it.
   */
  privacy?: PrivacyHandler;
  /** Seeds the demo workspace when the plugin is enabled there. */
  demoData?(ctx: PluginContext<S>): Promise<void>;
  onInstall?(ctx: PluginContext<S>): Promise<void>;
  onEnable?(ctx: PluginContext<S>): Promise<void>;
  onDisable?(ctx: PluginContext<S>): Promise<void>;
  /**
   * Optional, per workspace, before the host removes the workspace's data of the plugin (its rows, timeline entries
   * and links to its records, custom fields on its types, its deliveries and job runs — the plugin need not): for
   * clean-up outside the database. Runs in the `uninstallModule` transaction; a throw rolls the uninstall back.
   */
  onUninstall?(ctx: PluginContext<S>): Promise<void>;
}

/** What the host registers of a record type (`defineRecordType` returns it). */
export interface RecordTypeContribution {
  readonly name: string;
  readonly nodeType: NodeType;
  readonly customizable?: { objectType: string; table: string };
  readonly taggable?: { type: string; table: string; column: string };
}

export interface NodeType extends Omit<NodeTypeEntry, 'load'> {
  load(ctx: RequestContext, id: string): Promise<object | null>;
}

/**
 * A job of the plugin, run in one workspace at a time through the kernel's job queue (pg-boss): on a `cron` schedule
 * in every workspace where the plugin is enabled, and whenever code enqueues it (`enqueueJob`, optionally delayed).
 * A run that throws is retried with back-off; after the last attempt it stays as a failed job.
 */
export interface PluginJob<Settings = Record<string, unknown>, Data extends object = Record<string, unknown>> {
  /** Unique within the plugin: lower-case letters, digits and dashes. */
  name: string;
  /** A 5-field cron expression (`0 9 * * 1-5`: weekdays at 09:00); without one the job runs only when enqueued. */
  cron?: string;
  /** The IANA time zone `cron` is read in (default UTC). */
  timeZone?: string;
  /** Retries after a failed run (default 3), the first after `retryDelaySeconds` (default 30), doubling each time. */
  retryLimit?: number;
  retryDelaySeconds?: number;
  run(context: JobContext<Settings>, data: Data): Promise<void>;
}

/** What a job run receives: the workspace, its entity manager and the plugin's settings there, and the queue's now. */
export interface JobContext<Settings = Record<string, unknown>> extends PluginContext<Settings> {
  workspaceId: string;
  /** When the run started, on the queue's clock (tests move it). */
  now: Date;
}

/** A job whose enqueued data has a type: `enqueueJob(ctx, sendDigest, { userId })` checks it. */
export function defineJob<Data extends object, Settings = Record<string, unknown>>(
  job: PluginJob<Settings, Data>,
): PluginJob<Settings, Data> {
  return job;
}

/**
 * Declares a plugin; the host validates it at start-up. Its subscribers, jobs and lifecycle callbacks see the
 * settings as the `settings` schema's output type (a plain record when the plugin has no settings).
 */
export function definePlugin<Settings extends z.ZodType = z.ZodType<Record<string, unknown>>>(
  manifest: PluginManifest<Settings>,
): PluginManifest<Settings> {
  return manifest;
}
