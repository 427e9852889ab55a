#!/usr/bin/env bash
# Renders the example pictures in docs/images/ with Graphviz (Debian: apt-get install
# graphviz): the revision graph of a small project with two branches, a merge and a
# dependency, and the repository's example schema.yaml as an ER diagram.
# Usage: docs/render-examples.sh [path/to/retort]   (default: builds target/debug/retort)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo/docs/images"
retort="${1:-}"
if [ -z "$retort" ]; then
  (cd "$repo" && cargo build --quiet)
  retort="$repo/target/debug/retort"
fi
command -v dot >/dev/null || { echo "dot not found: apt-get install graphviz" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$retort" -q init .
"$retort" -q revision -m "create users" --rev-id users01 >/dev/null
"$retort" -q revision -m "create orders" --rev-id orders01 >/dev/null
"$retort" -q revision -m "seed admin" --rev-id seed01 --head users01 --splice --branch-label seed >/dev/null
"$retort" -q merge heads -m "merge seed" --rev-id merge01 >/dev/null
"$retort" -q revision -m "audit log" --rev-id audit01 --head base --branch-label audit --depends-on orders01 >/dev/null
mkdir -p "$out"
"$retort" history --graph > "$out/history.txt"
"$retort" history --format dot > "$out/history.dot"
"$retort" history --format mermaid > "$out/history.mmd"
dot -Tsvg "$out/history.dot" -o "$out/history.svg"
cd "$repo"
"$retort" reflect --from-schema --format dot > "$out/schema.dot"
"$retort" reflect --from-schema --format mermaid > "$out/schema.mmd"
dot -Tsvg "$out/schema.dot" -o "$out/schema.svg"
echo "wrote $out/history.{txt,dot,mmd,svg} and $out/schema.{dot,mmd,svg}"
