// What a metric provider's reading is: a number, or the reason there is none. Never a guess; analysis.ts judges.

export type InconclusiveReason =
  'empty-result' | 'not-a-number' | 'http-error' | 'timeout' | 'multiple-series' | 'unreachable';

export type MetricReading =
  { name: string; value: number } | { name: string; inconclusive: InconclusiveReason; detail: string };
