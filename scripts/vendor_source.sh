#!/usr/bin/env bash
# Write the tree of COMMIT from a local git mirror as a tarball a BUILD file lists in `files`:
#   scripts/vendor_source.sh GIT_DIR COMMIT OUT.tar
# A stop-gap for platforms that cannot clone from GitHub (the stand-ins) until git_repository
# sources are fetched by jcb on the host (issue 9). `git archive` of one commit is byte-stable.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 GIT_DIR COMMIT OUT.tar" >&2; exit 2; }
git_dir=$1 commit=$2 out=$3
git --git-dir="$git_dir" cat-file -e "$commit^{commit}" 2>/dev/null ||
  { echo "$0: $git_dir has no commit $commit (fetch the repository first)" >&2; exit 1; }
git --git-dir="$git_dir" archive --format=tar "$commit" > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out: $(sha256sum "$out" | cut -d' ' -f1)"
