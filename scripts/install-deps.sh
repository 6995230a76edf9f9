#!/usr/bin/env bash
# Installs the Debian packages Bulwark needs, and only those that are missing.
# Usage: scripts/install-deps.sh [build|test|bench]...   (default: build)
# Idempotent. Uses apt-get when run as root (or through sudo when available without a
# password); otherwise prints the command to run and fails.
set -euo pipefail

build_pkgs=(g++ cmake ninja-build ccache pkg-config libboost-dev libssl-dev libsqlite3-dev
  nlohmann-json3-dev libcli11-dev libqrencode-dev libpng-dev libcurl4-openssl-dev libxmlsec1-dev
  libre2-dev libpq-dev zlib1g-dev)
test_pkgs=(libgtest-dev libgmock-dev clang libclang-rt-14-dev python3 python3-boto3
  python3-pytest awscli openssl oathtool zbar-tools xmlsec1 faketime postgresql)
bench_pkgs=(libbenchmark-dev wrk nginx-light python3 python3-boto3)

sets=("$@")
[ ${#sets[@]} -eq 0 ] && sets=(build)
wanted=()
for s in "${sets[@]}"; do
  case "$s" in
    build) wanted+=("${build_pkgs[@]}") ;;
    test) wanted+=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
    bench) wanted+=("${build_pkgs[@]}" "${bench_pkgs[@]}") ;;
    *) echo "install-deps: unknown set '$s' (build, test, bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# De-duplicate.
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  apt=(apt-get)
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  apt=(sudo apt-get)
else
  echo "install-deps: these Debian packages are missing: ${missing[*]}" >&2
  echo "install-deps: run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}"
