#!/usr/bin/env bash
# Runs the main job (./interp physics --out physics-study, the README's command), keeps its results.json as
# docs/physics-study/results.json and rewrites the README's generated physics-figures block from it
# (org.mechinterp.examples.physics.study.ReadmeFigures); ReadmeFiguresTest checks that the two agree.
#   tools/physics-readme.sh            # run, copy, rewrite
#   tools/physics-readme.sh --check    # run and compare the figures with the committed ones (no files changed)
set -euo pipefail
case "${1:-}" in
  "" | --check) ;;
  -h | --help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "physics-readme.sh: unknown argument '$1' (use --check or nothing; --help)" >&2; exit 2 ;;
esac
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
work="$(mktemp -d "${TMPDIR:-/tmp}/interp-physics-readme-XXXXXX")"
trap 'rm -rf "$work"' EXIT
./interp physics --out "$work/physics-study" --quiet
EX="$ROOT/interp-examples"
jar="$(ls "$EX"/target/interp-examples-*.jar | grep -v -e sources -e javadoc -e tests | head -n 1)"
cp_="$jar:$EX/target/lib/*"
if [ "${1:-}" = --check ]; then
  cp README.md "$work/README.md"
  java -cp "$cp_" org.mechinterp.examples.physics.study.ReadmeFigures "$work/physics-study/results.json" "$work/README.md"
  if diff -u README.md "$work/README.md"; then
    echo "README figures reproduce"
  else
    echo "README figures differ from a fresh run (above)" >&2
    exit 1
  fi
else
  mkdir -p docs/physics-study
  cp "$work/physics-study/results.json" docs/physics-study/results.json
  java -cp "$cp_" org.mechinterp.examples.physics.study.ReadmeFigures docs/physics-study/results.json README.md
  echo "updated docs/physics-study/results.json and the README's physics figures"
fi
