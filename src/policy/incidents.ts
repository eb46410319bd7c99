// Whether a release opens incidents is the platform's call (the environment's `incidents`, absent: yes), not
// the caller's: ReleaseInput.incidents may turn them on where the policy leaves them off, never off where the
// policy opens them. Pure: the workflow applies it (stages/policy.ts, patch incidents-policy), tests call it.
import type { EnvironmentPolicy } from './schema';

export interface IncidentsDecision {
  /** Whether the release opens an incident when it ends badly. */
  opens: boolean;
  /** Why the release may not run: the input turns off what the policy requires. */
  problem?: string;
  /** Whether this differs from the input alone deciding (`incidents !== false`), so the workflow must patch. */
  changed: boolean;
}

export function incidentsDecision(
  env: Pick<EnvironmentPolicy, 'name' | 'incidents'> | undefined,
  asked: boolean | undefined,
): IncidentsDecision {
  const byInput = asked !== false;
  if (!env) return { opens: byInput, changed: false };
  if (env.incidents !== false) {
    if (asked !== false) return { opens: true, changed: false };
    return {
      opens: true,
      changed: true,
      problem: `policy rule incidents: the platform opens incidents for releases into ${env.name}; the input may not turn them off (incidents: false)`,
    };
  }
  const opens = asked === true;
  return { opens, changed: opens !== byInput };
}
