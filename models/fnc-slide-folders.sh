#!/bin/bash
# Makes one folder per FNC slide (images/ + masks/, symbolic links into ../shared/data) so that each slide can be
# trained at its own cell diameter: the FNC slides come from two microscopes and their cells measure 33 to 73 px,
# which one diameter per dataset folder cannot describe. Slides of the held-out test split are left out. The
# -extra folders (one slide each, added 2026-12-01) are included.
#   models/fnc-slide-folders.sh OUT_DIR
# Prints, for each slide, OUT_DIR/<stem> (the folder to pass to 'fluocount-cli train' / 'diameter').
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: $0 OUT_DIR}"
data="$(cd "${FLUOCOUNT_SHARED_DATA:-$here/../../shared/data}" && pwd)"
for dataset in fnc-yellow fnc-red fnc-yellow-extra fnc-red-extra; do
  for image in "$data/$dataset"/images/*.png; do
    name="$(basename "$image")"
    grep -qxF "$dataset/images/$name" "$here/test-split.txt" && continue
    slide="$out/${name%.png}"
    mkdir -p "$slide/images" "$slide/masks"
    ln -sfn "$image" "$slide/images/$name"
    ln -sfn "$data/$dataset/masks/$name" "$slide/masks/$name"
    echo "$slide"
  done
done
