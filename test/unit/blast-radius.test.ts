// The data-plane tests' bound on users' failed requests (test/integration/blast-radius.ts): it reads the
// failure rate from the image tag, so a tag the bound cannot read is an error, never a bound of 0.
import { blastRadiusBound } from '../integration/blast-radius';

test('rate x weight x RPS x exposure + 3 sd, the rate read from the tag: 30% of 5% of 10 rps for 20 s is 8', () => {
  // n = 10 requests, p = 0.3: 3 + 3 * sqrt(2.1) = 7.35
  expect(blastRadiusBound({ tag: '2.0.1-sick-30', weight: 5, rps: 10, exposureS: 20 })).toBe(8);
  expect(blastRadiusBound({ tag: '1234-sick-30-abc1234', weight: 5, rps: 10, exposureS: 20 })).toBe(8);
});

test('a tag with no failure rate is refused rather than bounding at 0', () => {
  expect(() => blastRadiusBound({ tag: '2.0.1', weight: 5, rps: 10, exposureS: 20 })).toThrow(/no failure rate/);
});
