import { PluginLoadError, readKernelVersion, validatePlugins } from '../../src/plugin-host/load-plugins.js';
import { kernelResolvers, kernelRuleDeclarations } from '../../src/app/kernel-graphql.js';
import { kernelEntities } from '../../src/app/kernel-entities.js';
import { permissionRegistry } from '../../src/permissions/permission-registry.js';
import { SearchableType } from '../../src/core/search/search-provider.js';
import { defineEvent, z } from '../../src/sdk/index.js';

/** Start-up refusals of manifests that claim what is not theirs, or are malformed: one line each, naming the plugin. */

const kernel = { version: readKernelVersion(), entities: kernelEntities, rules: kernelRuleDeclarations, resolvers: kernelResolvers };
const plugin = (id: string, fields: Record<string, unknown> = {}) => ({ id, name: id, version: '1.0.0', kernel: '^1.0.0', ...fields });
const noop = async () => {};
class Thing {}

function refusal(...manifests: object[]): string[] {
  try {
    validatePlugins(
      manifests.map((manifest, i) => ({ manifest, source: `plugin-${i}`, builtin: true })),
      kernel,
    );
  } catch (error) {
    expect(error).toBeInstanceOf(PluginLoadError);
    return (error as PluginLoadError).problems;
  }
  throw new Error('the plugins were accepted');
}

describe('start-up refuses a manifest claiming what the kernel or another plugin holds', () => {
  it("a node type named like the kernel's Contact, or like another plugin's", () => {
    const contactLoader = { typeName: 'Contact', rootClass: Thing, load: async () => null };
    expect(refusal(plugin('thief', { nodeTypes: [contactLoader] }))).toEqual(['thief: node type Contact is already declared by kernel']);
    const gadget = { typeName: 'Gadget', rootClass: Thing, load: async () => null };
    expect(
      refusal(plugin('gadgets-a', { nodeTypes: [gadget] }), plugin('gadgets-b', { nodeTypes: [{ ...gadget, rootClass: class Other {} }] })),
    ).toEqual(['gadgets-b: node type Gadget is already declared by gadgets-a']);
  });

  it('a record type whose node, custom-field or tag type the kernel already has', () => {
    const recordType = {
      name: 'Company',
      nodeType: { typeName: 'Company', rootClass: Thing, permission: 'company:read', load: async () => null },
      customizable: { objectType: 'Company', table: 'my_company' },
      taggable: { type: 'Company', table: 'my_company_tag', column: 'company_id' },
    };
    expect(refusal(plugin('copycat', { recordTypes: [recordType] }))).toEqual([
      'copycat: node type Company is already declared by kernel',
      'copycat: customizable type Company is already declared by kernel',
      'copycat: taggable type Company is already declared by kernel',
    ]);
  });

  it("a kernel permission name, another plugin's, or a protected field the kernel protects", () => {
    const permission = (name: string) => ({ name, description: 'x', scoped: false });
    expect(
      refusal(plugin('hijack', { permissions: [permission('contact:read')], protectedFields: [{ type: 'Contact', field: 'emails' }] })),
    ).toEqual([
      'hijack: permission contact:read is already declared by kernel',
      'hijack: protected field Contact.emails is already declared by kernel',
    ]);
    expect(
      refusal(
        plugin('widgets-a', { permissions: [permission('widget:read')] }),
        plugin('widgets-b', { permissions: [permission('widget:read')] }),
      ),
    ).toEqual(['widgets-b: permission widget:read is already declared by widgets-a']);
    // validation registers nothing: the refused plugins' permissions are not in the process
    expect(permissionRegistry.has('widget:read')).toBe(false);
  });

  it("another plugin's event type (token or name), or a kernel event type", () => {
    expect(
      refusal(plugin('deals-a', { events: ['deal.won'] }), plugin('deals-b', { events: [defineEvent<{ dealId: string }>('deal.won')] })),
    ).toEqual(['deals-b: event type deal.won is already declared by deals-a']);
    expect(refusal(plugin('echo', { events: ['contact.created'] }))).toEqual([
      'echo: event type contact.created is already declared by kernel',
    ]);
  });

  it('a search provider key the kernel has', () => {
    const before = Object.keys(SearchableType).sort();
    expect(refusal(plugin('finder', { searchProviders: [{ key: 'CONTACT', typeName: 'Contact', search: async () => [] }] }))).toEqual([
      'finder: search provider CONTACT is already declared by kernel',
    ]);
    expect(Object.keys(SearchableType).sort()).toEqual(before);
  });

  it('contact facts: a key not of the plugin, a kernel fact, another plugin’s, twice, or malformed', () => {
    const fact = (key: string, extra: Record<string, unknown> = {}) => ({
      key,
      description: 'A fact',
      params: z.object({}),
      condition: () => null,
      dependsOn: { events: ['contact.updated'] },
      ...extra,
    });
    expect(refusal(plugin('facts', { contactFacts: [fact('other.thing')] }))).toEqual([
      'facts: contact fact key "other.thing" must start with the plugin id ("facts.")',
    ]);
    expect(refusal(plugin('activity', { contactFacts: [fact('activity.logged')] }))).toEqual([
      'activity: contact fact activity.logged is already declared by kernel',
    ]);
    expect(refusal(plugin('facts', { contactFacts: [fact('facts.a'), fact('facts.a')] }))).toEqual([
      'facts: contact fact "facts.a" is declared twice',
    ]);
    // keys start with the plugin id, so no plugin can claim another's (`facts-b.*` is not `facts.*`)
    expect(
      refusal(plugin('facts', { contactFacts: [fact('facts-b.a')] }), plugin('facts-b', { contactFacts: [fact('facts-b.a')] })),
    ).toEqual(['facts: contact fact key "facts-b.a" must start with the plugin id ("facts.")']);
    expect(
      refusal(
        plugin('facts', {
          contactFacts: [fact('facts.a', { params: { stageId: 'string' }, condition: 'exists (…)', dependsOn: { events: 'deal.won' } })],
        }),
      ),
    ).toEqual([
      'facts: contactFacts[0].params is not a zod schema',
      'facts: contactFacts[0].condition is not a function',
      'facts: contactFacts[0].dependsOn.events is not a list of event types',
    ]);
    expect(refusal(plugin('facts', { contactFacts: [fact('unnamespaced')] }))).toEqual([
      'facts: contact fact key "unnamespaced" is not namespaced (e.g. "pipeline.openDealInStage")',
    ]);
  });

  it('a duplicate subscriber or job name', () => {
    const subscriber = { name: 'sync', on: ['contact.created'], handle: noop };
    const job = { name: 'nightly', cron: '0 3 * * *', run: noop };
    expect(refusal(plugin('twice', { subscribers: [subscriber, { ...subscriber, on: ['contact.updated'] }], jobs: [job, job] }))).toEqual([
      'twice: subscriber "sync" is declared twice',
      'twice: job "nightly" is declared twice',
    ]);
  });

  it('a hook on a write point nobody declares; one declared by another plugin is fine', () => {
    const hook = { on: 'deal.create', run: noop };
    expect(refusal(plugin('guard', { hooks: [hook] }))).toEqual([
      'guard: hook on unknown write point "deal.create" (known: contact.create, contact.update)',
    ]);
    const accepted = validatePlugins(
      [plugin('guard', { hooks: [hook] }), plugin('deals', { writePoints: ['deal.create'] })].map((manifest) => ({
        manifest,
        source: manifest.id,
        builtin: true,
      })),
      kernel,
    );
    expect(accepted.map((p) => p.id)).toEqual(['deals', 'guard']);
  });

  it('a job with a malformed cron expression, an unknown time zone or a bad name', () => {
    const run = noop;
    const jobs = [
      { name: 'hourly', cron: '60 * * * *', run },
      { name: 'weekly', cron: '0 9 * *', run },
      { name: 'zoned', cron: '0 9 * * *', timeZone: 'Mars/Olympus', run },
      { name: 'Bad_Name', run },
    ];
    expect(refusal(plugin('eager', { jobs }))).toEqual([
      'eager: job "hourly": cron "60 * * * *" is not a cron expression (Constraint error, got value 60 expected range 0-59)',
      'eager: job "weekly": cron "0 9 * *" must be a 5-field cron expression',
      'eager: job "zoned": cron "0 9 * * *" has an unknown time zone "Mars/Olympus"',
      'eager: job name "Bad_Name" must be lower-case letters, digits and dashes',
    ]);
  });
});

describe('start-up refuses a malformed manifest, saying where', () => {
  it('an unknown top-level field (a typo the host would silently ignore)', () => {
    expect(refusal(plugin('typo', { subscriber: [], hook: [] }))).toEqual(['typo: unknown manifest fields subscriber, hook']);
  });

  it('a callback that is not a function, a non-namespaced write point or event type, a bad permission name', () => {
    expect(
      refusal(
        plugin('sloppy', {
          jobs: [{ name: 'sync', cron: '0 * * * *', run: 'sync()' }],
          writePoints: ['createDeal'],
          events: ['won'],
          permissions: [{ name: 'deals', description: 'Deals', scoped: false }],
          subscribers: [{ name: 'listener', on: [], handle: noop }],
        }),
      ),
    ).toEqual([
      'sloppy: permission "deals" is not of the form resource:action (e.g. "deal:read")',
      'sloppy: subscriber "listener" listens to no event type',
      'sloppy: jobs[0].run is not a function',
      'sloppy: event type "won" is not namespaced (e.g. "deal.won")',
      'sloppy: write point "createDeal" is not namespaced (e.g. "deal.create")',
    ]);
  });

  it('reports every plugin’s problems in one pass, and clashes only between well-formed manifests', () => {
    expect(
      refusal(
        plugin('broken', { events: ['contact.created'], jobs: [{ name: 'x', cron: 'often', run: noop }] }),
        plugin('thief', { nodeTypes: [{ typeName: 'Contact', rootClass: Thing, load: async () => null }] }),
        plugin('guard', { hooks: [{ on: 'nowhere.write', run: noop }] }),
      ),
    ).toEqual([
      'broken: job "x": cron "often" must be a 5-field cron expression',
      'thief: node type Contact is already declared by kernel',
      'guard: hook on unknown write point "nowhere.write" (known: contact.create, contact.update)',
    ]);
  });
});
