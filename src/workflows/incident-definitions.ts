// The incident workflow's input, signals, updates and query, shared by the workflow, the CLI and tests.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { NotificationSpec } from '../plan/types';
import type { AuditEntry, Outcome, ReleaseReport } from './definitions';
import type { IncidentSeverity } from './incident-rules';
import type { RollbackRecord } from './rollback-budget';

export const INCIDENT_WORKFLOW = 'incidentWorkflow';

/** The incident of a release: one per release, so the CLI and the release find it by name. */
export const incidentIdOf = (releaseId: string): string => `${releaseId.slice(0, 900)}-incident`;

/** What the release knows of the harm: minutes from the first bad reading (or the rollback) to recovery. */
export interface IncidentImpact {
  minutesDegraded: number;
  /** The release measures rates, not counts: null, with what it saw in `detail`. */
  requestsFailed: number | null;
  detail: string;
}

export interface IncidentInput {
  releaseId: string;
  app: string;
  version: string;
  severity: IncidentSeverity;
  outcome: Outcome;
  cause: string;
  notifications: NotificationSpec;
  /** Who is paged in order: the first on opening, the next at each escalation (the plan's notifications.onCall). */
  onCall: string[];
  /** Operators and approvers of the release's plan: who may take and resolve the incident. */
  people: { id: string; publicKey?: string }[];
  signaturesRequired: boolean;
  artifactsBucket: string;
  /** The release's record when it opened the incident: decisions, controls, traffic moves, with times. */
  timeline: ReleaseReport['timeline'];
  audit: AuditEntry[];
  rollbacks: RollbackRecord[];
  impact: IncidentImpact;
}

export type IncidentAction = 'ack' | 'resolve';

export interface IncidentRequest {
  by: string;
  note?: string;
  /** Incident statement (incident-signatures.ts) by the plan key of `by`. */
  signature?: string;
  signedAt?: string;
  /** The incident's current nonce (status shows it): each statement is good once. */
  nonce?: string;
}

export interface IncidentEntry {
  at: string;
  event: string;
}

export interface IncidentStatus {
  incidentId: string;
  releaseId: string;
  severity: IncidentSeverity;
  state: 'open' | 'acknowledged' | 'resolved';
  cause: string;
  openedAt: string;
  /** When an escalation is due unless someone takes the incident (absent once taken). */
  respondBy?: string;
  commander?: string;
  acknowledgedAt?: string;
  resolvedAt?: string;
  resolvedBy?: string;
  escalations: number;
  updates: number;
  nonce: string;
  /** The post-incident review, once resolved. */
  review?: string;
  events: IncidentEntry[];
}

export const ackIncidentSignal = defineSignal<[IncidentRequest]>('ackIncident');
export const resolveIncidentSignal = defineSignal<[IncidentRequest]>('resolveIncident');
export const ackIncidentUpdate = defineUpdate<IncidentEntry, [IncidentRequest]>('ackIncidentUpdate');
export const resolveIncidentUpdate = defineUpdate<IncidentEntry, [IncidentRequest]>('resolveIncidentUpdate');
export const incidentStatusQuery = defineQuery<IncidentStatus>('incidentStatus');
