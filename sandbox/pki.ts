// The sandbox's own certificate authority and the Kubernetes API server's certificate, made with openssl
// (execFile, argument arrays) into DIR/pki at start. Clients trust the CA through the kubeconfig's
// certificate-authority-data, as with a real cluster; nothing else trusts it.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

export interface ServerPki {
  /** PEM of the CA certificate (what a kubeconfig's certificate-authority-data carries, base64). */
  caPem: string;
  caFile: string;
  /** PEM key and certificate of the API server (SAN IP:127.0.0.1, DNS:localhost). */
  keyPem: string;
  certPem: string;
}

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      reject(new Error(missing ? 'sandbox: openssl is not installed (apt-get install openssl): it makes the Kubernetes API server\'s certificate' : `openssl ${args[0]}: ${stderr || err.message}`));
    });
  });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

// Valid from 2000 to 2099: tests run clients under faketime (days or years from now), and a certificate
// "not yet valid" for their clock would fail every TLS handshake. `openssl ca` takes the dates (x509 -req
// in OpenSSL 3.0 does not).
const VALIDITY = ['-startdate', '20000101000000Z', '-enddate', '20991231235959Z'];

const CONFIG = `[ ca ]
default_ca = sandbox_ca
[ sandbox_ca ]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[ policy_any ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_server ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

/** A fresh CA and a server certificate signed by it, in `dir` (created; keys mode 0600). */
export async function createServerPki(dir: string): Promise<ServerPki> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, 'openssl.cnf'), CONFIG);
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'serial'), randomBytes(8).toString('hex').toUpperCase().replace(/^[89A-F]/, '1') + '\n');
  const ca = ['ca', '-batch', '-config', 'openssl.cnf', '-notext', ...VALIDITY];
  await openssl(['req', '-new', ...EC, '-keyout', 'ca.key', '-out', 'ca.csr', '-subj', '/CN=gitops-sandbox-ca'], dir);
  await openssl([...ca, '-selfsign', '-keyfile', 'ca.key', '-in', 'ca.csr', '-out', 'ca.crt', '-extensions', 'v3_ca'], dir);
  await openssl(['req', '-new', ...EC, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver'], dir);
  await openssl([...ca, '-cert', 'ca.crt', '-keyfile', 'ca.key', '-in', 'server.csr', '-out', 'server.crt', '-extensions', 'v3_server'], dir);
  for (const k of ['ca.key', 'server.key']) fs.chmodSync(path.join(dir, k), 0o600);
  const read = (f: string): string => fs.readFileSync(path.join(dir, f), 'utf8');
  return { caPem: read('ca.crt'), caFile: path.join(dir, 'ca.crt'), keyPem: read('server.key'), certPem: read('server.crt') };
}
