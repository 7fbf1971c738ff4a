import { X509Certificate } from 'node:crypto';
import { type AddressInfo, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createExpiredCertificate, createTestCertificate, type TestCertificate } from '../../testing/certs.js';
import { startTestRelay } from '../../testing/relay/relay.js';
import { certificateFields, checkSsl, cipherBits, parseSubjectAltName, x509Version } from './ssl.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

function startTls(cert: TestCertificate): Promise<number> {
  const server = createTlsServer({ key: cert.key, cert: cert.cert }, (s) => s.end());
  server.on('tlsClientError', () => undefined);
  return listen(server);
}

describe('checkSsl', () => {
  it('reads every field of a self-signed certificate and judges it not valid', async () => {
    const cert = await createTestCertificate();
    const port = await startTls(cert);
    const { data, logs } = await checkSsl('127.0.0.1', port, { allowLocal: true, timeoutMs: 5_000 });
    expect(logs).toEqual({ success: true });
    const x509 = new X509Certificate(cert.cert);
    expect(data.ssl_valid).toBe(false);
    expect(data.ssl_subject_cn).toBe('bigbrotr test relay');
    expect(data.ssl_issuer).toBeUndefined(); // the test issuer has no O
    expect(data.ssl_issuer_cn).toBe('bigbrotr test relay');
    expect(data.ssl_expires).toBe(Math.floor(Date.parse(x509.validTo) / 1000));
    expect(data.ssl_not_before).toBe(Math.floor(Date.parse(x509.validFrom) / 1000));
    expect(Number.isInteger(data.ssl_expires)).toBe(true);
    expect(data.ssl_san).toEqual(expect.arrayContaining(['127.0.0.1', 'localhost']));
    expect(data.ssl_serial).toMatch(/^[1-9A-F][0-9A-F]*$/);
    expect(data.ssl_serial).toBe(x509.serialNumber.toUpperCase().replace(/^0+/, ''));
    expect(data.ssl_version).toBe(3);
    expect(data.ssl_fingerprint).toMatch(/^SHA256:([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(data.ssl_fingerprint).toBe(`SHA256:${x509.fingerprint256}`);
    expect(['TLSv1.3', 'TLSv1.2']).toContain(data.ssl_protocol);
    expect(typeof data.ssl_cipher).toBe('string');
    expect([128, 256]).toContain(data.ssl_cipher_bits);
    expect(Object.values(data)).not.toContain(null);
  });

  it('judges a certificate valid when its CA is trusted and the name matches', async () => {
    const cert = await createTestCertificate();
    const port = await startTls(cert);
    const ip = await checkSsl('127.0.0.1', port, { allowLocal: true, ca: cert.cert });
    expect(ip.data.ssl_valid).toBe(true);
    const name = await checkSsl('localhost', port, { allowLocal: true, ca: cert.cert });
    expect(name.logs.success).toBe(true);
    expect(name.data.ssl_valid).toBe(true);
  });

  it('judges a trusted certificate for another name not valid', async () => {
    const cert = await createTestCertificate();
    const port = await startTls(cert);
    const { data } = await checkSsl('127.0.0.1', port, { allowLocal: true, ca: cert.cert, servername: 'example.com' });
    expect(data.ssl_valid).toBe(false);
    expect(data.ssl_fingerprint).toBeDefined();
  });

  it('judges an expired certificate not valid, even when trusted', async () => {
    const cert = await createExpiredCertificate();
    const port = await startTls(cert);
    const { data, logs } = await checkSsl('127.0.0.1', port, { allowLocal: true, ca: cert.cert });
    expect(logs.success).toBe(true);
    expect(data.ssl_valid).toBe(false);
    expect(data.ssl_expires).toBeLessThan(Date.now() / 1000);
  });

  it('reads the certificate of the test relay', async () => {
    const cert = await createTestCertificate();
    await using relay = await startTestRelay({ tls: cert });
    const { data, logs } = await checkSsl('127.0.0.1', relay.port, { allowLocal: true });
    expect(logs.success).toBe(true);
    expect(data.ssl_fingerprint).toBe(`SHA256:${new X509Certificate(cert.cert).fingerprint256}`);
  });

  it('fails with timeout when the server never answers TLS', async () => {
    const port = await listen(createTcpServer(() => undefined));
    const started = Date.now();
    const result = await checkSsl('127.0.0.1', port, { allowLocal: true, timeoutMs: 300 });
    expect(result).toEqual({ data: {}, logs: { success: false, reason: 'timeout' } });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('fails with timeout when the caller aborts', async () => {
    const port = await listen(createTcpServer(() => undefined));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await checkSsl('127.0.0.1', port, { allowLocal: true, signal: controller.signal });
    expect(result.logs).toEqual({ success: false, reason: 'timeout' });
  });

  it('fails with refused on a closed port', async () => {
    const port = await listen(createTcpServer());
    await closers.pop()?.();
    const result = await checkSsl('127.0.0.1', port, { allowLocal: true });
    expect(result).toEqual({ data: {}, logs: { success: false, reason: 'refused' } });
  });

  it('fails when the server closes before the handshake', async () => {
    const port = await listen(createTcpServer((s) => s.destroy()));
    const result = await checkSsl('127.0.0.1', port, { allowLocal: true, timeoutMs: 2_000 });
    expect(result.logs.success).toBe(false);
    expect(result.data).toEqual({});
  });

  it('refuses local addresses unless the local network is enabled', async () => {
    const cert = await createTestCertificate();
    const port = await startTls(cert);
    expect((await checkSsl('127.0.0.1', port)).logs).toEqual({ success: false, reason: 'refused' });
    expect((await checkSsl('localhost', port)).logs).toEqual({ success: false, reason: 'refused' });
  });

  it('reports an unknown name as dns', async () => {
    const resolver = async (): Promise<never> => {
      throw Object.assign(new Error('no such name'), { code: 'ENOTFOUND' });
    };
    const result = await checkSsl('relay.invalid', 443, { resolver });
    expect(result.logs).toEqual({ success: false, reason: 'dns' });
  });
});

describe('certificate helpers', () => {
  it('parses subjectAltName strings', () => {
    expect(parseSubjectAltName('DNS:a.example, IP Address:127.0.0.1, URI:https://x, DNS:"b, c"')).toEqual([
      'a.example',
      '127.0.0.1',
      'b, c',
    ]);
    expect(parseSubjectAltName(undefined)).toEqual([]);
  });

  it('derives cipher bits from the suite name', () => {
    expect(cipherBits('TLS_AES_128_GCM_SHA256')).toBe(128);
    expect(cipherBits('TLS_AES_256_GCM_SHA384')).toBe(256);
    expect(cipherBits('TLS_CHACHA20_POLY1305_SHA256')).toBe(256);
    expect(cipherBits('ECDHE-RSA-AES128-GCM-SHA256')).toBe(128);
    expect(cipherBits('ECDHE-ECDSA-AES256-SHA384')).toBe(256);
    expect(cipherBits('DES-CBC3-SHA')).toBe(112);
    expect(cipherBits('NULL-SHA')).toBeUndefined();
  });

  it('reads the X.509 version from DER and omits what is missing', async () => {
    const { cert } = await createTestCertificate();
    expect(x509Version(new X509Certificate(cert).raw)).toBe(3);
    expect(x509Version(Buffer.from([0x30, 0x04, 0x30, 0x02, 0x02, 0x00]))).toBe(1);
    expect(x509Version(Buffer.from([0x04]))).toBeUndefined();
    expect(certificateFields({ issuer: { O: 'Let\u2019s Encrypt', CN: 'R3' } as never, serialNumber: '0a1b' })).toEqual(
      {
        ssl_issuer: 'Let\u2019s Encrypt',
        ssl_issuer_cn: 'R3',
        ssl_serial: 'A1B',
      },
    );
  });
});
