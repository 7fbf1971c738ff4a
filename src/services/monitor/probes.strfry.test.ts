/** The NIP-42 probe against the real strfry (runs when BIGBROTR_STRFRY is set; fails under CI=true without it). */
import { describe, expect, it } from 'vitest';
import { fetchRelayInfo } from '../../nips/nip11.js';
import { createSigner } from '../../nips/signer.js';
import { testSecretKey } from '../../testing/events.js';
import { startStrfry, strfryBinary } from '../../testing/strfry.js';
import { probeCapabilities } from './probes.js';

const binary = strfryBinary();
const signer = createSigner(testSecretKey(79, 0));
const connect = { network: 'local' as const, allowLocal: true };

describe.skipIf(!binary)('NIP-42 probe against the real strfry', () => {
  it('observes NIP-42 on demand on the shipped config (AUTH refused) and with a serviceUrl (AUTH accepted)', async () => {
    await using shipped = await startStrfry({ binary });
    const info = await fetchRelayInfo(shipped.url, { ...connect, timeoutMs: 5_000 });
    if (!info.ok) throw new Error(`NIP-11: ${info.reason}`);
    expect(info.value.supported_nips).not.toContain(42);
    const caps = await probeCapabilities(shipped.url, connect, signer, info.value, 5_000);
    expect(caps.nip42).toEqual({
      advertised: false,
      observed: true,
      detail: 'challenge on demand; AUTH refused: error: relay needs serviceUrl to be configured before AUTH can work',
    });
    expect(caps.nip45).toEqual({ advertised: true, observed: true });
    expect(caps.nip77).toEqual({ advertised: true, observed: true });

    await using accepting = await startStrfry({ binary, acceptAuth: true });
    const authed = await probeCapabilities(accepting.url, connect, signer, info.value, 5_000);
    expect(authed.nip42).toEqual({
      advertised: false,
      observed: true,
      detail: 'challenge on demand; AUTH accepted: successfully authenticated',
    });
  });
});
