/** Raw WebSocket frames for misbehaviours the `ws` library will not produce: slow drips and garbage. */
import type { Socket } from 'node:net';

/** An unmasked server text frame (RFC 6455 §5.2) holding `text`. */
export function textFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const n = payload.length;
  const header = n < 126 ? Buffer.from([0x81, n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126 && n < 65536) {
    header[0] = 0x81;
    header[1] = 126;
    header.writeUInt16BE(n, 2);
  } else if (n >= 65536) {
    header[0] = 0x81;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([header, payload]);
}

/** A writer that puts queued bytes onto the socket one byte every `intervalMs` (frames stay in order). */
export function createDripper(socket: Socket, intervalMs: number): (bytes: Buffer) => void {
  let pending = Buffer.alloc(0);
  const timer = setInterval(() => {
    if (socket.destroyed) return clearInterval(timer);
    if (pending.length === 0) return;
    socket.write(pending.subarray(0, 1));
    pending = pending.subarray(1);
  }, intervalMs);
  timer.unref();
  socket.once('close', () => clearInterval(timer));
  return (bytes) => {
    pending = Buffer.concat([pending, bytes]);
  };
}

/** Frames no NIP-01 client should accept: not JSON, not an array, unknown types, wrong arity, bad events. */
export const GARBAGE_FRAMES: readonly string[] = [
  'this is not json',
  '{"type":"EVENT"}',
  '[]',
  '[42, "x"]',
  '["UNKNOWN", "x"]',
  '["EOSE"]',
  '["OK", "abc", true, ""]',
  '["EVENT", "x", {"id": "ABC"}]',
  '["COUNT", "x", {"count": -1}]',
  `["NOTICE", ${'1'.repeat(10)}]`,
];
