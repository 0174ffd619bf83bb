#!/usr/bin/env bash
# Verifies a trawl evidence bundle with stock tools only: unzip, openssl, sha256sum, grep.
# Usage: verify-with-stock-tools.sh BUNDLE.zip EMPTY_WORK_DIR [SIGNER_OR_CA_CERT.pem]
# Without a certificate, the one carried in the signature is used: the signatures then prove
# only that someone sealed the bundle, so compare the fingerprint printed in step 1 with the
# examiner's record (paper or case file). `trawl verify` exits 9 in that case.
set -euo pipefail
bundle=$(realpath "$1")
work=$2
cert=${3:+$(realpath "$3")}
mkdir -p "$work"
cd "$work"
unzip -q "$bundle"

# 1. Who signed: the certificate carried in the manifest signature, and its SHA-256 fingerprint.
openssl pkcs7 -inform DER -in manifest.json.p7s -print_certs -out ../signer-carried.pem
openssl x509 -in ../signer-carried.pem -noout -subject -fingerprint -sha256
trust=${cert:-../signer-carried.pem}
[ -n "$cert" ] || echo "signer NOT checked against a trusted certificate: compare the fingerprint above with the examiner's record"

# 2. The detached CMS signatures over the manifest and over the checksum list.
openssl cms -verify -binary -inform DER -in manifest.json.p7s -content manifest.json \
  -CAfile "$trust" -purpose any -out /dev/null 2>/dev/null && echo "manifest.json: signature verified"
openssl cms -verify -binary -inform DER -in SHA256SUMS.p7s -content SHA256SUMS \
  -CAfile "$trust" -purpose any -out /dev/null 2>/dev/null && echo "SHA256SUMS: signature verified"

# 3. Every file against the signed checksum list.
sha256sum --quiet --strict -c SHA256SUMS && echo "all $(wc -l < SHA256SUMS) files OK"

# 4. The run completed (an interrupted run says "complete": false).
grep -q '^  "complete": true,$' manifest.json && echo "manifest.json: collection complete"

# 5. The first custody event ("collected") is signed by the certificate that signed the manifest
#    (so the custody log was not replaced by a chain someone else signed). Its signed bytes are
#    its line without the trailing ,"signature":"..." member.
head -n 1 custody.jsonl > ../custody-1.jsonl
sed -e 's/,"signature":"[^"]*"}$/}/' ../custody-1.jsonl | tr -d '\n' > ../custody-1.signed
sed -e 's/^.*,"signature":"\([^"]*\)"}$/\1/' ../custody-1.jsonl | base64 -d > ../custody-1.p7s
openssl pkcs7 -inform DER -in ../custody-1.p7s -print_certs -out ../custody-1-signer.pem
if openssl cms -verify -binary -inform DER -in ../custody-1.p7s -content ../custody-1.signed \
  -CAfile "$trust" -purpose any -out /dev/null 2>/dev/null &&
  [ "$(openssl x509 -in ../custody-1-signer.pem -noout -fingerprint -sha256)" = "$(openssl x509 -in ../signer-carried.pem -noout -fingerprint -sha256)" ]; then
  echo "custody.jsonl: first event signed by the manifest signer"
else
  echo "custody.jsonl: first event NOT signed by the manifest signer (the custody log was replaced)"
  exit 1
fi
