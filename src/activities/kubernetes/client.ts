// One place that turns the worker's configuration into Kubernetes API clients.
import * as https from 'node:https';
import {
  AppsV1Api,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  NetworkingV1Api,
} from '@kubernetes/client-node';
import type { ActivityConfig } from '../config';
import { kubeFailure } from './errors';

export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  networking: NetworkingV1Api;
  authz: AuthorizationV1Api;
  authn: AuthenticationV1Api;
  custom: CustomObjectsApi;
  objects: KubernetesObjectApi;
  fieldManager: string;
  /** GET of a raw API path as JSON (discovery and generic lists, where typed clients have no method). */
  getJson<T>(path: string): Promise<T>;
}

export function loadKubeConfig(config: ActivityConfig['kubernetes']): KubeConfig {
  const kc = new KubeConfig();
  if (config.inCluster) kc.loadFromCluster();
  else if (config.kubeconfigPath) kc.loadFromFile(config.kubeconfigPath);
  else kc.loadFromDefault();
  return kc;
}

/** Clients are built on first use, so a worker without a cluster can still run other activities. */
export function lazyKubeClients(config: ActivityConfig['kubernetes']): () => KubeClients {
  let clients: KubeClients | undefined;
  return () => (clients ??= kubeClients(loadKubeConfig(config), config.fieldManager));
}

export function kubeClients(kc: KubeConfig, fieldManager: string): KubeClients {
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    networking: kc.makeApiClient(NetworkingV1Api),
    authz: kc.makeApiClient(AuthorizationV1Api),
    authn: kc.makeApiClient(AuthenticationV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    objects: KubernetesObjectApi.makeApiClient(kc),
    fieldManager,
    getJson: (path) => getJson(kc, path),
  };
}

/** Raised by getJson with the same shape the generated clients use (`code`, `body`), so one classifier fits both. */
export class RawApiError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
  ) {
    super(`HTTP ${code}`);
  }
}

async function getJson<T>(kc: KubeConfig, path: string): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw kubeFailure(new Error('kubeconfig has no current cluster'), 'load kubeconfig');
  const url = new URL(path, cluster.server);
  const options: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
  await kc.applyToHTTPSOptions(options);
  return new Promise<T>((resolve, reject) => {
    const req = https.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const code = res.statusCode ?? 0;
        if (code < 200 || code > 299) {
          reject(new RawApiError(code, text));
          return;
        }
        try {
          resolve(JSON.parse(text) as T);
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
