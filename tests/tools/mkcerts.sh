#!/bin/sh
# mkcerts.sh DIR - make a throw-away test CA and a server certificate for the
# local HTTPS endpoint used by pintail's integration tests and demo.
#
# Writes into DIR:
#   ca.pem, ca.key          the test CA (EC prime256v1, 10 years)
#   server.pem, server.key  a server certificate signed by the CA, valid for
#                           127.0.0.1, ::1 and localhost (subjectAltName)
#
# Idempotent: when the four files exist, the server certificate verifies
# against the CA and is valid for at least another day, nothing is done.
# Otherwise all four are made afresh (in a temporary folder inside DIR, then
# moved into place, so a concurrent reader never sees a half-made set).
# Quiet on success; on failure openssl's messages go to stderr and the exit
# status is 1.
set -eu

usage() {
	cat <<'EOF'
usage: mkcerts.sh DIR

Make a test CA (ca.pem, ca.key) and a server certificate for 127.0.0.1, ::1
and localhost signed by it (server.pem, server.key) in DIR (created if
needed). Does nothing if a valid set is already there.
EOF
}

case "${1:-}" in
-h | --help) usage; exit 0 ;;
"" | -*) usage >&2; exit 1 ;;
esac
[ $# -eq 1 ] || { usage >&2; exit 1; }
dir=$1

# Already done? (A missing file, a broken chain or an expiring certificate
# makes us start over.)
if [ -s "$dir/ca.pem" ] && [ -s "$dir/ca.key" ] && [ -s "$dir/server.pem" ] &&
	[ -s "$dir/server.key" ] &&
	openssl verify -CAfile "$dir/ca.pem" "$dir/server.pem" >/dev/null 2>&1 &&
	openssl x509 -checkend 86400 -noout -in "$dir/server.pem" >/dev/null 2>&1; then
	exit 0
fi

mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.mkcerts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
umask 077 # private keys are made 0600

# Extensions that strict verifiers (Python 3.13's VERIFY_X509_STRICT, curl
# with OpenSSL 3) insist on: key identifiers, a critical basicConstraints and
# keyUsage on the CA, serverAuth and the SANs on the leaf.
cat >"$tmp/ca.ext" <<'EOF'
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
cat >"$tmp/server.ext" <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF

ossl() { # run openssl, showing its chatter only if it fails
	if ! out=$(openssl "$@" 2>&1); then
		printf 'mkcerts.sh: openssl %s failed:\n%s\n' "$1" "$out" >&2
		exit 1
	fi
}

ossl ecparam -name prime256v1 -genkey -noout -out "$tmp/ca.key"
ossl req -new -key "$tmp/ca.key" -subj "/CN=pintail test CA" -out "$tmp/ca.csr"
ossl x509 -req -in "$tmp/ca.csr" -signkey "$tmp/ca.key" -days 3650 \
	-sha256 -extfile "$tmp/ca.ext" -out "$tmp/ca.pem"

ossl ecparam -name prime256v1 -genkey -noout -out "$tmp/server.key"
ossl req -new -key "$tmp/server.key" -subj "/CN=localhost" -out "$tmp/server.csr"
ossl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
	-set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
	-days 825 -sha256 -extfile "$tmp/server.ext" -out "$tmp/server.pem"

chmod 0644 "$tmp/ca.pem" "$tmp/server.pem"
for f in ca.key ca.pem server.key server.pem; do
	mv -f "$tmp/$f" "$dir/$f"
done
