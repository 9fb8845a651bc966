#!/usr/bin/env bash
# Installs code-server (a real VS Code workbench + Node extension host) into .tools/code-server,
# for the e2e tests and `npm start`. Idempotent: does nothing when the right version is there.
# Needs Debian's libkrb5-dev (native build of kerberos) and ripgrep; installs them when root.
set -euo pipefail

VERSION="${CODE_SERVER_VERSION:-4.100.3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.tools/code-server"
BIN="$DEST/node_modules/code-server/out/node/entry.js"
PKG="$DEST/node_modules/code-server/package.json"

if [[ -f "$BIN" && -f "$PKG" ]] && [[ "$(node -p "require('$PKG').version")" == "$VERSION" ]] \
  && [[ -f "$DEST/.complete-$VERSION" ]]; then
  echo "code-server $VERSION already installed in $DEST"
  exit 0
fi

missing=()
command -v rg >/dev/null || missing+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
command -v git >/dev/null || missing+=(git)
if ((${#missing[@]})); then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "error: code-server needs these Debian packages: ${missing[*]} (apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

started=$SECONDS
echo "installing code-server $VERSION into $DEST (about a minute)…"
rm -rf "$DEST"
mkdir -p "$DEST"

# @vscode/ripgrep downloads rg from GitHub, which is not reachable here: pre-fill its download
# cache with Debian's rg. Its cache lives in os.tmpdir(), so use a private TMPDIR.
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
export TMPDIR="$TMP"
for rgver in 1.15.11 1.15.9 1.15.10 1.15.12 1.15.13 1.15.14; do
  cache="$TMP/vscode-ripgrep-cache-$rgver"
  mkdir -p "$cache/stage"
  cp "$(command -v rg)" "$cache/stage/rg"
  for asset in ripgrep-v13.0.0-10-x86_64-unknown-linux-musl ripgrep-v13.0.0-13-x86_64-unknown-linux-musl; do
    tar -czf "$cache/$asset.tar.gz" -C "$cache/stage" rg
  done
  rm -rf "$cache/stage"
done

cat > "$DEST/package.json" <<JSON
{ "name": "gitops-deploy-tools-code-server", "private": true, "version": "0.0.0" }
JSON

export npm_config_unsafe_perm=true npm_config_yes=true npm_config_fund=false npm_config_audit=false \
  npm_config_update_notifier=false
(cd "$DEST" && npm install --no-save --no-package-lock --loglevel=error "code-server@$VERSION")

test -f "$BIN" || { echo "error: code-server did not install ($BIN missing)" >&2; exit 1; }
test -f "$DEST/node_modules/code-server/lib/vscode/out/server-main.js" \
  || { echo "error: code-server's VS Code server is missing" >&2; exit 1; }
touch "$DEST/.complete-$VERSION"
echo "code-server $VERSION installed in $((SECONDS - started)) s"
