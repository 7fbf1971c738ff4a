/** Certificates generated at test time: self-signed, expired, for 127.0.0.1 and localhost. */
// @peculiar/x509 needs a Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/** A PEM key and certificate pair. */
export interface TestCertificate {
  readonly key: string;
  readonly cert: string;
}

/** Options: validity window (default: valid from yesterday for a year). */
export interface CertificateOpts {
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

const DAY = 86_400_000;

/** A self-signed ECDSA P-256 certificate for 127.0.0.1, ::1 and localhost. */
export async function createTestCertificate(opts: CertificateOpts = {}): Promise<TestCertificate> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: Date.now().toString(16),
      name: 'CN=bigbrotr test relay',
      notBefore: opts.notBefore ?? new Date(Date.now() - DAY),
      notAfter: opts.notAfter ?? new Date(Date.now() + 365 * DAY),
      signingAlgorithm: alg,
      keys,
      extensions: [
        new x509.SubjectAlternativeNameExtension([
          { type: 'ip', value: '127.0.0.1' },
          { type: 'ip', value: '::1' },
          { type: 'dns', value: 'localhost' },
        ]),
      ],
    },
    webcrypto,
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
  return { key, cert: cert.toString('pem') };
}

/** A certificate that expired yesterday. */
export function createExpiredCertificate(): Promise<TestCertificate> {
  return createTestCertificate({ notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) });
}
