#!/usr/bin/env bash
# Installs the Debian packages the build needs, only those missing. Usage: scripts/deps.sh [extra-pkg...]
set -euo pipefail
pkgs=(cmake g++ make pkg-config libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
      libboost-dev libyaml-cpp-dev libspdlog-dev libfmt-dev catch2 libsystemd-dev libsodium-dev
      libssl-dev libcli11-dev nlohmann-json3-dev libre2-dev libsqlite3-dev "$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
