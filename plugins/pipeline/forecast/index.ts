import { requires, signedIn, type RuleDeclarations } from '../../../src/sdk/index.js';
import { DealForecastOwnerResolver, DealForecastResolver } from './forecast.resolver.js';

export const forecastResolvers: Function[] = [DealForecastResolver, DealForecastOwnerResolver];

/** The forecast's object types are reachable only through `dealForecast`, which needs deal:read (and applies its scope). */
export const forecastRules: RuleDeclarations = {
  Query: { dealForecast: requires('deal:read') },
  types: {
    DealForecast: { '*': signedIn },
    DealForecastTotal: { '*': signedIn },
    DealForecastMonth: { '*': signedIn },
    DealForecastOwner: { '*': signedIn },
    DealForecastStage: { '*': signedIn },
    DealForecastWon: { '*': signedIn },
  },
};
