import { ed25519 } from '@noble/curves/ed25519';
import type { ReleasePlan } from '../../src/plan/types';
import { publicKeyOf } from '../../src/workflows/signatures';

/** The seed's production rules, as a platform team would write them (unit and workflow policy tests). */
export function seedPolicy(keys: Record<'alice' | 'bob' | 'carol' | 'olga', string>) {
  return {
    version: 1,
    environments: [
      {
        name: 'production',
        namespaces: ['hwayo-production', 'hwayo-production-green'],
        approval: {
          requiredRoles: ['tech-lead', 'product-manager', 'qa-lead'],
          approvers: [
            { id: 'alice', role: 'tech-lead', publicKey: keys.alice },
            { id: 'bob', role: 'product-manager', publicKey: keys.bob },
            { id: 'carol', role: 'qa-lead', publicKey: keys.carol },
          ],
          operators: [{ id: 'olga', publicKey: keys.olga }],
          maxTimeout: '24h',
        },
        checks: ['release-baseline', 'security-evidence'],
        canary: { minSteps: 3, maxFirstWeight: 5, minWatch: '15m', maxAnalysisInterval: '1m', maxPause: '1h' },
        fullSwitch: { minWatch: '10m' },
        retention: { minBlueKeep: '24h' },
      },
    ],
  };
}

/** Makes `plan` exactly as strict as seedPolicy(keys): signed, by the platform's approvers with their keys. */
export function signedByPlatform(plan: ReleasePlan, keys: Record<'alice' | 'bob' | 'carol', string>): ReleasePlan {
  plan.approval.allowUnsigned = false;
  plan.approval.requireSignatures = true;
  plan.approval.approvers = [
    { id: 'alice', role: 'tech-lead', publicKey: keys.alice },
    { id: 'bob', role: 'product-manager', publicKey: keys.bob },
    { id: 'carol', role: 'qa-lead', publicKey: keys.carol },
  ];
  return plan;
}

/** The seed policy's people with fresh ed25519 keys: their secret keys and the public keys the policy lists. */
export function platformPeople() {
  const secrets = {
    alice: ed25519.utils.randomSecretKey(),
    bob: ed25519.utils.randomSecretKey(),
    carol: ed25519.utils.randomSecretKey(),
    olga: ed25519.utils.randomSecretKey(),
  };
  const keys = {
    alice: publicKeyOf(secrets.alice),
    bob: publicKeyOf(secrets.bob),
    carol: publicKeyOf(secrets.carol),
    olga: publicKeyOf(secrets.olga),
  };
  return { secrets, keys };
}
