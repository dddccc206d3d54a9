#!/usr/bin/env bash
# Prints the commit the working tree is at, with "-dirty" when it has uncommitted changes, or
# "unknown" outside a git checkout: the value `steward --version` reports (STEWARD_BUILD_COMMIT).
cd "$(dirname "$0")/.."
commit=$(git rev-parse HEAD 2>/dev/null) || { echo unknown; exit 0; }
if [[ -n "$(git status --porcelain 2>/dev/null)" ]]; then commit="$commit-dirty"; fi
echo "$commit"
