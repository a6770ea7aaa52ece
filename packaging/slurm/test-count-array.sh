#!/usr/bin/env bash
# test-count-array.sh FLUOCOUNT_CLI: runs count-array.sh end to end without a cluster. A stand-in for sbatch runs
# each job at once on this machine (array tasks one after another, then the merge job), on the bundled sample
# slides with --out, --objects and --regions among the extra options; checks that the merged tables (RESULTS/counts.csv
# and OUT/counts.csv, objects.csv, regions.csv) equal one `fluocount-cli count` run's, apart from the seconds column;
# then that --resume submits a shard that never ran, alone, and the tables come out the same again.
# (test-local-slurm.sh does the same on a real one-node Slurm, as root.)
set -euo pipefail
cli=$(cd "$(dirname "${1:?usage: test-count-array.sh FLUOCOUNT_CLI}")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
slides=$(cd "$here/../../resources/samples/images" && pwd)
work=$(mktemp -d /tmp/fluocount-count-array-XXXXXX)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/bin" "$work/regions"
cat > "$work/bin/sbatch" <<'SBATCH'
#!/usr/bin/env bash
array="" wrap="" output=/dev/null
while [ $# -gt 0 ]; do
  case $1 in
    --array=*) array=${1#--array=} ;;
    --output=*) output=${1#--output=} ;;
    --wrap) wrap=$2; shift ;;
  esac
  shift
done
if [ -n "$array" ]; then  # "0-2" or "1,3"
  for part in ${array//,/ }; do
    for task in $(seq "${part%-*}" "${part#*-}"); do
      SLURM_ARRAY_TASK_ID=$task bash -c "$wrap" > "${output//%a/$task}" 2>&1
    done
  done
else
  bash -c "$wrap" > "$output" 2>&1
fi
echo $((RANDOM + 1))
SBATCH
chmod +x "$work/bin/sbatch"
# One slide counted in two regions of different classes, the others whole.
cat > "$work/regions/Mar19bS1C4R2_LHr_200x.geojson" <<'JSON'
{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"name":"left","classification":{"name":"Cortex"}},"geometry":{"type":"Polygon","coordinates":[[[0,0],[800,0],[800,1200],[0,1200],[0,0]]]}},
 {"type":"Feature","properties":{"name":"right"},"geometry":{"type":"Polygon","coordinates":[[[800,0],[1600,0],[1600,1200],[800,1200],[800,0]]]}}]}
JSON
options=(--classical --objects --regions "$work/regions")
"$cli" count "$slides" "${options[@]}" --out "$work/single" > /dev/null 2>&1
PATH="$work/bin:$PATH" FLUOCOUNT_CLI="$cli" FLUOCOUNT_THREADS=1 \
  "$here/count-array.sh" "$slides" "$work/results" 3 "${options[@]}" --out "$work/out"

without_seconds() {  # the table without its seconds column (the only one that differs between runs)
  awk -F, 'NR == 1 { for (i = 1; i <= NF; ++i) if ($i == "seconds") skip = i }
           { line = ""; for (i = 1; i <= NF; ++i) if (i != skip) line = line (line == "" ? "" : ",") $i; print line }' "$1"
}
status=0
compare_with_one_process() {
  for pair in "results/counts.csv single/counts.csv" "out/counts.csv single/counts.csv" \
              "out/objects.csv single/objects.csv" "out/regions.csv single/regions.csv"; do
    set -- $pair
    if [ -f "$work/$1" ] && diff <(without_seconds "$work/$1") <(without_seconds "$work/$2") > "$work/diff.txt"; then
      echo "test-count-array: $1 of 3 shards equals one process's $(basename "$2") ($(($(wc -l < "$work/$2") - 1)) rows)"
    else
      echo "test-count-array: FAIL: $1 differs from one process's table"
      cat "$work/diff.txt" "$work/results/logs/"*.log 2> /dev/null || true
      status=1
    fi
  done
}
compare_with_one_process

# Shard 2's task never ran (a node lost before it started): --resume submits it alone, and the merge job joins every
# shard's tables again over the first merge's.
rm -f "$work/results/shard-0002-of-0003.csv" "$work/out/shards/"*/shard-0002-of-0003.csv
PATH="$work/bin:$PATH" FLUOCOUNT_CLI="$cli" FLUOCOUNT_THREADS=1 \
  "$here/count-array.sh" --resume "$slides" "$work/results" 3 "${options[@]}" --out "$work/out" | tee "$work/resume.txt"
if ! grep -q "resuming shard(s) 2 of 3" "$work/resume.txt" || [ ! -f "$work/results/shard-0002-of-0003.csv" ] ||
   [ "$(grep -c '^merged' "$work/results/logs/merge.log")" != 4 ]; then
  echo "test-count-array: FAIL: --resume did not count shard 2 alone and merge the four tables again"
  cat "$work/results/logs/"*.log 2> /dev/null || true
  status=1
fi
compare_with_one_process
if ! PATH="$work/bin:$PATH" FLUOCOUNT_CLI="$cli" "$here/count-array.sh" --resume "$slides" "$work/results" 3 \
     "${options[@]}" --out "$work/out" | grep -q "nothing to resume"; then
  echo "test-count-array: FAIL: a finished run was submitted again"
  status=1
fi
exit $status
