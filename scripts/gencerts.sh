#!/usr/bin/env bash
# Makes a CA and a serving certificate for the webhook with openssl, for
# users who bring their own TLS Secret instead of letting the webhook manage
# its certificates. (When TLS_CERT_FILE/TLS_KEY_FILE are set, the webhook
# uses those files and manages nothing, the caBundle included: this script
# prints the commands that do both.)
#
# Usage: scripts/gencerts.sh [--service NAME] [--namespace NS] [--secret NAME]
#          [--webhook-configuration NAME] [--webhooks N] [--days N] [--ca-days N]
#          [--out DIR] [--force]
#
# Writes DIR/ca.crt, DIR/ca.key, DIR/tls.crt, DIR/tls.key (keys mode 0600):
# EC P-256, the serving certificate with DNS SANs <svc>.<ns>.svc and
# <svc>.<ns>.svc.cluster.local (the API server checks the first against a
# DNS SAN), serverAuth, signed by the CA.
set -euo pipefail

service=image-cloner
namespace=image-cloner
secret=image-cloner-tls
configuration=image-cloner
webhooks=1
days=365
ca_days=3650
out=certs
force=no

usage() { sed -n '8,10p' "$0" | sed 's/^# \{0,1\}//'; exit "$1"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --service) service=${2:?}; shift 2 ;;
    --namespace) namespace=${2:?}; shift 2 ;;
    --secret) secret=${2:?}; shift 2 ;;
    --webhook-configuration) configuration=${2:?}; shift 2 ;;
    --webhooks) webhooks=${2:?}; shift 2 ;;
    --days) days=${2:?}; shift 2 ;;
    --ca-days) ca_days=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --force) force=yes; shift ;;
    -h|--help) usage 0 ;;
    *) echo "gencerts: unknown argument: $1" >&2; usage 2 >&2 ;;
  esac
done

# RFC 1123 labels: the names end up in a certificate and in shell commands.
label='^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
for value in "$service" "$namespace" "$secret" "$configuration"; do
  if ! [[ "$value" =~ $label ]] || [ ${#value} -gt 63 ]; then
    echo "gencerts: not a valid Kubernetes name: $value" >&2
    exit 2
  fi
done
for value in "$webhooks" "$days" "$ca_days"; do
  if ! [[ "$value" =~ ^[1-9][0-9]{0,4}$ ]]; then
    echo "gencerts: not a positive number: $value" >&2
    exit 2
  fi
done
if [ "$days" -gt "$ca_days" ]; then
  echo "gencerts: --days ($days) must not exceed --ca-days ($ca_days)" >&2
  exit 2
fi
command -v openssl >/dev/null || { echo "gencerts: openssl is not installed" >&2; exit 1; }

mkdir -p "$out"
for file in ca.crt ca.key tls.crt tls.key; do
  if [ -e "$out/$file" ] && [ "$force" != yes ]; then
    echo "gencerts: $out/$file exists (use --force to replace it)" >&2
    exit 1
  fi
done

umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dns="$service.$namespace.svc"

# Our own config, so the system openssl.cnf's defaults do not leak in.
cat >"$work/openssl.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
[ca_ext]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:$dns,DNS:$dns.cluster.local
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

serial() { echo "0x$(openssl rand -hex 16 | sed 's/^./1/')"; }

openssl req -x509 -config "$work/openssl.cnf" -extensions ca_ext \
  -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$work/ca.key" -out "$work/ca.crt" \
  -subj "/CN=image-cloner webhook CA" -days "$ca_days" -set_serial "$(serial)" 2>/dev/null
openssl req -new -config "$work/openssl.cnf" \
  -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$work/tls.key" -out "$work/tls.csr" -subj "/CN=$dns" 2>/dev/null
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
  -set_serial "$(serial)" -days "$days" -sha256 \
  -extfile "$work/openssl.cnf" -extensions server_ext -out "$work/tls.crt" 2>/dev/null
openssl verify -CAfile "$work/ca.crt" "$work/tls.crt" >/dev/null

for file in ca.crt ca.key tls.crt tls.key; do mv -f "$work/$file" "$out/$file"; done
chmod 0644 "$out/ca.crt" "$out/tls.crt"
chmod 0600 "$out/ca.key" "$out/tls.key"

ca_bundle=$(base64 <"$out/ca.crt" | tr -d '\n')
ops=""
for ((i = 0; i < webhooks; i++)); do
  ops+="${ops:+,}{\"op\":\"add\",\"path\":\"/webhooks/$i/clientConfig/caBundle\",\"value\":\"$ca_bundle\"}"
done

cat <<EOF
Wrote $out/ca.crt, $out/ca.key, $out/tls.crt, $out/tls.key (serving names: $dns, $dns.cluster.local; $days days).
Keep $out/ca.key private; it is not needed in the cluster.

# 1. The Secret the webhook mounts (TLS_CERT_FILE=<mount>/tls.crt, TLS_KEY_FILE=<mount>/tls.key):
kubectl -n $namespace create secret tls $secret --cert=$out/tls.crt --key=$out/tls.key

# 2. Tell the API server to trust the CA (one op per webhook in the configuration):
kubectl patch mutatingwebhookconfiguration $configuration --type=json -p '[$ops]'
EOF
