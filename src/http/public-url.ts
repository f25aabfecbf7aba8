import { AppSlot, attachToApp, lookupInApp, type AppScoped } from '../registries/app-slot.js';

/** The default of API_PUBLIC_URL (src/config.ts) for an ORM no app owns. */
const DEFAULT_API_PUBLIC_URL = 'http://localhost:4000';
const PLUGIN_ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** A filled-in route path: printable URL characters only (percent-encode the rest). */
const FILLED_PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;

const API_PUBLIC_URL_SLOT = new AppSlot<string>('API public URL');

/** Makes `url` the API_PUBLIC_URL of the app owning `orm` (createApp does it; the first app on an ORM keeps its own). */
export function attachApiPublicUrl(orm: AppScoped, url: string): string {
  const attached = lookupInApp(orm, API_PUBLIC_URL_SLOT);
  if (attached) return attached;
  attachToApp(orm, API_PUBLIC_URL_SLOT, url.replace(/\/+$/, ''));
  return url;
}

export type EntityManagerHolder = AppScoped | { em: AppScoped };

/**
 * The absolute URL of a plugin's public route (manifest `httpRoutes`), its parameters filled in — e.g.
 * `pluginRouteUrl(context, 'campaigns', `/t/o/${token}`)` → `https://api.example.com/plugins/campaigns/t/o/…`.
 * `holder`: a plugin context, a request context or an entity manager of the app.
 */
export function pluginRouteUrl(holder: EntityManagerHolder, pluginId: string, path: string): string {
  if (typeof pluginId !== 'string' || !PLUGIN_ID.test(pluginId))
    throw new Error(`pluginRouteUrl: ${JSON.stringify(pluginId)} is not a plugin id`);
  if (typeof path !== 'string' || !FILLED_PATH.test(path) || path.startsWith('//'))
    throw new Error(`pluginRouteUrl: the path must start with "/" and hold only URL characters (percent-encode the rest)`);
  const em = 'em' in holder ? holder.em : holder;
  const base = lookupInApp(em, API_PUBLIC_URL_SLOT) ?? DEFAULT_API_PUBLIC_URL;
  return `${base}/plugins/${pluginId}${path}`;
}
