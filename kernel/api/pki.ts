/**
 * The cluster's certificates: a CA made at first boot and kept in the data
 * directory (`pki/`), and a serving certificate for the API server signed by
 * it, valid for the listen address, localhost and the `kubernetes` Service
 * names. kubeconfig files embed the CA, as kubeadm's do.
 */
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect polyfill first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import * as path from 'node:path';
import { isIP } from 'node:net';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const YEAR_MS = 365 * 24 * 3600 * 1000;

export interface KeyPairPem {
  cert: string;
  key: string;
}

export interface ClusterPki {
  ca: KeyPairPem;
  server: KeyPairPem;
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, true, ['sign']);
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');
}

export async function createCa(commonName: string): Promise<KeyPairPem> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 10 * YEAR_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await exportKey(keys.privateKey) };
}

/** A leaf certificate signed by `ca`, for serving (with SANs) or for a client (`O=` groups). */
export async function issueCertificate(
  ca: KeyPairPem,
  options: { commonName: string; organizations?: string[]; dnsNames?: string[]; ips?: string[]; usage: 'server' | 'client'; years?: number },
): Promise<KeyPairPem> {
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await importKey(ca.key);
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const subject = [`CN=${options.commonName}`, ...(options.organizations ?? []).map((o) => `O=${o}`)].join(', ');
  const sans = [...(options.dnsNames ?? []).map((d) => ({ type: 'dns' as const, value: d })), ...(options.ips ?? []).map((ip) => ({ type: 'ip' as const, value: ip }))];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([options.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(caCert),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: caCert.subject,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + (options.years ?? 1) * YEAR_MS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions,
  });
  return { cert: cert.toString('pem') + '\n', key: await exportKey(keys.privateKey) };
}

function writeSecret(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/**
 * Load the cluster PKI from `<dataDir>/pki`, creating the CA on first boot
 * and a serving certificate whenever the one on disk does not cover `hosts`.
 */
export async function ensureClusterPki(dataDir: string, hosts: string[], serviceIP?: string): Promise<ClusterPki> {
  const dir = path.join(dataDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caCrt = path.join(dir, 'ca.crt');
  const caKey = path.join(dir, 'ca.key');
  let ca: KeyPairPem;
  if (existsSync(caCrt) && existsSync(caKey)) {
    ca = { cert: readFileSync(caCrt, 'utf8'), key: readFileSync(caKey, 'utf8') };
  } else {
    ca = await createCa('skiff-ca');
    writeFileSync(caCrt, ca.cert);
    writeSecret(caKey, ca.key);
  }

  const dnsNames = new Set(['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local']);
  const ips = new Set(['127.0.0.1', '::1']);
  if (serviceIP) ips.add(serviceIP);
  for (const h of hosts) {
    if (!h || h === '0.0.0.0' || h === '::') continue;
    if (isIP(h)) ips.add(h);
    else dnsNames.add(h);
  }
  const srvCrt = path.join(dir, 'apiserver.crt');
  const srvKey = path.join(dir, 'apiserver.key');
  if (existsSync(srvCrt) && existsSync(srvKey)) {
    const current = new x509.X509Certificate(readFileSync(srvCrt, 'utf8'));
    const san = current.getExtension(x509.SubjectAlternativeNameExtension);
    const names = new Set((san?.names.toJSON() ?? []).map((n) => n.value));
    const covered = [...dnsNames, ...ips].every((n) => names.has(n));
    const fresh = current.notAfter.getTime() - Date.now() > 30 * 24 * 3600 * 1000;
    if (covered && fresh && current.issuer === new x509.X509Certificate(ca.cert).subject) {
      return { ca, server: { cert: readFileSync(srvCrt, 'utf8'), key: readFileSync(srvKey, 'utf8') } };
    }
  }
  const server = await issueCertificate(ca, { commonName: 'kube-apiserver', dnsNames: [...dnsNames], ips: [...ips], usage: 'server' });
  writeFileSync(srvCrt, server.cert);
  writeSecret(srvKey, server.key);
  return { ca, server };
}
