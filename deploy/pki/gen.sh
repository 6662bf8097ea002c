#!/usr/bin/env bash
# deploy/pki/gen.sh - certificates for conntrack sync over tls+tcp:// (the
# lab's and the tests'; a real cluster uses its own CA the same way).
#
#   deploy/pki/gen.sh [-n NODES] [--ip-prefix A.B.C.] [--days D] DIR
#
# Writes into DIR (created, mode 700):
#   ca.pem ca.key               the cluster CA
#   nodeK.pem nodeK.key         K = 1..NODES (default 4): CN baton-node-K,
#                               subjectAltName DNS:baton-node-K,
#                               DNS:A.B.C.K, IP:A.B.C.K (the node's sync
#                               address; --ip-prefix, default 10.2.0.),
#                               usable as TLS server and client
#   rogue/ca.pem rogue/ca.key   a second CA nobody trusts
#   rogue/nodeK.pem .key        the same names signed by the rogue CA (an
#                               impostor claiming to be node K)
#
# The address is in the names twice because TLS libraries differ: mbed TLS
# 2.x compares the host it dialled against DNS names only, OpenSSL checks
# IP names. Keys are ECDSA P-256. Needs openssl. Existing files in DIR are
# replaced.
set -euo pipefail

n=4
prefix=10.2.0.
days=3650
usage() {
	sed -n '5p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	-n) [ $# -ge 2 ] || usage; n=$2; shift ;;
	--ip-prefix) [ $# -ge 2 ] || usage; prefix=$2; shift ;;
	--days) [ $# -ge 2 ] || usage; days=$2; shift ;;
	-h | --help) usage ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
[ $# -eq 1 ] || usage
[[ $n =~ ^[1-9][0-9]?$ ]] || { echo "gen.sh: -n: 1..99" >&2; exit 2; }
command -v openssl >/dev/null ||
	{ echo "gen.sh: openssl not installed (deploy/setup.sh)" >&2; exit 1; }
dir=$1
mkdir -p "$dir/rogue"
chmod 700 "$dir"
umask 077

# ca DIR CN: a self-signed CA.
ca() {
	openssl req -x509 -new -nodes -newkey ec \
		-pkeyopt ec_paramgen_curve:prime256v1 -sha256 -days "$days" \
		-subj "/O=Baton/CN=$2" -keyout "$1/ca.key" -out "$1/ca.pem" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# node DIR K: nodeK.pem/.key signed by DIR/ca.
node() {
	local d=$1 k=$2 ext
	ext=$(mktemp)
	cat >"$ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:baton-node-$k,DNS:$prefix$k,IP:$prefix$k
EXT
	openssl req -new -nodes -newkey ec \
		-pkeyopt ec_paramgen_curve:prime256v1 \
		-subj "/O=Baton/CN=baton-node-$k" -keyout "$d/node$k.key" \
		-out "$d/node$k.csr" 2>/dev/null &&
	openssl x509 -req -in "$d/node$k.csr" -CA "$d/ca.pem" \
		-CAkey "$d/ca.key" -CAcreateserial -sha256 -days "$days" \
		-extfile "$ext" -out "$d/node$k.pem" 2>/dev/null
	local rc=$?
	rm -f "$ext" "$d/node$k.csr"
	return $rc
}

ca "$dir" "Baton cluster CA"
ca "$dir/rogue" "Baton cluster CA"	# same name, other key: an impostor
for ((k = 1; k <= n; k++)); do
	node "$dir" "$k"
	node "$dir/rogue" "$k"
done
rm -f "$dir/ca.srl" "$dir/rogue/ca.srl"

# Self-check: every node certificate verifies against its own CA only.
for ((k = 1; k <= n; k++)); do
	openssl verify -CAfile "$dir/ca.pem" "$dir/node$k.pem" >/dev/null
	if openssl verify -CAfile "$dir/ca.pem" "$dir/rogue/node$k.pem" \
		>/dev/null 2>&1; then
		echo "gen.sh: rogue node$k verifies against the CA" >&2
		exit 1
	fi
done
echo "gen.sh: CA, $n node certificates and a rogue CA with $n in $dir"
