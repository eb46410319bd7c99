// Which of the plan's metrics a watch reads and judges: a metric with `stages` belongs to those watches
// only (the seed's 0.1% error-rate baseline holds at the full switch, not at a 5% canary). Plans without
// `stages` get every metric in every watch, as before the field existed.
import type { MetricSpec } from '../plan/types';
import type { WatchStage } from './exits';

export const metricsOfStage = (metrics: MetricSpec[], stage: WatchStage): MetricSpec[] =>
  metrics.filter((m) => m.stages === undefined || m.stages.includes(stage));
