/** Creates our self-signed CA: EC P-256, CA:TRUE with path length 0 (it signs serving certificates only). */
import { exportPrivateKeyPem, generateKeyPair, pemWithNewline } from './key-pem.js';
import { randomSerialNumber } from './serial-number.js';
import { ECDSA_SHA256, x509 } from './x509-library.js';
import type { WebCrypto } from './x509-library.js';

export interface KeyAndCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface CreateCaOptions {
  readonly commonName: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly crypto: WebCrypto;
}

export async function createCertificateAuthority(options: CreateCaOptions): Promise<KeyAndCertificate> {
  const { crypto } = options;
  const keys = await generateKeyPair(crypto);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerialNumber(crypto),
      // The start time in the name tells an old CA from its successor in a bundle.
      name: [{ CN: [`${options.commonName} ${new Date(options.notBefore).toISOString().slice(0, 19)}Z`] }],
      notBefore: new Date(options.notBefore),
      notAfter: new Date(options.notAfter),
      signingAlgorithm: ECDSA_SHA256,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { certPem: pemWithNewline(certificate.toString('pem')), keyPem: await exportPrivateKeyPem(crypto, keys.privateKey) };
}
