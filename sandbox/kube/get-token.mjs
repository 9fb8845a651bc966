#!/usr/bin/env node
// The sandbox's exec credential plugin, the stand-in of `aws eks get-token` / `kubelogin get-token`:
// prints an ExecCredential with a short-lived bearer token and its expirationTimestamp. Like kubelogin
// it exchanges a credential the user holds (DIR/kube-auth/credentials, as ~/.aws/credentials) at the
// sandbox's token service (POST /sandbox/token on the API server's HTTPS port, trusting --ca-file), so
// the token's times come from the server's clock, not from this process's (which a test may fake).
// Plain JavaScript so that any client (kubectl, client-node) runs it with node.
//
//   node get-token.mjs get-token --cluster-name sandbox --user sandbox-user --server https://127.0.0.1:PORT --ca-file DIR/pki/ca.crt --state DIR/kube-auth [--ttl-seconds 900] [--api-version V]
//
// While DIR/kube-auth/plugin-fails exists, the plugin fails as the AWS CLI does with expired credentials.
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const die = (code, message) => {
  process.stderr.write(message + '\n');
  process.exit(code);
};
if (args[0] !== 'get-token') die(2, 'usage: get-token.mjs get-token --cluster-name NAME --user USER --server URL --ca-file FILE --state DIR [--ttl-seconds N] [--api-version V]');
const state = opt('state');
const server = opt('server');
const caFile = opt('ca-file');
if (!state || !server || !caFile) die(2, 'get-token: --state, --server and --ca-file are required');
const failFile = join(state, 'plugin-fails');
if (existsSync(failFile)) die(254, `\n${readFileSync(failFile, 'utf8').trim() || 'An error occurred (ExpiredToken) when calling the GetCallerIdentity operation: The security token included in the request is expired'}`);
let credential;
let ca;
try {
  credential = readFileSync(join(state, 'credentials'), 'utf8').trim();
  ca = readFileSync(caFile, 'utf8');
} catch (e) {
  die(253, `get-token: cannot read the credentials: ${e.message}`);
}
const body = JSON.stringify({ user: opt('user', 'sandbox-user'), cluster: opt('cluster-name', 'sandbox'), ttlSeconds: Number(opt('ttl-seconds', '900')) || 900 });
const answer = await new Promise((resolve) => {
  const req = request(new URL('/sandbox/token', server), { method: 'POST', ca, headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: 20_000 }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
  });
  req.on('timeout', () => req.destroy(new Error('timed out')));
  req.on('error', (e) => die(255, `get-token: the token service at ${server} did not answer: ${e.message}`));
  req.end(body);
});
if (answer.status !== 200) die(254, `get-token: the token service refused (HTTP ${answer.status}): ${answer.text.trim()}`);
const issued = JSON.parse(answer.text);
// Answer in the apiVersion the client asked for (KUBERNETES_EXEC_INFO), as real plugins do.
let apiVersion = opt('api-version', 'client.authentication.k8s.io/v1beta1');
try {
  const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO ?? '');
  if (typeof info?.apiVersion === 'string') apiVersion = info.apiVersion;
} catch {
  // not given: the --api-version default
}
process.stdout.write(JSON.stringify({ kind: 'ExecCredential', apiVersion, spec: {}, status: { expirationTimestamp: issued.expirationTimestamp, token: issued.token } }) + '\n');
