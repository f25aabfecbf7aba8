/** Module state per workspace: which installed plugins each workspace has enabled, and their settings. */
export { ModuleHost, ENABLED_SET_TTL_MS, attachModuleHost, moduleHostOf, type ModuleRow } from './module-host.js';
export { ModuleResolver } from './modules.resolver.js';
export { moduleRules } from './modules.rules.js';
export { effectiveSettings, listModules, setModuleEnabled, updateModuleSettings } from './modules.service.js';
export { WorkspaceModule } from './workspace-module.entity.js';
