// A manual rollback from the command line (seed section 6): a reason with its category, and a
// confirmation from the person unless --yes. Without a terminal to ask on, only --yes confirms.
import { ROLLBACK_CATEGORIES, rollbackCategory } from '../workflows/incident-rules';
import { CliError, EXIT, optional, required, usageError, type Io } from './cli';

export const ROLLBACK_OPTIONS = { category: { type: 'string' }, yes: { type: 'boolean' } } as const;

export const ROLLBACK_HELP = `  --category CAT  the reason's category: ${ROLLBACK_CATEGORIES.join(', ')} (required; sent as "CAT: TEXT")
  --yes           confirm without asking; required when stdin is not a terminal (CI)`;

/** The reason the workflow gets ("category: text"), once the person has confirmed. */
export async function confirmedRollbackReason(id: string, values: Record<string, unknown>, io: Io): Promise<string> {
  const text = required(values, 'reason');
  const category = optional(values, 'category') ?? rollbackCategory(text);
  if (!category || !(ROLLBACK_CATEGORIES as readonly string[]).includes(category))
    throw usageError(`--category must be one of ${ROLLBACK_CATEGORIES.join(', ')}\n(see --help)`);
  const reason = rollbackCategory(text) === category ? text : `${category}: ${text}`;
  if (values.yes === true) return reason;
  if (!io.confirm)
    throw usageError('rollback asks for confirmation and stdin is not a terminal: pass --yes to confirm it');
  if (!(await io.confirm(`Roll back ${id} (${reason})? Traffic moves to blue.`)))
    throw new CliError(`rollback of ${id} not confirmed; nothing sent`, EXIT.refused);
  return reason;
}
