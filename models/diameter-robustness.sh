#!/bin/bash
# The model card's scale-robustness table: F1 on the held-out test split when the cell diameter given is off by a
# factor (x0.6, x0.8, x1.0, x1.25, x1.6 of the diameter measured on the annotations), and with --diameter auto.
# The match distance stays the measured diameter in every column, so only the counting changes, not the scoring.
#   models/diameter-robustness.sh [--model FILE | --classical] [--limit N] [fluocount-cli binary]
# Prints one markdown table row per dataset (the FNC rows are the test slides, each at its own diameter).
# --limit N uses only the first N test images of each dataset (the card says where it did).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
method=(--model "$here/default.fcmodel")
limit=()
case "${1:-}" in
  --model) method=(--model "$2"); shift 2 ;;
  --classical) method=(--classical); shift ;;
esac
if [ "${1:-}" = --limit ]; then limit=(--limit "$2"); shift 2; fi
cli="${1:-$here/../build/app/fluocount-cli}"
data="${FLUOCOUNT_SHARED_DATA:-$here/../../shared/data}"
[ -d "$data" ] || { echo "error: $data not found (set FLUOCOUNT_SHARED_DATA)" >&2; exit 2; }
one_slide="$(mktemp)"
trap 'rm -f "$one_slide"' EXIT

f1() {  # dataset, --only file, diameter (px or auto), match distance
  "$cli" evaluate "$data/$1" --only "$2" --diameter "$3" --match-distance "$4" "${method[@]}" ${limit[@]+"${limit[@]}"} 2>/dev/null |
    awk '$1 == "F1" { printf "%.3f", $2 }'
}

echo "| dataset | measured px | x0.6 | x0.8 | x1.0 | x1.25 | x1.6 | auto |"
echo "|---|---|---|---|---|---|---|---|"
for spec in fnc-yellow/Mar19bS1C4R2_LHr_200x:46 fnc-red/RT353S2C1R5_r1:57 deepflash:11 bbbc039:28 dsb2018-fluo:21; do
  dataset="${spec%%:*}"; diameter="${spec##*:}"; only="$here/test-split.txt"; label="$dataset"
  if [[ "$dataset" == */* ]]; then
    echo "${dataset%%/*}/images/${dataset#*/}.png" > "$one_slide"
    only="$one_slide"; dataset="${dataset%%/*}"
  fi
  row="| $label | $diameter |"
  for factor in 0.6 0.8 1.0 1.25 1.6; do
    row="$row $(f1 "$dataset" "$only" "$(awk -v d="$diameter" -v f="$factor" 'BEGIN { printf "%.1f", d * f }')" "$diameter") |"
  done
  row="$row $(f1 "$dataset" "$only" auto "$diameter") |"
  echo "$row"
done
