// The sandbox's own certificate authority and the Kubernetes API server's certificate, made with openssl
// (execFile, argument arrays) into DIR/pki at start. Clients trust the CA through the kubeconfig's
// certificate-authority-data, as with a real cluster; nothing else trusts it.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

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

/** A fresh CA and a server certificate signed by it, in `dir` (created; keys mode 0600). */
export async function createServerPki(dir: string): Promise<ServerPki> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  await openssl(['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=gitops-sandbox-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  await openssl(['req', ...EC, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver'], dir);
  fs.writeFileSync(path.join(dir, 'server.ext'), [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc',
  ].join('\n') + '\n');
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '30', '-extfile', 'server.ext'], dir);
  for (const k of ['ca.key', 'server.key']) fs.chmodSync(path.join(dir, k), 0o600);
  const read = (f: string): string => fs.readFileSync(path.join(dir, f), 'utf8');
  return { caPem: read('ca.crt'), caFile: path.join(dir, 'ca.crt'), keyPem: read('server.key'), certPem: read('server.crt') };
}
