#!/usr/bin/env bash
# Makes a throwaway test PKI with the openssl CLI (never checked in):
#   make_test_pki.sh DIR
# DIR/ca.pem             root CA (what clients trust)
# DIR/chain.pem          server certificate for localhost + 127.0.0.1, then the intermediate
# DIR/key.pem            its key (PKCS#8)
# DIR/key-encrypted.pem  the same key, encrypted PKCS#8 (AES-256-CBC), passphrase "test-passphrase"
# DIR/self-signed.pem    a self-signed server certificate (+ self-signed-key.pem), for the
#                        insecure opt-in
# DIR/other-ca.pem       an unrelated CA (a client trusting only it must refuse the relay)
set -euo pipefail
dir="$1"
mkdir -p "$dir"
cd "$dir"
q() { "$@" >/dev/null 2>&1 || { echo "make_test_pki: failed: $*" >&2; exit 1; }; }
cat >ext.cnf <<'CNF'
[ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
CNF
key() { q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
key ca-key.pem
q openssl req -x509 -new -key ca-key.pem -subj "/CN=remotedev test root" -days 2 \
  -extensions ca -config <(cat /dev/null; printf '[req]\ndistinguished_name=dn\n[dn]\n'; cat ext.cnf) -out ca.pem
key int-key.pem
q openssl req -new -key int-key.pem -subj "/CN=remotedev test intermediate" -out int.csr
q openssl x509 -req -in int.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
  -extfile ext.cnf -extensions ca -out int.pem
key key.pem
q openssl req -new -key key.pem -subj "/CN=localhost" -out leaf.csr
q openssl x509 -req -in leaf.csr -CA int.pem -CAkey int-key.pem -CAcreateserial -days 2 \
  -extfile ext.cnf -extensions leaf -out leaf.pem
cat leaf.pem int.pem >chain.pem
q openssl pkcs8 -topk8 -v2 aes-256-cbc -in key.pem -out key-encrypted.pem -passout pass:test-passphrase
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self-signed-key.pem \
  -out self-signed.pem -days 2 -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1"
key other-key.pem
q openssl req -x509 -new -key other-key.pem -subj "/CN=remotedev other root" -days 2 \
  -extensions ca -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n'; cat ext.cnf) -out other-ca.pem
rm -f ./*.csr ./*.srl ext.cnf
