import 'reflect-metadata';
import { execute, parse, type GraphQLSchema } from 'graphql';
import { Ctx, Query, Resolver } from 'type-graphql';
import { allow } from 'graphql-shield';
import { allRuleDeclarations, buildAppSchema, buildUnshieldedSchema } from '../../src/app/schema.js';
import { nonNullProtectedFields, resolveFieldRules } from '../../src/graphql/shield/apply-shield.js';
import { protectedFields } from '../../src/permissions/protected-fields.js';
import { anonymous } from '../../src/permissions/principal.js';

@Resolver()
class UndeclaredResolver {
  @Query(() => String, { description: 'A field nobody declared a rule for.' })
  undeclaredProbe(@Ctx() _ctx: unknown) {
    return 'secret';
  }
}

describe('schema walk: every field is behind an explicit shield rule', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildUnshieldedSchema();
  });

  it('finds a declared rule (by field, type wildcard or the Connection/Edge/Payload convention) for every field of every object type', () => {
    const rules = resolveFieldRules(schema, allRuleDeclarations());
    expect(rules.length).toBeGreaterThan(250);
    expect(rules.filter((r) => r.source === 'fallback').map((r) => `${r.type}.${r.field}`)).toEqual([]);
    // root fields are named one by one, never through a wildcard or convention
    const root = rules.filter((r) => ['Query', 'Mutation', 'Subscription'].includes(r.type));
    expect(root.length).toBeGreaterThan(50);
    expect(root.every((r) => r.source === 'field')).toBe(true);
  });

  it('puts every protected field behind its visibility rule, and protected fields are nullable', () => {
    const rules = resolveFieldRules(schema, allRuleDeclarations());
    for (const p of protectedFields.all()) {
      const rule = rules.find((r) => r.type === p.type && r.field === p.field);
      expect(rule).toBeDefined();
      expect(rule!.rule).not.toBe(allow);
    }
    expect(nonNullProtectedFields(schema)).toEqual([]);
  });

  it('denies a field that has no rule, at run time', async () => {
    const withProbe = await buildAppSchema([UndeclaredResolver]);
    const rules = resolveFieldRules(await buildUnshieldedSchema([UndeclaredResolver]), allRuleDeclarations());
    expect(rules.find((r) => r.field === 'undeclaredProbe')?.source).toBe('fallback');
    const result = await execute({
      schema: withProbe,
      document: parse('{ undeclaredProbe }'),
      contextValue: { principal: { ...anonymous(), kind: 'user', workspaceId: 'w' } },
    });
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymousResult = await execute({
      schema: withProbe,
      document: parse('{ undeclaredProbe }'),
      contextValue: { principal: anonymous() },
    });
    expect(anonymousResult.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses declarations naming fields the schema does not have', async () => {
    const { applyShield } = await import('../../src/graphql/shield/apply-shield.js');
    const { mergeDeclarations } = await import('../../src/graphql/shield/apply-shield.js');
    expect(() => mergeDeclarations([{ Query: { contacts: allow } }, { Query: { contacts: allow } }])).toThrow(
      /Two rules declared for Query.contacts/,
    );
    expect(() => applyShield(schema, { types: { Contact: { noSuchField: allow } } })).toThrow(/noSuchField/);
  });

  it('refuses to shield a schema whose rules require a permission nobody registered', async () => {
    const { applyShield } = await import('../../src/graphql/shield/apply-shield.js');
    const { requires } = await import('../../src/graphql/shield/rules.js');
    const { and } = await import('graphql-shield');
    const { permissionRegistry } = await import('../../src/permissions/permission-registry.js');
    // a rule only imported (another app's plugin, say) does not stop this schema
    requires('ghost:unused');
    await expect(buildAppSchema()).resolves.toBeDefined();
    // a rule this schema uses does, also inside and/or
    const declarations = { types: { Contact: { firstName: and(requires('contact:read'), requires('ghost:haunt')) } } };
    expect(() => applyShield(schema, declarations)).toThrow(/permissions nobody registered: ghost:haunt$/);
    permissionRegistry.register({ name: 'ghost:haunt', description: 'registered late, as a plugin would', scoped: false });
    expect(applyShield(schema, declarations)).toBeDefined();
  });
});
