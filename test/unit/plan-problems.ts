// The problems validatePlan names for a plan document (none: []), unsigned so a test names only the fields it
// is about. Shared by the unit tests of the plug-in registries.
import { PlanError, validatePlan } from '../../src/plan/load';

export const planProblems = (doc: Record<string, unknown>): string[] => {
  try {
    validatePlan({ approval: { allowUnsigned: true }, ...doc });
    return [];
  } catch (err) {
    if (err instanceof PlanError) return err.problems;
    throw err;
  }
};
