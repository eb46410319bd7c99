// The preflight check kinds, one file each. The keys are the plan's check kinds (PreflightCheck in
// src/plan/types.ts, the `check` union of src/plan/schema.ts): the compiler refuses a kind without its
// file here. A new kind is its fields in the plan, a file next to http.ts, and one line below.
import type { PreflightKind } from '../../plan/types';
import type { CheckRunner } from './check';
import { clusterPolicies } from './cluster-policies';
import { configBackup } from './config-backup';
import { elasticsearch } from './elasticsearch';
import { errorBudget } from './error-budget';
import { http } from './http';
import { kubernetesNodes } from './kubernetes-nodes';
import { meshMtls } from './mesh-mtls';
import { postgres } from './postgres';
import { prometheusTargets } from './prometheus-targets';
import { redis } from './redis';
import { releaseBaseline } from './release-baseline';
import { rdsSnapshot } from './rds-snapshot';
import { restoreRehearsal } from './restore-rehearsal';
import { s3Bucket } from './s3-bucket';
import { securityEvidence } from './security-evidence';
import { securityGroups } from './security-groups';
import { tlsCertificate } from './tls-certificate';
import { waf } from './waf';

export const preflightChecks: { [K in PreflightKind]: CheckRunner<K> } = {
  'kubernetes-nodes': kubernetesNodes,
  'cluster-policies': clusterPolicies,
  'mesh-mtls': meshMtls,
  'release-baseline': releaseBaseline,
  postgres,
  redis,
  's3-bucket': s3Bucket,
  'config-backup': configBackup,
  'rds-snapshot': rdsSnapshot,
  'restore-rehearsal': restoreRehearsal,
  waf,
  'security-groups': securityGroups,
  'tls-certificate': tlsCertificate,
  http,
  elasticsearch,
  'prometheus-targets': prometheusTargets,
  'security-evidence': securityEvidence,
  'error-budget': errorBudget,
};
