import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { workspaceOf, type RequestContext } from '../../graphql/context.js';
import { runMutation } from '../../core/shared/mutation.js';
import { moduleHostOf, type ModuleHost } from './module-host.js';
import { listModules, setModuleEnabled, uninstallModule, updateModuleSettings, type ToggleResult } from './modules.service.js';
import {
  DisableModuleInput,
  EnableModuleInput,
  ModulePayload,
  ModuleType,
  UninstallModuleInput,
  UpdateModuleSettingsInput,
} from './modules.types.js';

@Resolver(() => ModuleType)
export class ModuleResolver {
  @Query(() => [ModuleType], { description: 'The installed plugins and whether the caller’s workspace has them enabled, in load order.' })
  modules(@Ctx() ctx: RequestContext) {
    return listModules(moduleHostOf(ctx), ctx.em, workspaceOf(ctx));
  }

  @Mutation(() => ModulePayload, {
    description:
      'Enables a module in the workspace (its dependencies must be enabled). The workspace’s next request sees its types and fields. Needs `module:manage`.',
  })
  enableModule(@Arg('input', () => EnableModuleInput) input: EnableModuleInput, @Ctx() ctx: RequestContext) {
    return toggle(ctx, input.id, true);
  }

  @Mutation(() => ModulePayload, {
    description:
      'Disables a module in the workspace (refused while an enabled module depends on it); its data is kept. Needs `module:manage`.',
  })
  disableModule(@Arg('input', () => DisableModuleInput) input: DisableModuleInput, @Ctx() ctx: RequestContext) {
    return toggle(ctx, input.id, false);
  }

  @Mutation(() => ModulePayload, {
    description:
      'Uninstalls a module from the workspace: disables it and runs its uninstall step, which removes the workspace’s data of the module (other workspaces keep theirs); its settings there are forgotten. Refused while an enabled module depends on it. Needs `module:manage`.',
  })
  uninstallModule(@Arg('input', () => UninstallModuleInput) input: UninstallModuleInput, @Ctx() ctx: RequestContext) {
    return applyToWorkspace(ctx, (host, em, workspaceId) => uninstallModule(host, em, workspaceId, input.id));
  }

  @Mutation(() => ModulePayload, {
    description: 'Replaces a module’s settings in the workspace, validated with its settings schema. Needs `module:manage`.',
  })
  updateModuleSettings(@Arg('input', () => UpdateModuleSettingsInput) input: UpdateModuleSettingsInput, @Ctx() ctx: RequestContext) {
    const host = moduleHostOf(ctx);
    return runMutation(ctx, async ({ em }) => ({
      module: await updateModuleSettings(host, em, workspaceOf(ctx), input.id, input.settings),
    }));
  }
}

function toggle(ctx: RequestContext, id: string, enable: boolean) {
  return applyToWorkspace(ctx, (host, em, workspaceId) => setModuleEnabled(host, em, workspaceId, id, enable));
}

async function applyToWorkspace(
  ctx: RequestContext,
  change: (host: ModuleHost, em: RequestContext['em'], workspaceId: string) => Promise<ToggleResult>,
) {
  const host = moduleHostOf(ctx);
  const workspaceId = workspaceOf(ctx);
  let enabledIds: string[] | null = null;
  const result = await runMutation(ctx, async ({ em }) => {
    const done = await change(host, em, workspaceId);
    enabledIds = done.enabledIds;
    return { module: done.module };
  });
  // this process serves the workspace's next request with the new set; others read it within the cache's TTL
  if (enabledIds) host.remember(workspaceId, enabledIds);
  return result;
}
