/** The capability probes against the test relay: NIP-42 observed on connect and on demand, truthfully. */
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayInfo } from '../../nips/nip11.js';
import { createSigner } from '../../nips/signer.js';
import { testSecretKey } from '../../testing/events.js';
import { startTestRelay, type TestRelayOpts } from '../../testing/relay/relay.js';
import { probeCapabilities } from './probes.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});
const signer = createSigner(testSecretKey(78, 0));
const connect = { network: 'local' as const, allowLocal: true };
const nip11 = (nips: readonly number[] = []): RelayInfo => ({ supported_nips: [...nips] });

async function probe(opts: TestRelayOpts) {
  const relay = await startTestRelay(opts);
  cleanup.push(() => relay.close());
  return probeCapabilities(relay.url, connect, signer, nip11(opts.info?.supported_nips), 2_000);
}

describe('NIP-42 probe', () => {
  it('a challenge on connect, AUTH accepted', async () => {
    const caps = await probe({ info: { supported_nips: [1, 11, 42] } });
    expect(caps.nip42).toEqual({ advertised: true, observed: true, detail: 'challenge on connect; AUTH accepted' });
  });

  it('a challenge only for a restricted-kind REQ (as strfry): observed, though NIP-11 does not list 42', async () => {
    const onDemand = { info: { supported_nips: [1, 11, 45] }, misbehave: { authOnDemandKinds: [4, 1059] } };
    const accepted = await probe(onDemand);
    expect(accepted.nip42).toEqual({ advertised: false, observed: true, detail: 'challenge on demand; AUTH accepted' });
    // the later probes run on the same connection, unaffected
    expect(accepted.nip45).toEqual({ advertised: true, observed: true });

    // strfry's shipped configuration: the challenge comes, every AUTH is refused; NIP-42 still runs there
    const refusal = 'error: relay needs serviceUrl to be configured before AUTH can work';
    const refused = await probe({ ...onDemand, misbehave: { ...onDemand.misbehave, refuseAuth: refusal } });
    expect(refused.nip42).toEqual({
      advertised: false,
      observed: true,
      detail: `challenge on demand; AUTH refused: ${refusal}`,
    });
  });

  it('no challenge on connect nor on demand: not observed, and said why', async () => {
    const caps = await probe({ info: { supported_nips: [1, 11] } });
    expect(caps.nip42).toEqual({
      advertised: false,
      observed: false,
      detail: 'no AUTH challenge, on connect or for a REQ of kinds 4, 1059',
    });
  });

  it('a challenge that is never answered: not observed, with the reason', async () => {
    const relay = await startTestRelay({ info: { supported_nips: [1, 11, 42] } });
    cleanup.push(() => relay.close());
    relay.misbehave = { noticeInsteadOfAnswers: true }; // the challenge was sent on connect; AUTH gets a NOTICE
    const caps = await probeCapabilities(relay.url, connect, signer, nip11([1, 11, 42]), 1_000);
    expect(caps.nip42).toMatchObject({ advertised: true, observed: false });
    expect(caps.nip42.detail).toMatch(/^challenge on connect; no answer to AUTH: /);
  });
});
