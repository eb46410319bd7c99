// Where the activities find the outside world. Read from the worker's environment (never from
// workflow inputs), so credentials and webhook URLs never enter workflow history.
import { resolve } from 'node:path';
import { readPrivateKey } from '../client/keys';
import { CODEC_KEYS_VAR, parseCodecKeys, type CodecKey } from '../codec/keys';

export interface ActivityConfig {
  kubernetes: {
    kubeconfigPath?: string;
    inCluster?: boolean;
    fieldManager: string;
    /** ClusterRole createNamespace binds to the worker in a new environment namespace (deploy/kubernetes/rbac.yaml). */
    environmentRole?: string;
  };
  prometheus: { url: string; timeoutMs: number };
  aws: { region: string; endpoint?: string; accessKeyId?: string; secretAccessKey?: string };
  postgres: { connectionString?: string };
  redis: { url?: string };
  slack: { webhookUrls: Partial<Record<string, string>>; defaultWebhookUrl?: string };
  pagerduty: { eventsUrl: string; routingKey?: string };
  smtp: { url?: string; from: string };
  /** CA bundle to trust for TLS checks of internal endpoints (PEM path). */
  tlsCaFile?: string;
  /**
   * Where CI's security reports may be read from (and nowhere else): a directory on the worker's disk
   * and/or an S3 bucket, whose reports for a release lie under `<prefix>/<app>/<version>/`.
   */
  evidence: { root?: string; bucket?: string; prefix: string };
  /** HWAYO_CODEC_KEYS: also encrypt Secret values in namespace backups (the first key encrypts). */
  codecKeys?: CodecKey[];
  /** HWAYO_POLICY: where the platform's environment policy lives (policyLocation). */
  policy: PolicyLocation;
  /** HWAYO_ATTESTATION_KEY: the worker's ed25519 key that signs release attestations; unset, none is written. */
  attestationKey?: Uint8Array;
  /** HWAYO_AUDIT_BUCKET: the Object Lock bucket of the audit log (default hwayo-release-audit). */
  audit?: { bucket: string };
  /** HWAYO_REHEARSAL_BUCKET: where restore rehearsals are recorded (default hwayo-release-artifacts). */
  rehearsal?: { bucket: string };
}

export type PolicyLocation = { kind: 'none' } | { kind: 'configmap'; namespace: string; name: string };
/** Where the worker looks when HWAYO_POLICY is not set: deploy/kubernetes/policy.yaml. */
export const DEFAULT_POLICY = 'configmap:hwayo-release/hwayo-release-policy';
export const POLICY_VAR = 'HWAYO_POLICY';
export const ATTESTATION_KEY_VAR = 'HWAYO_ATTESTATION_KEY';

/**
 * HWAYO_POLICY: `configmap:NAMESPACE/NAME` (default DEFAULT_POLICY), or `none`, which runs every plan on its own
 * authority and is for a local stack only (the report says so). Undefined when malformed.
 */
export function policyLocation(value: string | undefined): PolicyLocation | undefined {
  const text = value ?? DEFAULT_POLICY;
  if (text === 'none') return { kind: 'none' };
  const m = /^configmap:([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?)$/.exec(text);
  return m ? { kind: 'configmap', namespace: m[1], name: m[3] } : undefined;
}

const env = (name: string, source: NodeJS.ProcessEnv) => (source[name] === '' ? undefined : source[name]);

/** Builds the config from environment variables (see README "Worker configuration"). */
export function activityConfigFromEnv(source: NodeJS.ProcessEnv = process.env): ActivityConfig {
  const slackWebhookUrls: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    // SLACK_WEBHOOK_URL_HWAYO_CRITICAL -> channel #hwayo-critical
    const m = /^SLACK_WEBHOOK_URL_(.+)$/.exec(key);
    if (m && value) slackWebhookUrls[`#${m[1].toLowerCase().replace(/_/g, '-')}`] = value;
  }
  const attestationKeyFile = env(ATTESTATION_KEY_VAR, source);
  return {
    kubernetes: {
      kubeconfigPath: env('KUBECONFIG', source),
      inCluster: env('HWAYO_KUBE_IN_CLUSTER', source) === 'true',
      fieldManager: env('HWAYO_FIELD_MANAGER', source) ?? 'hwayo-release',
      environmentRole: env('HWAYO_KUBE_ENVIRONMENT_ROLE', source),
    },
    prometheus: {
      url: env('PROMETHEUS_URL', source) ?? 'http://localhost:9090',
      timeoutMs: Number(env('PROMETHEUS_TIMEOUT_MS', source) ?? 10_000),
    },
    aws: {
      region: env('AWS_REGION', source) ?? 'ap-northeast-1',
      endpoint: env('AWS_ENDPOINT_URL', source),
      accessKeyId: env('AWS_ACCESS_KEY_ID', source),
      secretAccessKey: env('AWS_SECRET_ACCESS_KEY', source),
    },
    postgres: { connectionString: env('DATABASE_URL', source) },
    redis: { url: env('REDIS_URL', source) },
    slack: { webhookUrls: slackWebhookUrls, defaultWebhookUrl: env('SLACK_WEBHOOK_URL', source) },
    pagerduty: {
      eventsUrl: env('PAGERDUTY_EVENTS_URL', source) ?? 'https://events.pagerduty.com/v2/enqueue',
      routingKey: env('PAGERDUTY_ROUTING_KEY', source),
    },
    smtp: { url: env('SMTP_URL', source), from: env('SMTP_FROM', source) ?? 'hwayo-release@localhost' },
    tlsCaFile: env('HWAYO_TLS_CA_FILE', source),
    evidence: {
      root:
        env('HWAYO_EVIDENCE_ROOT', source) === undefined
          ? undefined
          : resolve(env('HWAYO_EVIDENCE_ROOT', source) as string),
      bucket: env('HWAYO_EVIDENCE_BUCKET', source),
      prefix: 'evidence',
    },
    codecKeys: parseCodecKeys(env(CODEC_KEYS_VAR, source)),
    // A malformed value is refused by the worker's configuration check (worker/config.ts) before this is used.
    policy: policyLocation(env(POLICY_VAR, source)) ?? { kind: 'configmap', namespace: '-', name: '-' },
    // A key file as `keys generate` writes it (base64 of 32 bytes, mode 0600); worker/config.ts checks it first.
    attestationKey: attestationKeyFile === undefined ? undefined : readPrivateKey(attestationKeyFile),
    audit: { bucket: env('HWAYO_AUDIT_BUCKET', source) ?? 'hwayo-release-audit' },
    rehearsal: { bucket: env('HWAYO_REHEARSAL_BUCKET', source) ?? 'hwayo-release-artifacts' },
  };
}
