#!/usr/bin/env bash
# FluoCount's files as ImageJ reads them, and ImageJ's files as FluoCount reads them, on the bundled sample slides,
# with Debian's ImageJ (libij-java) run headless: tests/interop/ImageJChecks.java says what each step compares.
# Usage: imagej_interop.sh <fluocount-cli> <source dir> <regions_through_fluocount>. Exit 77 (ctest: skipped, and it says why) without a JDK
# or ImageJ; packaging/install-deps.sh --tests installs both.
set -euo pipefail
cli=$(realpath "$1")
source_dir=$(realpath "$2")
samples="$source_dir/resources/samples"
through_fluocount=$(realpath "$3")
imagej_jar=${IMAGEJ_JAR:-/usr/share/java/ij.jar}
if ! command -v javac > /dev/null || ! command -v java > /dev/null || [ ! -f "$imagej_jar" ]; then
  echo "SKIPPED: the ImageJ checks need a JDK (javac) and ImageJ's $imagej_jar (Debian: default-jdk-headless" \
       "libij-java; packaging/install-deps.sh --tests installs them)"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
javac -nowarn -d classes -cp "$imagej_jar" "$source_dir/tests/interop/ImageJChecks.java"
imagej() { java -Djava.awt.headless=true -cp "$imagej_jar:classes" ImageJChecks "$@"; }
slide=MAR32C2R3_PVHr_200x_r
step() { echo; echo "== $*"; }

step "ImageJ opens what count writes: ROI sets, label masks, objects.csv (RGB slides, --pixel-size 0.65)"
cp -r "$samples/images" slides
"$cli" count slides --diameter 50 --pixel-size 0.65 --out rgb --objects --labels --imagej > /dev/null
imagej reads-output rgb 0.65

step "A 16-bit three-channel composite with its pixel size and a two-channel z-stack, saved by ImageJ, counted (the
z-stack as its maximum intensity projection) and measured per channel as ImageJ measures them (after Z Project)"
mkdir -p stacks
imagej make-calibrated-stack "slides/$slide.png" 0.325 stacks/composite.tif
imagej make-z-stack "slides/$slide.png" 3 stacks/z-stack.tif
"$cli" count stacks --channel 1 --diameter 50 --out stacks-counted --objects --labels --imagej > /dev/null \
  2> stacks-notes.txt
imagej reads-output stacks-counted
grep "z-stack.tif: ImageJ stack of 3 z-planes: their maximum intensity projection is counted" stacks-notes.txt \
  || { echo "MISMATCH: no note that the maximum intensity projection is counted"; exit 1; }

step "Pixel sizes ImageJ saves in other units, or not square, read as ImageJ reads them"
mkdir -p units
gray="slides/Mar24bS1C2R3_LHl_200x.png"
imagej make-calibrated "$gray" 325 325 nm units/in-nm.tif
imagej make-calibrated "$gray" 0.000325 0.000325 mm units/in-mm.tif
imagej make-calibrated "$gray" 0.0000128 0.0000128 inch units/in-inch.tif
imagej make-calibrated "$gray" 0.325 0.65 micron units/not-square.tif
imagej make-calibrated "$gray" 1 1 pixel units/in-pixels.tif
"$cli" count units --diameter 50 --out units-counted --objects --labels --imagej > /dev/null 2> units-notes.txt
imagej reads-output units-counted
grep -q "not square" units-notes.txt || { echo "MISMATCH: no note on the pixels that are not square"; exit 1; }

step "Regions drawn in ImageJ (each kind of area ROI, saved as the ROI Manager saves them) counted by region"
imagej make-regions "slides/$slide.png" rgb/objects.csv regions
"$cli" count "slides/$slide.png" --diameter 50 --regions regions --out by-region > /dev/null
imagej checks-regions regions/expected.csv by-region/regions.csv

step "The same regions written back by FluoCount (as GeoJSON for QuPath, then as a ROI set for Fiji) read by ImageJ"
"$through_fluocount" "regions/$slide.zip" 1600 1200 returned.geojson returned.zip
imagej checks-round-trip "regions/$slide.zip" returned.zip 1600 1200

step "A count by hand with Fiji's multi-point tool: a mark on each detected cell is matched to it"
mkdir -p marked/images marked/hand-counts
cp "slides/$slide.png" marked/images/
imagej make-hand-count rgb/objects.csv "slides/$slide.png" "marked/hand-counts/$slide.roi"
cells=$(grep -c "/$slide.png," rgb/objects.csv)
"$cli" evaluate marked/images --hand-counts marked/hand-counts --diameter 50 | tee evaluate.txt | tail -3
grep -q "TP $cells  FP 0  FN 0" evaluate.txt || { echo "MISMATCH: expected TP $cells  FP 0  FN 0"; exit 1; }

step "Fiji's threshold + watershed count (Analyze Particles' Count Masks) scored by evaluate --predictions"
imagej fiji-count Otsu 50 fiji-counted slides/*.png | grep particles | sort > fiji-particles.txt
"$cli" evaluate "$samples" --predictions fiji-counted --diameter 50 > fiji-scored.txt
cat fiji-particles.txt; tail -3 fiji-scored.txt
while read -r stem count _; do
  grep -qE "^${stem%:}\.png +[0-9]+ +$count " fiji-scored.txt ||
    { echo "MISMATCH: evaluate does not see ImageJ's $count particles of ${stem%:}"; exit 1; }
done < fiji-particles.txt

step "A mask saved by Fiji (Convert to Mask: inverting LUT) is read as the same cells as the PNG it came from"
mkdir -p png/images png/masks fiji/images fiji/masks
cp "slides/$slide.png" png/images/ && cp "slides/$slide.png" fiji/images/
cp "$samples/masks/$slide.png" png/masks/
imagej make-fiji-mask "$samples/masks/$slide.png" "fiji/masks/$slide.tif"
"$cli" evaluate png --diameter 50 | grep -E "^images|^F1" > png.txt
"$cli" evaluate fiji --diameter 50 | grep -E "^images|^F1" > fiji.txt
cat fiji.txt
diff png.txt fiji.txt || { echo "MISMATCH: the Fiji mask is read as other cells than its PNG"; exit 1; }
echo; echo "ImageJ interop: every check passed"
