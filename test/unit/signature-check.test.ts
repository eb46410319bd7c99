// The one check of a signed approval or control (signature-check.ts): the two time rules at their named
// bounds, and the order of the checks (a refused request never reaches verification).
import { ed25519 } from '@noble/curves/ed25519';
import {
  SIGNATURE_MAX_AGE_MS,
  SIGNATURE_MAX_AHEAD_MS,
  SIGNATURE_MAX_SKEW_MS,
  signatureRefusal,
  signedAtProblem,
  type SignatureRules,
} from '../../src/workflows/signature-check';
import { publicKeyOf } from '../../src/workflows/signatures';

const now = Date.parse('2026-11-26T10:00:00.000Z');
const at = (offsetMs: number) => new Date(now + offsetMs).toISOString();

test("'skew': the same bound either way", () => {
  expect(signedAtProblem(at(-SIGNATURE_MAX_SKEW_MS), now, 'skew')).toBeUndefined();
  expect(signedAtProblem(at(SIGNATURE_MAX_SKEW_MS), now, 'skew')).toBeUndefined();
  expect(signedAtProblem(at(-SIGNATURE_MAX_SKEW_MS - 1), now, 'skew')).toMatch(/more than 15 minutes from/);
  expect(signedAtProblem(at(SIGNATURE_MAX_SKEW_MS + 1), now, 'skew')).toMatch(/more than 15 minutes from/);
});

test("'age-and-lead': old by the age bound, ahead by the lead bound", () => {
  expect(signedAtProblem(at(-SIGNATURE_MAX_AGE_MS), now, 'age-and-lead')).toBeUndefined();
  expect(signedAtProblem(at(SIGNATURE_MAX_AHEAD_MS), now, 'age-and-lead')).toBeUndefined();
  expect(signedAtProblem(at(-SIGNATURE_MAX_AGE_MS - 1), now, 'age-and-lead')).toMatch(/15 minutes before/);
  expect(signedAtProblem(at(SIGNATURE_MAX_AHEAD_MS + 1), now, 'age-and-lead')).toMatch(/60 seconds ahead/);
  expect(signedAtProblem('yesterday', now, 'age-and-lead')).toBe('signedAt "yesterday" is not an ISO time');
});

describe('the checks run in order; the first refusal is the answer', () => {
  const publicKey = publicKeyOf(ed25519.utils.randomPrivateKey());
  const verified: string[] = [];
  const rules = (over: Partial<SignatureRules> = {}): SignatureRules => ({
    signer: { id: 'kim', publicKey },
    nowMs: now,
    time: 'age-and-lead',
    keyHolders: [{ id: 'kim', publicKey }, { id: 'lee' }],
    verify: (signature) => {
      verified.push(signature);
      return signature === 'good';
    },
    refusals: { unsigned: 'unsigned', sharedKey: (o) => `shared with ${o}`, doesNotVerify: () => 'bad signature' },
    ...over,
  });
  const signed = { signature: 'good', signedAt: at(0) };
  beforeEach(() => (verified.length = 0));

  test('a good signature passes, verified once', () => {
    expect(signatureRefusal(signed, rules())).toBeUndefined();
    expect(verified).toEqual(['good']);
  });
  test('each earlier check stops the request before verification', () => {
    expect(signatureRefusal({ signedAt: at(0) }, rules())).toBe('unsigned');
    expect(signatureRefusal({ ...signed, signedAt: at(-SIGNATURE_MAX_AGE_MS - 1) }, rules())).toMatch(/before/);
    const weak = rules({ signer: { id: 'kim', publicKey: 'not-a-key' } });
    expect(signatureRefusal(signed, weak)).toMatch(/^the public key of "kim" /);
    expect(signatureRefusal(signed, rules({ keyHolders: [{ id: 'lee', publicKey }] }))).toBe('shared with lee');
    expect(signatureRefusal(signed, rules({ beforeVerify: () => 'stale nonce' }))).toBe('stale nonce');
    expect(verified).toEqual([]);
    expect(signatureRefusal({ ...signed, signature: 'forged' }, rules())).toBe('bad signature');
  });
  test('without key holders the key is neither judged nor compared', () => {
    const loose = rules({ signer: { id: 'kim', publicKey: 'not-a-key' }, keyHolders: undefined });
    expect(signatureRefusal(signed, loose)).toBeUndefined();
  });
});
