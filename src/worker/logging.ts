// One JSON object per line on stdout, for the SDK, workflow and activity logs alike. Workflow and
// activity entries carry workflowId/runId (as releaseId/runId) and the release's stage when logged.
import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';

const ORDER: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };
export const LOG_LEVELS = Object.keys(ORDER) as LogLevel[];

export type LogObserver = (level: LogLevel, message: string, meta: LogMetadata) => void;

export class JsonLogger implements Logger {
  constructor(
    private readonly level: LogLevel = 'INFO',
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
    private readonly observers: LogObserver[] = [],
  ) {}

  log(level: LogLevel, message: string, meta: LogMetadata = {}): void {
    for (const observe of this.observers) {
      try {
        observe(level, message, meta);
      } catch {
        // metrics derived from logs must never break logging
      }
    }
    if (ORDER[level] < ORDER[this.level]) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, message };
    if (typeof meta.workflowId === 'string') entry.releaseId = meta.workflowId;
    if (typeof meta.workflowRunId === 'string') entry.runId = meta.workflowRunId; // activities name it workflowRunId
    for (const [key, value] of Object.entries(meta)) {
      if (!(key in entry)) entry[key] = value;
    }
    this.write(`${safeStringify(entry)}\n`);
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

function safeStringify(entry: Record<string, unknown>): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(entry, (_key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
    if (value && typeof value === 'object') {
      if (seen.has(value)) return '[circular]';
      seen.add(value);
    }
    return value;
  });
}

/** Workflow log entries carry `stage` (release.ts logs every event with it): keep the stage gauge current. */
export function stageObserver(setStage: (releaseId: string, stage: string) => void): LogObserver {
  return (_level, _message, meta) => {
    if (meta.sdkComponent === 'workflow' && typeof meta.workflowId === 'string' && typeof meta.stage === 'string') {
      setStage(meta.workflowId, meta.stage);
    }
  };
}
