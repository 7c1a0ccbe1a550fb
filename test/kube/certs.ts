import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';

/**
 * A throwaway PKI for the test API server: one CA, a server certificate for 127.0.0.1/localhost, one whose
 * only name is kubernetes.default.svc (for hostname-mismatch and tls-server-name tests), and a client
 * certificate for certificate auth. Keys come from node:crypto (fast, native); node-forge only builds and signs
 * the X.509 structures, so no openssl binary is needed. Generating it is ~1.5 s of CPU (forge signs in
 * JavaScript), and two dozen test files start an API server: so it is kept in a file of the system temp
 * directory (PKI_FILE, mode 0600 in a 0700 directory) and made again when older than PKI_MAX_AGE_MS
 * (the certificates are valid for a day), or when the file is missing or unreadable. Test files that
 * start at once may each make one; each process keeps the one it read or made.
 */
export interface TestPki {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly wrongHostCert: string;
  readonly wrongHostKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** CN of the client certificate (the user name the server sees). */
  readonly clientName: string;
}

let cached: TestPki | undefined;

function keyPair(): { privatePem: string; publicKey: forge.pki.PublicKey; privateKey: forge.pki.rsa.PrivateKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    privatePem: privateKey,
    publicKey: forge.pki.publicKeyFromPem(publicKey),
    privateKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey,
  };
}

let serial = 1;

function makeCert(opts: {
  subjectCn: string;
  org?: string;
  publicKey: forge.pki.PublicKey;
  signKey: forge.pki.rsa.PrivateKey;
  issuer?: forge.pki.Certificate;
  ca?: boolean;
  altNames?: { type: number; value?: string; ip?: string }[];
  client?: boolean;
}): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = opts.publicKey;
  cert.serialNumber = (serial++).toString(16).padStart(2, '0');
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now.getTime() + 24 * 60 * 60 * 1000);
  const attrs = [{ name: 'commonName', value: opts.subjectCn }, ...(opts.org ? [{ name: 'organizationName', value: opts.org }] : [])];
  cert.setSubject(attrs);
  cert.setIssuer(opts.issuer ? opts.issuer.subject.attributes : attrs);
  const ext: object[] = [];
  if (opts.ca) {
    ext.push({ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true });
  } else {
    ext.push(
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      opts.client ? { name: 'extKeyUsage', clientAuth: true } : { name: 'extKeyUsage', serverAuth: true },
    );
  }
  if (opts.altNames) ext.push({ name: 'subjectAltName', altNames: opts.altNames });
  cert.setExtensions(ext);
  cert.sign(opts.signKey, forge.md.sha256.create());
  return cert;
}

const PKI_DIR = join(tmpdir(), `cfmesh-test-pki-${userInfo().uid}`);
const PKI_FILE = join(PKI_DIR, 'pki-v1.json');
const PKI_MAX_AGE_MS = 6 * 60 * 60 * 1000;

export function testPki(): TestPki {
  if (cached) return cached;
  try {
    const stored = JSON.parse(readFileSync(PKI_FILE, 'utf8')) as { made: number; pki: TestPki };
    if (Date.now() - stored.made < PKI_MAX_AGE_MS && typeof stored.pki?.caCert === 'string') return (cached = stored.pki);
  } catch {
    // none yet, or unreadable: make one
  }
  const made = makePki();
  try {
    mkdirSync(PKI_DIR, { recursive: true, mode: 0o700 });
    const temp = `${PKI_FILE}.${process.pid}`;
    writeFileSync(temp, JSON.stringify({ made: Date.now(), pki: made }), { mode: 0o600 });
    renameSync(temp, PKI_FILE);
  } catch {
    // only costs the next process the time to make its own
  }
  return (cached = made);
}

function makePki(): TestPki {
  const ca = keyPair();
  const caCert = makeCert({ subjectCn: 'cfmesh-test-ca', publicKey: ca.publicKey, signKey: ca.privateKey, ca: true });
  const server = keyPair();
  const serverCert = makeCert({
    subjectCn: 'kube-apiserver',
    publicKey: server.publicKey,
    signKey: ca.privateKey,
    issuer: caCert,
    altNames: [
      { type: 2, value: 'localhost' },
      { type: 7, ip: '127.0.0.1' },
    ],
  });
  const wrong = keyPair();
  const wrongCert = makeCert({
    subjectCn: 'kubernetes.default.svc',
    publicKey: wrong.publicKey,
    signKey: ca.privateKey,
    issuer: caCert,
    altNames: [{ type: 2, value: 'kubernetes.default.svc' }],
  });
  const client = keyPair();
  const clientCert = makeCert({
    subjectCn: 'cfmesh-tester',
    org: 'system:masters',
    publicKey: client.publicKey,
    signKey: ca.privateKey,
    issuer: caCert,
    client: true,
  });
  return {
    caCert: forge.pki.certificateToPem(caCert),
    serverCert: forge.pki.certificateToPem(serverCert),
    serverKey: server.privatePem,
    wrongHostCert: forge.pki.certificateToPem(wrongCert),
    wrongHostKey: wrong.privatePem,
    clientCert: forge.pki.certificateToPem(clientCert),
    clientKey: client.privatePem,
    clientName: 'cfmesh-tester',
  };
}
