import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { UserError } from '../../graphql/errors.js';

@ObjectType({ description: 'A plugin this module needs, with the version range it accepts.' })
export class ModuleDependency {
  @Field(() => ID) id!: string;
  @Field({ description: 'semver range, e.g. `^1.2.0`.' }) range!: string;
}

/** What Module fields resolve from. */
export interface ModuleView {
  id: string;
  name: string;
  version: string;
  enabled: boolean;
  dependsOn: ModuleDependency[];
  settings: Record<string, unknown>;
}

@ObjectType('Module', { description: 'An installed plugin and its state in the caller’s workspace.' })
export class ModuleType {
  @Field(() => ID, { description: 'The plugin id, e.g. `pipeline`.' }) id!: string;
  @Field() name!: string;
  @Field({ description: 'The installed version (semver).' }) version!: string;
  @Field({ description: 'Whether the workspace has it enabled: its types, fields, rules, hooks and jobs are active there.' })
  enabled!: boolean;
  @Field(() => [ModuleDependency]) dependsOn!: ModuleDependency[];
  @Field(() => GraphQLJSON, { description: 'The workspace’s settings with the plugin’s defaults filled in.' }) settings!: Record<
    string,
    unknown
  >;
}

@InputType()
export class EnableModuleInput {
  @Field(() => ID, { description: 'The plugin id.' }) id!: string;
}

@InputType()
export class DisableModuleInput {
  @Field(() => ID, { description: 'The plugin id.' }) id!: string;
}

@InputType()
export class UninstallModuleInput {
  @Field(() => ID, { description: 'The plugin id.' }) id!: string;
}

@InputType()
export class UpdateModuleSettingsInput {
  @Field(() => ID, { description: 'The plugin id.' }) id!: string;
  @Field(() => GraphQLJSON, {
    description: 'The whole settings object (replaces the stored one), validated with the plugin’s settings schema.',
  })
  settings!: unknown;
}

@ObjectType()
export class ModulePayload {
  @Field(() => ModuleType, { nullable: true }) module?: ModuleView | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
