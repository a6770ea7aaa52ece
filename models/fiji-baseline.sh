#!/bin/bash
# FluoCount against Fiji's usual threshold + watershed count, on the held-out test split of ../shared/data, Fiji's
# count made by ImageJ itself (Debian's libij-java, headless; tests/interop/ImageJChecks.java fiji-count: 8-bit,
# Gaussian blur of diameter/25, Auto Threshold, Convert to Mask, Fill Holes, Watershed, Analyze Particles of at least
# FluoCount's smallest object) and both scored by the same matching: fluocount-cli evaluate --predictions.
# Each dataset at its measured cell diameter, as models/evaluate-test-split.sh, which Fiji's recipe is given too.
#   models/fiji-baseline.sh [fluocount-cli binary]
# Prints one markdown row per dataset: Fiji (Default and Otsu thresholds) and FluoCount's bundled model.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cli="${1:-$here/../build/app/fluocount-cli}"
data="${FLUOCOUNT_SHARED_DATA:-$here/../../shared/data}"
imagej_jar=${IMAGEJ_JAR:-/usr/share/java/ij.jar}
[ -d "$data" ] || { echo "error: $data not found (set FLUOCOUNT_SHARED_DATA)" >&2; exit 2; }
[ -f "$imagej_jar" ] && command -v javac > /dev/null ||
  { echo "error: needs a JDK and ImageJ ($imagej_jar): packaging/install-deps.sh --tests" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
javac -nowarn -d "$work/classes" -cp "$imagej_jar" "$here/../tests/interop/ImageJChecks.java"

# F1 precision recall of an evaluate run's summary.
scores() { awk '/^F1 / { printf "%.3f / %.3f / %.3f", $2, $4, $6 }'; }

echo "| dataset | diameter | images | Fiji, Default threshold: F1 / precision / recall | Fiji, Otsu | FluoCount |"
echo "|---|---|---|---|---|---|"
for spec in fnc-yellow:52 fnc-red:39 deepflash:11 bbbc039:28 dsb2018-fluo:21; do
  dataset="${spec%%:*}"; diameter="${spec##*:}"
  mapfile -t images < <(grep "^$dataset/images/" "$here/test-split.txt" | sed "s|^|$data/|")
  row="| $dataset | $diameter | ${#images[@]}"
  for method in Default Otsu; do
    java -Djava.awt.headless=true -cp "$imagej_jar:$work/classes" ImageJChecks fiji-count "$method" "$diameter" \
      "$work/$dataset-$method" "${images[@]}" > /dev/null
    row+=" | $("$cli" evaluate "$data/$dataset" --only "$here/test-split.txt" --predictions "$work/$dataset-$method" \
      --diameter "$diameter" 2> /dev/null | scores)"
  done
  row+=" | $("$cli" evaluate "$data/$dataset" --only "$here/test-split.txt" --diameter "$diameter" 2> /dev/null | scores) |"
  echo "$row"
done
