import { schnorr } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { loadBcryptoBackend, nobleBackend, schnorrBackend, verifySchnorr } from './schnorr.js';

const native = loadBcryptoBackend();
const sk = schnorr.utils.randomSecretKey();
const pub = schnorr.getPublicKey(sk);
const msg = new Uint8Array(32).fill(7);
const sig = schnorr.sign(msg, sk);
const P = BigInt('0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f');
const N = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
const be32 = (n: bigint): Uint8Array => Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'));

describe('schnorr backends', () => {
  it('uses the native build on this machine', () => {
    expect(native?.name).toBe('bcrypto-native');
    expect(schnorrBackend()).toBe('bcrypto-native');
  });

  const cases: [string, Uint8Array, Uint8Array, Uint8Array, boolean][] = [
    ['a valid signature', sig, msg, pub, true],
    ['another message', sig, new Uint8Array(32).fill(8), pub, false],
    ['a flipped signature bit', Uint8Array.from(sig, (b, i) => (i === 10 ? b ^ 1 : b)), msg, pub, false],
    ['r = p', Uint8Array.from([...be32(P), ...sig.slice(32)]), msg, pub, false],
    ['s = n', Uint8Array.from([...sig.slice(0, 32), ...be32(N)]), msg, pub, false],
    ['a pubkey not on the curve', sig, msg, be32(5n), false],
    ['a short signature', sig.slice(0, 63), msg, pub, false],
    ['a long pubkey', sig, msg, Uint8Array.from([...pub, 0]), false],
  ];

  it.each(cases)('both backends agree on %s', (_name, s, m, p, expected) => {
    expect(verifySchnorr(s, m, p, nobleBackend)).toBe(expected);
    if (native) expect(verifySchnorr(s, m, p, native)).toBe(expected);
  });

  it('falls back when the native build cannot be loaded', () => {
    expect(
      loadBcryptoBackend(() => {
        throw new Error('Cannot find module');
      }),
    ).toBeUndefined();
    expect(loadBcryptoBackend(() => ({ native: 0 }))).toBeUndefined();
  });
});
