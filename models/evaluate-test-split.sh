#!/bin/bash
# Reproduces the model card's table: evaluates a model (or the classical method) on the held-out test split of
# ../shared/data, one dataset at a time at that dataset's measured cell diameter (fluocount-cli diameter).
#   models/evaluate-test-split.sh [--model FILE | --classical] [--min-true-area PX] [--reference-postprocess]
#                                 [--precision float32|bfloat16|int8] [fluocount-cli binary]
# Prints one markdown table row per dataset: images, true cells, F1, precision, recall, MAE, MedAE, MPE.
# --min-true-area 200 scores only the annotations at least as large as the smallest object the counter reports.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
method=(--model "$here/default.fcmodel")
truth=()
case "${1:-}" in
  --model) method=(--model "$2"); shift 2 ;;
  --classical) method=(--classical); shift ;;
esac
if [ "${1:-}" = --min-true-area ]; then truth=(--min-true-area "$2"); shift 2; fi
# The authors' post-processing exactly instead of FluoCount's (docs/method.md, "Post-processing").
if [ "${1:-}" = --reference-postprocess ]; then method+=(--reference-postprocess); shift; fi
# The network's number type (inference.h, NetworkPrecision): bfloat16 is offered only while it scores as float32.
if [ "${1:-}" = --precision ]; then method+=(--precision "$2"); shift 2; fi
cli="${1:-$here/../build/app/fluocount-cli}"
data="${FLUOCOUNT_SHARED_DATA:-$here/../../shared/data}"
[ -d "$data" ] || { echo "error: $data not found (set FLUOCOUNT_SHARED_DATA)" >&2; exit 2; }

# A list of image names to evaluate (evaluate --only) holding one test slide, for the per-slide rows below.
one_slide="$(mktemp)"
trap 'rm -f "$one_slide"' EXIT

# dataset:cell diameter px, as measured by 'fluocount-cli diameter' on the annotations; then each FNC test slide
# alone at its own cell diameter (dataset/image stem:diameter): the two FNC microscopes differ (cells 33 to 73 px),
# which the dataset's single diameter does not describe, and a user sets the diameter of their own slides.
for spec in fnc-yellow:52 fnc-red:39 deepflash:11 bbbc039:28 dsb2018-fluo:21 \
            fnc-yellow/Mar19bS1C4R2_LHr_200x:46 fnc-red/RT353S2C1R5_r1:57; do
  dataset="${spec%%:*}"; diameter="${spec##*:}"; only="$here/test-split.txt"; label="$dataset"
  if [[ "$dataset" == */* ]]; then
    echo "${dataset%%/*}/images/${dataset#*/}.png" > "$one_slide"
    only="$one_slide"; dataset="${dataset%%/*}"
  fi
  out="$("$cli" evaluate "$data/$dataset" --only "$only" --diameter "$diameter" "${method[@]}" ${truth[@]+"${truth[@]}"} 2>/dev/null)"
  summary="$(grep -E '^(images|F1|MAE) ' <<<"$out" | tr '\n' ' ')"
  awk -v d="$label" -v dia="$diameter" '{
      for (i = 1; i <= NF; i++) v[$i] = $(i + 1)
      printf "| %s | %s | %s | %d | %.3f | %.3f | %.3f | %.2f | %.1f | %s %% |\n", d, dia, v["images"], v["TP"] + v["FN"], v["F1"], v["precision"],
             v["recall"], v["MAE"], v["MedAE"], v["MPE"] }' <<<"$summary"
done
