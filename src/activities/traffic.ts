// Traffic shifting on an Istio VirtualService or a Gateway API HTTPRoute: read-modify-write with
// resourceVersion conflict retry; setting the weight the route already has writes nothing.
import type { ActivityConfig } from './config';
import type { MaintenanceInput, TrafficInput, TrafficResult } from './contract';
import { notImplemented } from './errors';

export function createTrafficActivities(_config: ActivityConfig) {
  return {
    async setTrafficWeight(_input: TrafficInput): Promise<TrafficResult> { return notImplemented('setTrafficWeight'); },
    async setMaintenanceMode(_input: MaintenanceInput): Promise<{ changed: boolean }> { return notImplemented('setMaintenanceMode'); },
  };
}
