// The endpoint's certificate chains to the trusted CA and stays valid for minValidDays.
import { checkTlsCertificate } from '../tls-check';
import type { CheckRunner } from './check';
import { HTTP_TIMEOUT_MS } from './probe';

export const tlsCertificate: CheckRunner<'tls-certificate'> = async (check, { config }) => {
  const facts = await checkTlsCertificate({
    host: check.host,
    port: check.port,
    minValidDays: check.minValidDays,
    caFile: config.tlsCaFile,
    timeoutMs: HTTP_TIMEOUT_MS,
  });
  return { name: check.name, ...facts };
};
