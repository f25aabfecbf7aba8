import { allow } from 'graphql-shield';
import type { RuleDeclarations } from '../../graphql/shield/declarations.js';
import { requires } from '../../graphql/shield/rules.js';

const manage = requires('automation:manage');

/** Who may manage automation rules and see their runs (Owner and Admin hold `automation:manage`). */
export const automationRules: RuleDeclarations = {
  Query: {
    automationRules: manage,
    automationRule: manage,
    automationRuns: manage,
    automationCatalog: manage,
  },
  Mutation: {
    createAutomationRule: manage,
    updateAutomationRule: manage,
    deleteAutomationRule: manage,
    testAutomationRule: manage,
  },
  types: {
    AutomationRule: { '*': allow },
    AutomationRuleConnection: { '*': allow },
    AutomationRuleEdge: { '*': allow },
    AutomationRuleVersion: { '*': allow },
    AutomationRun: { '*': allow },
    AutomationRunConnection: { '*': allow },
    AutomationRunEdge: { '*': allow },
    AutomationRunStep: { '*': allow },
    AutomationTestResult: { '*': allow },
    AutomationField: { '*': allow },
    AutomationRecordType: { '*': allow },
    AutomationActionType: { '*': allow },
    AutomationCatalog: { '*': allow },
    AutomationRulePayload: { '*': allow },
    TestAutomationRulePayload: { '*': allow },
  },
};
