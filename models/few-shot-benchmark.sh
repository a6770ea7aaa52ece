#!/bin/bash
# Does retraining pay off? For each dataset with at least 7 annotated images, simulate a biologist who corrects
# 3 slides in the app (2 train, 1 validates) and clicks Retrain with the app's CPU defaults (ui/training_plan.cpp:
# fine-tune the active model, each slide at the diameter measured on its mask, 8 epochs x 40 steps of 4 x 256 px
# crops, lr 5e-4, augmentation x10, crop step 204, early stopping after 4 epochs, threshold picked on all 3 corrected
# slides, the starting model kept unless the new weights count the validating slide 0.02 F1 better with fewer errors
# than chance could explain, seed 1), then count the dataset's other images before and after.
#   models/few-shot-benchmark.sh [--datasets "deepflash bbbc039"] [--epochs N] [--steps N] [--rest N] [--model FILE]
#                                [--seeds "1 2 3"] [--work DIR] [--train-options "..."] [--one-diameter]
#                                [--count auto] [--from-marks]
#                                [fluocount-cli binary]
# The 3 slides come from the held-out test split (models/test-split.txt), which the bundled model never saw, in
# name order; the "rest" is the dataset's other test-split images, or, where fewer than 4 remain (DeepFLaSH has
# 3 test images), all its other images, which the bundled model trained on (said in the row). --model starts from
# another model, e.g. one that never saw the dataset: the situation of a user whose slides are new to the model.
# Prints one markdown row per dataset and seed: F1 before and after on the rest, the change, whether the starting
# weights were kept, wall time. --seeds repeats the retraining with each seed (the crops, their order and the
# augmentation change; the slides do not): a few-shot run's epochs swing, so one seed's change is one draw, and
# with several seeds a last row per dataset gives their mean change and range.
# --epochs/--steps shorten the run (CI checks the script on one small dataset that way); --rest caps the images
# counted before and after. --train-options appends options to the train command (the last of a repeated option
# wins), to measure a change of the app's defaults before making it. Each corrected slide trains and validates at
# the cell diameter measured on its own mask (train folder:each), as Retrain's "Each slide at the cell size measured
# on its mask" does by default; --one-diameter trains them all at the dataset's one diameter instead (--each, the
# default, is still accepted). --count auto counts the rest before and after with each image's diameter estimated (--diameter auto, the app's
# default), scored within the dataset's measured diameter as without it. --from-marks simulates a lab that counted
# the 3 slides by hand instead of drawing masks: a mark at the centre of each annotated cell (tests/marks_of_masks,
# built beside the binary), made into masks by 'fluocount-cli masks' with the starting model at the dataset's
# diameter, as the app's Propose Cells from the Count by Hand does; the rest is scored against the drawn masks.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
datasets="deepflash bbbc039 dsb2018-fluo"
epochs=8 steps=40 rest_limit=40 model="$here/default.fcmodel" work="" train_options="" seeds="1" each=1 count=""
from_marks=0
while [[ "${1:-}" == --* ]]; do
  case "$1" in
    --each) each=1; shift; continue ;;
    --one-diameter) each=0; shift; continue ;;
    --from-marks) from_marks=1; shift; continue ;;
    --datasets) datasets="$2" ;;
    --epochs) epochs="$2" ;;
    --steps) steps="$2" ;;
    --rest) rest_limit="$2" ;;
    --model) model="$2" ;;
    --seeds) seeds="$2" ;;
    --work) work="$2" ;;
    --train-options) train_options="$2" ;;
    --count) count="$2"; [ "$count" = auto ] || { echo "--count takes 'auto'" >&2; exit 2; } ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
cli="${1:-$here/../build/app/fluocount-cli}"
marks_of_masks="$(dirname "$cli")/../tests/marks_of_masks"
[ "$from_marks" = 0 ] || [ -x "$marks_of_masks" ] || { echo "error: $marks_of_masks not built" >&2; exit 2; }
data="${FLUOCOUNT_SHARED_DATA:-$here/../../shared/data}"
[ -d "$data" ] || { echo "error: $data not found (set FLUOCOUNT_SHARED_DATA)" >&2; exit 2; }
[ -n "$work" ] || { work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT; }

# The dataset's diameter, measured on its annotations (what a user sets, or Measure Cell Diameter finds).
diameter_of() { "$cli" diameter "$data/$1" | awk 'NR == 2 { printf "%.0f", $4 }'; }
f1_on() {  # dataset, --only list, model, diameter
  local counted_at="$4"
  [ -z "$count" ] || counted_at="$count"
  "$cli" evaluate "$data/$1" --only "$2" --model "$3" --diameter "$counted_at" --match-distance "$4" 2>/dev/null |
    awk '$1 == "F1" { print $2 }'
}
link_slides() {  # dataset, destination folder, stems...
  local dataset="$1" dest="$2"; shift 2
  mkdir -p "$dest/images" "$dest/masks"
  for stem in "$@"; do
    ln -sfn "$data/$dataset/images/$stem.png" "$dest/images/$stem.png"
    [ "$from_marks" = 1 ] || ln -sfn "$data/$dataset/masks/$stem.png" "$dest/masks/$stem.png"
  done
}
# --from-marks: the slides' masks made from a count by hand of their annotated cells.
masks_from_marks() {  # dataset, destination folder, diameter, stems...
  local dataset="$1" dest="$2" diameter="$3" labels; shift 3
  mkdir -p "$dest/hand-counts"
  for stem in "$@"; do
    labels="$data/$dataset/labels/$stem.png"; [ -f "$labels" ] || labels=-
    "$marks_of_masks" "$data/$dataset/masks/$stem.png" "$labels" "$dest/hand-counts/$stem.roi" > /dev/null
  done
  "$cli" masks "$dest/images" --hand-counts "$dest/hand-counts" --out "$dest/masks" --model "$model" \
    --diameter "$diameter" >> "$dest/masks.log" 2>&1
}

echo "| dataset | diameter | corrected slides | rest | F1 before | F1 after | change | starting weights kept | retraining wall time | seed |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for dataset in $datasets; do
  mapfile -t annotated < <(cd "$data/$dataset/masks" && ls *.png | sed 's/\.png$//' | sort)
  [ "${#annotated[@]}" -ge 7 ] || { echo "skipped $dataset: ${#annotated[@]} annotated images" >&2; continue; }
  mapfile -t test_stems < <(grep "^$dataset/images/" "$here/test-split.txt" | sed 's|.*/||; s/\.png$//' | sort)
  user=("${test_stems[@]:0:3}")
  rest=("${test_stems[@]:3}") rest_note="test split"
  if [ "${#rest[@]}" -lt 4 ]; then
    rest=(); rest_note="other images"
    [ "$model" != "$here/default.fcmodel" ] || rest_note="trained on by the bundled model"
    for stem in "${annotated[@]}"; do [[ " ${user[*]} " == *" $stem "* ]] || rest+=("$stem"); done
  fi
  rest=("${rest[@]:0:$rest_limit}")
  diameter="$(diameter_of "$dataset")"
  dir="$work/$dataset"; rm -rf "$dir"; mkdir -p "$dir"
  link_slides "$dataset" "$dir/train" "${user[0]}" "${user[1]}"
  link_slides "$dataset" "$dir/validation" "${user[2]}"
  if [ "$from_marks" = 1 ]; then
    masks_from_marks "$dataset" "$dir/train" "$diameter" "${user[0]}" "${user[1]}"
    masks_from_marks "$dataset" "$dir/validation" "$diameter" "${user[2]}"
  fi
  printf '%s.png\n' "${rest[@]}" > "$dir/rest.txt"
  before="$(f1_on "$dataset" "$dir/rest.txt" "$model" "$diameter")"
  changes=()
  for seed in $seeds; do
    start=$(date +%s)
    slide_diameter="$diameter"
    [ "$each" = 0 ] || slide_diameter=each
    "$cli" train "$dir/train:$slide_diameter:10" --validation "$dir/validation:$slide_diameter" --from "$model" \
      --epochs "$epochs" --steps-per-epoch "$steps" --batch-size 4 --crop-size 256 --crop-step 204 --lr 0.0005 \
      --early-stopping 4 --threshold-from all --min-f1-gain 0.02 --fewer-errors-beyond-chance --seed "$seed" --device cpu $train_options --out "$dir/retrained-$seed.fcmodel" \
      > "$dir/train-$seed.log" 2>&1
    seconds=$(( $(date +%s) - start ))
    kept="$(grep -q "its weights and threshold are kept" "$dir/train-$seed.log" && echo yes || echo no)"
    after="$(f1_on "$dataset" "$dir/rest.txt" "$dir/retrained-$seed.fcmodel" "$diameter")"
    change="$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%+.3f", a - b }')"
    changes+=("$change")
    echo "| $dataset | $diameter | ${#user[@]} | ${#rest[@]} ($rest_note) | $before | $after | $change | $kept | ${seconds} s | $seed |"
  done
  if [ "${#changes[@]}" -gt 1 ]; then
    printf '%s\n' "${changes[@]}" | awk -v d="$dataset" -v n="${#changes[@]}" '
      { sum += $1; if (NR == 1 || $1 < low) low = $1; if (NR == 1 || $1 > high) high = $1 }
      END { printf "| %s | | | | | | mean %+.3f (%+.3f to %+.3f) | | | %d seeds |\n", d, sum / n, low, high, n }'
  fi
done
