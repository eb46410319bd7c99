// Which running release a firing alert is for: the one its `release` label names, or each release in the canary
// whose green namespace is the alert's. The release checks again (alert-rules.ts): this only picks the
// addressee, so a wrong pick is audited and ignored there, never acted on.
import { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { dataConverterFromEnv } from '../codec';
import { alertFiringSignal, type AlertSignal } from '../workflows/alert-rules';
import { RELEASE_WORKFLOW, SA_STAGE, statusQuery } from '../workflows/definitions';

export interface AlertTargets {
  /** Workflow ids of the running releases the alert is for. */
  find(alert: AlertSignal): Promise<string[]>;
  signal(workflowId: string, alert: AlertSignal): Promise<void>;
}

const CANARY_RELEASES = `WorkflowType = '${RELEASE_WORKFLOW}' AND ExecutionStatus = 'Running' AND ${SA_STAGE.name} = 'canary'`;

export function temporalAlertTargets(client: Client): AlertTargets {
  return {
    async find(alert) {
      if (alert.labels.release) return [alert.labels.release];
      const ids: string[] = [];
      for await (const w of client.workflow.list({ query: CANARY_RELEASES })) ids.push(w.workflowId);
      const greens = await Promise.all(
        ids.map((id) =>
          client.workflow
            .getHandle(id)
            .query(statusQuery)
            .then((s) => s.environments?.green)
            .catch(() => undefined),
        ),
      );
      return ids.filter((_, i) => greens[i] === alert.labels.namespace);
    },
    async signal(workflowId, alert) {
      await client.workflow.getHandle(workflowId).signal(alertFiringSignal, alert);
    },
  };
}

/** The webhook's view of Temporal: a client on the worker's connection, encoding as the worker does. */
export function alertTargetsOn(connection: NativeConnection, namespace: string, env: NodeJS.ProcessEnv): AlertTargets {
  return temporalAlertTargets(new Client({ connection, namespace, dataConverter: dataConverterFromEnv(env) }));
}
