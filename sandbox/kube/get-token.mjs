#!/usr/bin/env node
// The sandbox's exec credential plugin, the stand-in of `aws eks get-token`: prints an ExecCredential
// with a short-lived bearer token and its expirationTimestamp. Like the AWS CLI it signs locally with
// credentials the user holds (here DIR/kube-auth/signing.key); the sandbox's API server checks the
// signature and the expiry. Plain JavaScript so that any client (kubectl, client-node) runs it with node.
//
//   node get-token.mjs get-token --cluster-name sandbox --user sandbox-user --state DIR/kube-auth [--ttl-seconds 900] [--api-version V]
//
// Token: "k8s-sandbox-v1." + base64url(JSON {sub, cluster, iat, exp, jti}) + "." + base64url(HMAC-SHA256(key, that JSON part)).
// While DIR/kube-auth/plugin-fails exists, the plugin fails as the AWS CLI does with expired credentials.
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
if (args[0] !== 'get-token') {
  process.stderr.write('usage: get-token.mjs get-token --cluster-name NAME --user USER --state DIR [--ttl-seconds N] [--api-version V]\n');
  process.exit(2);
}
const state = opt('state');
if (!state) {
  process.stderr.write('get-token: --state DIR is required\n');
  process.exit(2);
}
const failFile = join(state, 'plugin-fails');
if (existsSync(failFile)) {
  const why = readFileSync(failFile, 'utf8').trim();
  process.stderr.write(`\n${why || 'An error occurred (ExpiredToken) when calling the GetCallerIdentity operation: The security token included in the request is expired'}\n`);
  process.exit(254);
}
let key;
try {
  key = readFileSync(join(state, 'signing.key'));
} catch (e) {
  process.stderr.write(`get-token: cannot read the credentials in ${state}: ${e.message}\n`);
  process.exit(253);
}
const ttl = Math.max(1, Number(opt('ttl-seconds', '900')) || 900);
// iat in fractional seconds: a token issued right after the sandbox revoked older ones is told apart from them.
const nowMs = Date.now();
const claims = { sub: opt('user', 'sandbox-user'), cluster: opt('cluster-name', 'sandbox'), iat: nowMs / 1000, exp: Math.floor(nowMs / 1000) + ttl, jti: randomBytes(8).toString('hex') };
const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
const sig = createHmac('sha256', key).update(body).digest('base64url');
// Answer in the apiVersion the client asked for (KUBERNETES_EXEC_INFO), as real plugins do.
let apiVersion = opt('api-version', 'client.authentication.k8s.io/v1beta1');
try {
  const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO ?? '');
  if (typeof info?.apiVersion === 'string') apiVersion = info.apiVersion;
} catch {
  // not given: the --api-version default
}
process.stdout.write(JSON.stringify({
  kind: 'ExecCredential',
  apiVersion,
  spec: {},
  status: { expirationTimestamp: new Date(claims.exp * 1000).toISOString(), token: `k8s-sandbox-v1.${body}.${sig}` },
}) + '\n');
