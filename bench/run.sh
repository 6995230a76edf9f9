#!/usr/bin/env bash
# Server benchmark: replays one pre-signed STS GetCallerIdentity request with wrk
# against Bulwark and, in the same run on the same machine, against two references:
# nginx returning a static 200 (the machine's practical HTTP ceiling) and moto's server.
# Prints requests/s, p99 latency and each ratio, plus Bulwark's idle RSS and start time.
# Then the cost of authorization over HTTP: IAM GetUser signed by the root user (allowed
# without evaluating policies) against the same call by an IAM user whose 10 attached
# policies of 10 statements each (wildcards and conditions) must be evaluated. Then KMS:
# Encrypt, Decrypt, GenerateDataKey and Sign (RSA_2048, ECC_NIST_P256), each authorized
# by its key policy, against moto's server answering the same calls; then Secrets
# Manager's GetSecretValue and Parameter Store's GetParameter(WithDecryption). Last, the
# cost of auditing: STS GetCallerIdentity, KMS Encrypt and KMS CreateKey (a mutation,
# whose record is made durable before the response) against a second server started
# with --audit off.
#
# Usage: bench/run.sh [seconds] [connections]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
conns=${2:-64}
bin=${BULWARK_BIN:-$root/build/bulwark}
py=${BENCH_PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { "$py" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_http() {  # url
  for _ in $(seq 1 200); do
    curl -s -o /dev/null "$1" 2>/dev/null && return 0
    "$py" -c "import urllib.request,sys
try: urllib.request.urlopen('$1',timeout=1)
except urllib.error.HTTPError: sys.exit(0)
except Exception: sys.exit(1)" && return 0
    sleep 0.05
  done
  return 1
}

# --- Bulwark ---------------------------------------------------------------------
bport=$(free_port)
t0=$(date +%s%N)
"$bin" serve --listen "127.0.0.1:$bport" --data-dir "$work/data" >"$work/bulwark.out" 2>&1 &
pids+=($!)
bpid=$!
wait_http "http://127.0.0.1:$bport/_bulwark/health"
t1=$(date +%s%N)
ready_line=$(grep -o "ready in [0-9.]* ms" "$work/bulwark.out" || true)
sleep 0.5
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$bpid/status)

# --- nginx ---------------------------------------------------------------------
nport=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$nport;
    location / { return 200 "ok\n"; }
  }
}
NGINX
have_nginx=0
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  ngx=$(command -v nginx || echo /usr/sbin/nginx)
  "$ngx" -c "$work/nginx/nginx.conf" -g "daemon off;" >/dev/null 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$nport/" && have_nginx=1
fi

# --- moto ------------------------------------------------------------------------
mport=$(free_port)
have_moto=0
moto_py=${MOTO_PYTHON:-python3}
if "$moto_py" -c "import moto.server" 2>/dev/null; then
  "$moto_py" -m moto.server -H 127.0.0.1 -p "$mport" >"$work/moto.out" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$mport/" && have_moto=1
fi

# --- the signed request, as a wrk script -----------------------------------------
make_script() {  # port access_key secret out [service body [json-target]]
  "$py" - "$1" "$2" "$3" "$4" "${5:-sts}" "${6:-Action=GetCallerIdentity&Version=2011-06-15}" \
    "${7:-}" <<'PY'
import sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
port, ak, sk, out, service, body, target = sys.argv[1:8]
headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
if target:  # awsJson 1.1 (KMS)
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}
req = AWSRequest(method="POST", url=f"http://127.0.0.1:{port}/", data=body, headers=headers)
SigV4Auth(Credentials(ak, sk), service, "us-east-1").add_auth(req)
def lua(s): return s.replace("\\", "\\\\").replace('"', '\\"')
with open(out, "w") as f:
    f.write('wrk.method = "POST"\n')
    f.write(f'wrk.body = "{lua(body)}"\n')
    for k, v in req.headers.items():
        if k.lower() == "host":
            continue
        f.write(f'wrk.headers["{lua(k)}"] = "{lua(v)}"\n')
PY
}
ak=$(awk -F' = ' '/aws_access_key_id/ {print $2}' "$work/data/credentials")
sk=$(awk -F' = ' '/aws_secret_access_key/ {print $2}' "$work/data/credentials")
make_script "$bport" "$ak" "$sk" "$work/bulwark.lua"
make_script "$mport" "AKIDEXAMPLE" "secret" "$work/moto.lua"

# Sanity: the signed request really succeeds against Bulwark.
"$py" - "$bport" "$work/bulwark.lua" <<'PY'
import re, sys, http.client
port, script = sys.argv[1], open(sys.argv[2]).read()
headers = dict(re.findall(r'wrk.headers\["(.*?)"\] = "(.*?)"', script))
body = re.search(r'wrk.body = "(.*?)"', script).group(1)
c = http.client.HTTPConnection("127.0.0.1", int(port)); c.request("POST", "/", body, headers)
r = c.getresponse(); data = r.read()
assert r.status == 200 and b"GetCallerIdentityResult" in data, (r.status, data)
PY

run_wrk() {  # name url script
  local out="$work/$1.wrk"
  if [ -n "$3" ]; then
    wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$3" "$2" >"$out" 2>&1
  else
    wrk -t2 -c"$conns" -d"${secs}s" --latency "$2" >"$out" 2>&1
  fi
  local rps p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$out")
  p99=$(awk '$1=="99%" {print $2}' "$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$out")
  echo "$1 ${rps:-0} ${p99:-?} ${non2xx:-0}"
}

echo "GetCallerIdentity, wrk -t2 -c$conns -d${secs}s, $(nproc) cores"
results=()
results+=("$(run_wrk bulwark "http://127.0.0.1:$bport/" "$work/bulwark.lua")")
[ $have_nginx = 1 ] && results+=("$(run_wrk nginx "http://127.0.0.1:$nport/" "")")
[ $have_moto = 1 ] && results+=("$(run_wrk moto "http://127.0.0.1:$mport/" "$work/moto.lua")")

printf "%-10s %12s %10s %8s\n" target "requests/s" "p99" "non-2xx"
for r in "${results[@]}"; do
  # shellcheck disable=SC2086
  printf "%-10s %12s %10s %8s\n" $r
done
brps=$(echo "${results[0]}" | awk '{print $2}')
for r in "${results[@]:1}"; do
  name=$(echo "$r" | awk '{print $1}'); rps=$(echo "$r" | awk '{print $2}')
  awk -v b="$brps" -v o="$rps" -v n="$name" 'BEGIN { if (o > 0) printf "bulwark / %s = %.2fx\n", n, b / o }'
done
# --- authorization cost: IAM GetUser as root and as a user with 10 policies ----------
user_keys=$("$py" - "$bport" "$ak" "$sk" <<'PY'
import json, sys
import boto3
port, ak, sk = sys.argv[1:4]
iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                   aws_access_key_id=ak, aws_secret_access_key=sk)
account = boto3.client("sts", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                       aws_access_key_id=ak, aws_secret_access_key=sk).get_caller_identity()["Account"]
iam.create_user(UserName="bench")
for p in range(10):
    statements = []
    for s in range(10):
        action = "iam:Get*" if (p, s) == (9, 9) else f"kms:Describe{p * 10 + s}*"
        statements.append({"Effect": "Allow", "Action": [action, "secretsmanager:List*"],
                           "Resource": "arn:aws:*:*:*:*",
                           "Condition": {"IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "10.0.0.0/8"]},
                                         "StringLike": {"aws:UserAgent": "*"}}})
    doc = json.dumps({"Version": "2012-10-17", "Statement": statements})
    iam.create_policy(PolicyName=f"p{p}", PolicyDocument=doc)
    iam.attach_user_policy(UserName="bench", PolicyArn=f"arn:aws:iam::{account}:policy/p{p}")
key = iam.create_access_key(UserName="bench")["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])
PY
)
get_user="Action=GetUser&Version=2010-05-08&UserName=bench"
make_script "$bport" "$ak" "$sk" "$work/iam-root.lua" iam "$get_user"
# shellcheck disable=SC2086
make_script "$bport" $user_keys "$work/iam-user.lua" iam "$get_user"
authz=()
authz+=("$(run_wrk iam-root "http://127.0.0.1:$bport/" "$work/iam-root.lua")")
authz+=("$(run_wrk iam-user "http://127.0.0.1:$bport/" "$work/iam-user.lua")")
echo
echo "IAM GetUser: root (no policy evaluation) vs a user with 10 policies x 10 statements"
printf "%-10s %12s %10s %8s\n" target "requests/s" "p99" "non-2xx"
for r in "${authz[@]}"; do
  # shellcheck disable=SC2086
  printf "%-10s %12s %10s %8s\n" $r
done
root_rps=$(echo "${authz[0]}" | awk '{print $2}')
user_rps=$(echo "${authz[1]}" | awk '{print $2}')
awk -v r="$root_rps" -v u="$user_rps" 'BEGIN { if (r > 0) printf "user / root = %.2fx\n", u / r }'

# --- KMS: symmetric operations and signatures, against moto ------------------------
# One key of each kind on each server, and a ciphertext of each server's symmetric key.
kms_setup() {  # port access_key secret -> "symmetric rsa ecc ciphertext-base64"
  "$py" - "$1" "$2" "$3" <<'PY'
import base64, sys
import boto3
port, ak, sk = sys.argv[1:4]
kms = boto3.client("kms", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                   aws_access_key_id=ak, aws_secret_access_key=sk)
sym = kms.create_key()["KeyMetadata"]["KeyId"]
rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
ecc = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
blob = kms.encrypt(KeyId=sym, Plaintext=b"hello, world")["CiphertextBlob"]
print(sym, rsa, ecc, base64.b64encode(blob).decode())
PY
}
kms_scripts() {  # prefix port access_key secret
  local keys sym rsa ecc blob
  keys=$(kms_setup "$2" "$3" "$4")
  read -r sym rsa ecc blob <<<"$keys"
  make_script "$2" "$3" "$4" "$work/$1-encrypt.lua" kms \
    "{\"KeyId\":\"$sym\",\"Plaintext\":\"aGVsbG8sIHdvcmxk\"}" TrentService.Encrypt
  make_script "$2" "$3" "$4" "$work/$1-decrypt.lua" kms \
    "{\"CiphertextBlob\":\"$blob\"}" TrentService.Decrypt
  make_script "$2" "$3" "$4" "$work/$1-datakey.lua" kms \
    "{\"KeyId\":\"$sym\",\"KeySpec\":\"AES_256\"}" TrentService.GenerateDataKey
  make_script "$2" "$3" "$4" "$work/$1-sign-rsa.lua" kms \
    "{\"KeyId\":\"$rsa\",\"Message\":\"aGVsbG8sIHdvcmxk\",\"SigningAlgorithm\":\"RSASSA_PSS_SHA_256\"}" \
    TrentService.Sign
  make_script "$2" "$3" "$4" "$work/$1-sign-ecc.lua" kms \
    "{\"KeyId\":\"$ecc\",\"Message\":\"aGVsbG8sIHdvcmxk\",\"SigningAlgorithm\":\"ECDSA_SHA_256\"}" \
    TrentService.Sign
}
kms_scripts bulwark "$bport" "$ak" "$sk"
[ $have_moto = 1 ] && kms_scripts moto "$mport" AKIDEXAMPLE secret
echo
echo "KMS (key policy authorization; nginx static 200 for scale: ${results[1]:-n/a})"
printf "%-20s %12s %10s %8s %12s %8s\n" operation "bulwark r/s" "p99" "non-2xx" "moto r/s" "ratio"
for op in encrypt decrypt datakey sign-rsa sign-ecc; do
  b=$(run_wrk "kms-$op" "http://127.0.0.1:$bport/" "$work/bulwark-$op.lua")
  m="- 0 - 0"
  [ $have_moto = 1 ] && m=$(run_wrk "moto-$op" "http://127.0.0.1:$mport/" "$work/moto-$op.lua")
  read -r _ brps bp99 bnon <<<"$b"
  read -r _ mrps _ _ <<<"$m"
  ratio=$(awk -v b="$brps" -v m="$mrps" 'BEGIN { if (m > 0) printf "%.0fx", b / m; else print "-" }')
  printf "%-20s %12s %10s %8s %12s %8s\n" "$op" "$brps" "$bp99" "$bnon" "$mrps" "$ratio"
done

# --- Secrets Manager GetSecretValue and Parameter Store GetParameter(WithDecryption) --
# A secret and a SecureString on each server (both under their AWS managed KMS key).
secrets_setup() {  # port access_key secret
  "$py" - "$1" "$2" "$3" <<'PY'
import sys
import boto3
port, ak, sk = sys.argv[1:4]
kw = dict(endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
          aws_access_key_id=ak, aws_secret_access_key=sk)
boto3.client("secretsmanager", **kw).create_secret(Name="bench/db", SecretString="s3cr3t-value")
boto3.client("ssm", **kw).put_parameter(Name="/bench/db", Value="s3cr3t-value",
                                        Type="SecureString")
PY
}
secrets_scripts() {  # prefix port access_key secret
  secrets_setup "$2" "$3" "$4"
  make_script "$2" "$3" "$4" "$work/$1-getsecret.lua" secretsmanager \
    '{"SecretId":"bench/db"}' secretsmanager.GetSecretValue
  make_script "$2" "$3" "$4" "$work/$1-getparam.lua" ssm \
    '{"Name":"/bench/db","WithDecryption":true}' AmazonSSM.GetParameter
}
secrets_scripts bulwark "$bport" "$ak" "$sk"
[ $have_moto = 1 ] && secrets_scripts moto "$mport" AKIDEXAMPLE secret
nginx_rps=$(echo "${results[1]:-}" | awk '{print $2}')
echo
echo "Secrets Manager and Parameter Store (values decrypted through KMS)"
printf "%-20s %12s %10s %8s %12s %8s %8s\n" operation "bulwark r/s" "p99" "non-2xx" "moto r/s" \
  "/moto" "/nginx"
for op in getsecret getparam; do
  b=$(run_wrk "value-$op" "http://127.0.0.1:$bport/" "$work/bulwark-$op.lua")
  m="- 0 - 0"
  [ $have_moto = 1 ] && m=$(run_wrk "moto-$op" "http://127.0.0.1:$mport/" "$work/moto-$op.lua")
  read -r _ brps bp99 bnon <<<"$b"
  read -r _ mrps _ _ <<<"$m"
  ratio=$(awk -v b="$brps" -v m="$mrps" 'BEGIN { if (m > 0) printf "%.0fx", b / m; else print "-" }')
  vs=$(awk -v b="$brps" -v n="${nginx_rps:-0}" 'BEGIN { if (n > 0) printf "%.2fx", b / n; else print "-" }')
  printf "%-20s %12s %10s %8s %12s %8s %8s\n" "$op" "$brps" "$bp99" "$bnon" "$mrps" "$ratio" "$vs"
done

# --- the cost of auditing: two fresh servers with the same state, one with --audit off,
# measured in turns (so that neither carries the journal or the keys of the runs above).
audit_server() {  # name [flags...] -> sets ${name}_port and writes $work/$name/credentials
  local name=$1 port
  shift
  port=$(free_port)
  "$bin" serve --listen "127.0.0.1:$port" --data-dir "$work/$name" "$@" >"$work/$name.out" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$port/_bulwark/health"
  eval "${name}_port=$port"
}
audit_server audited
audit_server quiet --audit off
for name in audited quiet; do
  port_var="${name}_port"
  port=${!port_var}
  k=$(awk -F' = ' '/aws_access_key_id/ {print $2}' "$work/$name/credentials")
  s=$(awk -F' = ' '/aws_secret_access_key/ {print $2}' "$work/$name/credentials")
  make_script "$port" "$k" "$s" "$work/$name-sts.lua"
  kms_scripts "$name" "$port" "$k" "$s"
  make_script "$port" "$k" "$s" "$work/$name-createkey.lua" kms '{}' TrentService.CreateKey
done
echo
echo "Auditing: every request's CloudTrail record (on) against --audit off, fresh servers"
printf "%-20s %12s %10s %12s %10s %8s\n" operation "on r/s" "p99" "off r/s" "p99" "on/off"
for op in sts encrypt createkey; do
  a=$(run_wrk "audit-on-$op" "http://127.0.0.1:$audited_port/" "$work/audited-$op.lua")
  o=$(run_wrk "audit-off-$op" "http://127.0.0.1:$quiet_port/" "$work/quiet-$op.lua")
  read -r _ arps ap99 _ <<<"$a"
  read -r _ orps op99 _ <<<"$o"
  ratio=$(awk -v a="$arps" -v o="$orps" 'BEGIN { if (o > 0) printf "%.2f", a / o; else print "-" }')
  printf "%-20s %12s %10s %12s %10s %8s\n" "$op" "$arps" "$ap99" "$orps" "$op99" "$ratio"
done

[ $have_nginx = 1 ] || echo "nginx: not installed (scripts/install-deps.sh bench)"
[ $have_moto = 1 ] || echo "moto: not importable by $moto_py (set MOTO_PYTHON)"
echo "bulwark idle RSS: $((rss_kb / 1024)) MiB (${rss_kb} kB)"
echo "bulwark start to healthy: $(( (t1 - t0) / 1000000 )) ms wall (server reports: ${ready_line:-n/a})"
