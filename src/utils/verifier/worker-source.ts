/**
 * The verifier worker's code, run with `new Worker(code, { eval: true })` so it needs no TypeScript build:
 * it loads bcrypto's native BIP-340 binding by absolute path, or @noble/curves when that is unavailable.
 * Each message is a batch of events; the answer is one byte per event (1 = id and signature valid; with `sigOnly`,
 * the signature over the id as given, which the caller has recomputed already). A `stop`
 * message closes the port, and the thread ends once the batches before it are answered.
 *
 * The id serialisation is models/event.ts's `serializeForId` itself: its compiled source text is placed in the
 * worker's code (it is one self-contained function of plain JavaScript), so the worker and the rest of the
 * archive cannot disagree on what an event's id is.
 */
import { serializeForId } from '../../models/event.js';

export const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { pathToFileURL } = require('node:url');

async function loadVerify() {
  if (workerData.bcrypto) {
    try {
      const lib = require(workerData.bcrypto);
      if (lib.native) return { name: 'bcrypto-native', verify: (sig, msg, pub) => lib.verify(msg, sig, pub) };
    } catch {}
  }
  const { schnorr } = await import(pathToFileURL(workerData.noble).href);
  return { name: 'noble', verify: (sig, msg, pub) => schnorr.verify(sig, msg, pub) };
}

const serializeForId = ${serializeForId.toString()};

const ready = loadVerify();
parentPort.on('message', async ({ seq, events, stop, sigOnly }) => {
  // stop: no more batches; the thread ends once what it holds is done (it is never terminated mid-call)
  if (stop) return parentPort.close();
  const { verify } = await ready;
  const flags = new Uint8Array(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    try {
      const id = sigOnly
        ? Buffer.from(e.id, 'hex')
        : createHash('sha256').update(serializeForId(e)).digest();
      if (id.length !== 32 || id.toString('hex') !== e.id) continue;
      flags[i] = verify(Buffer.from(e.sig, 'hex'), id, Buffer.from(e.pubkey, 'hex')) ? 1 : 0;
    } catch {
      flags[i] = 0;
    }
  }
  parentPort.postMessage({ seq, flags }, [flags.buffer]);
});
ready.then((b) => parentPort.postMessage({ ready: b.name }), (err) => parentPort.postMessage({ failed: String(err) }));
`;
