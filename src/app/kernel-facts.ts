import type { KernelFacts } from '../plugin-host/load-plugins.js';
import { readKernelVersion } from '../plugin-host/load-plugins.js';
import { kernelEntities } from './kernel-entities.js';
import { kernelResolvers, kernelRuleDeclarations } from './kernel-graphql.js';

/** What plugins are validated against: this kernel's version, entities, rules and resolvers. */
export function kernelFacts(): KernelFacts {
  return { version: readKernelVersion(), entities: kernelEntities, rules: kernelRuleDeclarations, resolvers: kernelResolvers };
}
