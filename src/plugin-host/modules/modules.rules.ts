import { allow } from 'graphql-shield';
import type { RuleDeclarations } from '../../graphql/shield/declarations.js';
import { requires, signedIn } from '../../graphql/shield/rules.js';

/** Any member may see which modules are enabled; Owner and Admin (`module:manage`) toggle and configure them. */
export const moduleRules: RuleDeclarations = {
  Query: {
    modules: signedIn,
  },
  Mutation: {
    enableModule: requires('module:manage'),
    disableModule: requires('module:manage'),
    updateModuleSettings: requires('module:manage'),
    uninstallModule: requires('module:manage'),
  },
  types: {
    Module: { '*': allow },
    ModuleDependency: { '*': allow },
    ModulePayload: { '*': allow },
  },
};
