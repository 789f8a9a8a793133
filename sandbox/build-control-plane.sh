#!/usr/bin/env bash
# Builds kube-apiserver and etcd from Go modules through the Go module proxy into a cache directory.
# `go install k8s.io/kubernetes/cmd/kube-apiserver@vX` refuses because k8s.io/kubernetes's go.mod replaces its staging
# modules (k8s.io/api, k8s.io/client-go, ...) with local paths and requires them at v0.0.0. A throwaway module that
# requires k8s.io/kubernetes and replaces every v0.0.0 staging module with its published v0.Y.Z tag builds cleanly.
#
# Lines starting with "oombot-build: " are for sandbox/binaries.ts, which shows them as progress:
#   oombot-build: phase <what is being done now>
#   oombot-build: missing go|go-version <one line: what is missing and how to fix it>   (then exit 3)
# Go's own lines ("go: downloading MODULE VERSION", errors) pass through; binaries.ts counts the downloads.
#
# usage: build-control-plane.sh OUT_DIR [KUBERNETES_VERSION] [ETCD_VERSION]
set -euo pipefail

out=${1:?usage: build-control-plane.sh OUT_DIR [KUBERNETES_VERSION] [ETCD_VERSION]}
k8s_version=${2:-v1.35.4}
etcd_version=${3:-v3.6.5}
staging_version="v0.${k8s_version#v1.}"

command -v go >/dev/null || { echo "oombot-build: missing go Go is not installed: install Go >= 1.25 (it builds kube-apiserver and etcd once), or set KUBEBUILDER_ASSETS to a folder holding etcd and kube-apiserver"; exit 3; }
# Go 1.21 and later fetch the newer toolchain k8s.io/kubernetes's go.mod asks for by themselves; older ones cannot.
go_version=$(go env GOVERSION 2>/dev/null || echo unknown)
minor=$(echo "$go_version" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
if [ -z "$minor" ] || [ "$minor" -lt 21 ]; then
  echo "oombot-build: missing go-version Go is too old ($go_version): install Go >= 1.25, or set KUBEBUILDER_ASSETS to a folder holding etcd and kube-apiserver"
  exit 3
fi

mkdir -p "$out"
work=$(mktemp -d)
# oombot starts this script as a process group of its own and stops the group when it exits or is interrupted; if it
# is killed outright (SIGKILL, a crash), this watchdog stops the group once oombot's process is gone, so no build runs
# on orphaned. Its output goes nowhere: oombot reads the script's pipes until every holder has closed them.
parent=$PPID
( while kill -0 "$parent" 2>/dev/null; do sleep 1; done; kill -TERM 0 ) </dev/null >/dev/null 2>&1 &
watchdog=$!
trap 'kill "$watchdog" 2>/dev/null; rm -rf "$work"' EXIT
# Stopped by a signal, bash exits through the EXIT trap above (by default it would die without running it).
trap 'exit 143' TERM
trap 'exit 130' INT
export GOFLAGS=-mod=mod

# --- kube-apiserver ---
echo "oombot-build: phase resolving kube-apiserver ${k8s_version}'s modules"
mkdir -p "$work/apiserver"
cd "$work/apiserver"
# -json puts a failure (no route to the module proxy, say) in its "Error" field on stdout: pass it on as Go's own line.
if ! k8s_json=$(go mod download -json "k8s.io/kubernetes@${k8s_version}"); then
  echo "$k8s_json" | sed -n 's/.*"Error": "\(.*\)".*/go: \1/p' >&2
  exit 1
fi
k8s_mod=$(echo "$k8s_json" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
{
  echo "module oombot.local/controlplane"
  grep -E '^(go|godebug) ' "$k8s_mod"
  echo "require k8s.io/kubernetes ${k8s_version}"
  # every staging module k8s.io/kubernetes requires at v0.0.0 (the list changes between releases)
  grep -E '^\s+k8s\.io/[a-z0-9-]+ v0\.0\.0$' "$k8s_mod" | awk -v v="$staging_version" '{print "replace " $1 " => " $1 " " v}'
} > go.mod
echo "oombot-build: phase downloading kube-apiserver ${k8s_version}'s modules"
go get "k8s.io/kubernetes/cmd/kube-apiserver@${k8s_version}" >/dev/null
echo "oombot-build: phase compiling kube-apiserver ${k8s_version}"
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=${k8s_version} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$k8s_version" | cut -d. -f2) -X k8s.io/client-go/pkg/version.gitVersion=${k8s_version}"
CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
mv "$out/kube-apiserver.tmp" "$out/kube-apiserver"

# --- etcd ---
echo "oombot-build: phase downloading etcd ${etcd_version}'s modules"
mkdir -p "$work/etcd"
cd "$work/etcd"
echo "module oombot.local/etcd" > go.mod
echo "go 1.24" >> go.mod
go get "go.etcd.io/etcd/server/v3@${etcd_version}" >/dev/null
echo "oombot-build: phase compiling etcd ${etcd_version}"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/etcd.tmp" go.etcd.io/etcd/server/v3
mv "$out/etcd.tmp" "$out/etcd"

echo "built $("$out/kube-apiserver" --version) and etcd ${etcd_version} into $out"
