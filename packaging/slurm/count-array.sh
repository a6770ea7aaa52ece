#!/usr/bin/env bash
# Counts a folder of slides as a Slurm job array: each array task counts one shard (a contiguous block of the
# sorted images) and writes RESULTS/shard-IIII-of-NNNN.csv; a final job, started when every task has ended,
# merges them into RESULTS/counts.csv, the same table one `fluocount-cli count` would write (it refuses if a
# shard left no table; unreadable images are rows with status "error", as in one process). With --out DIR among the
# extra options (for --objects, --regions, --labels, ...), the shards share DIR and the merge job also writes
# DIR/counts.csv, DIR/objects.csv and DIR/regions.csv, each the table one process would write there.
#
#   packaging/slurm/count-array.sh SLIDES_FOLDER RESULTS_FOLDER SHARDS [extra fluocount-cli count options...]
#
# Environment: FLUOCOUNT_CLI (default: fluocount-cli on PATH), SBATCH_OPTIONS (e.g. "--partition=cpu --time=2:00:00"),
# FLUOCOUNT_THREADS (CPU threads per task, default 2). Prints the job ids; `squeue` shows progress.
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
slides=$(cd "$1" && pwd)
mkdir -p "$2"
results=$(cd "$2" && pwd)
shards=$3
shift 3
cli=${FLUOCOUNT_CLI:-$(command -v fluocount-cli)}
threads=${FLUOCOUNT_THREADS:-2}
mkdir -p "$results/logs"
if compgen -G "$results/shard-*.csv" > /dev/null || [ -e "$results/counts.csv" ]; then
  echo "count-array: $results already holds results; choose an empty folder" >&2
  exit 1
fi

# Quoting the extra options once, for the batch script.
extra=""
[ $# -gt 0 ] && extra=$(printf ' %q' "$@")
# With --out DIR among them (for --objects, --regions, --labels, ...), every shard writes its tables to
# DIR/shards/<table>/ and the merge job joins each into DIR/<table>.csv as well.
out=""
previous=""
for option in "$@"; do
  [ "$previous" = "--out" ] && out=$option
  case $option in --out=*) out=${option#--out=} ;; esac
  previous=$option
done
merge_out=""
if [ -n "$out" ]; then
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  for table in counts objects regions; do
    merge_out+=" && if [ -d $(printf %q "$out/shards/$table") ]; then $(printf %q "$cli") merge --csv \
      $(printf %q "$out/$table.csv") $(printf %q "$out/shards/$table")/shard-*.csv; fi"
  done
fi
array=$(sbatch --parsable ${SBATCH_OPTIONS:-} --job-name=fluocount-count --array=0-$((shards - 1)) \
  --cpus-per-task="$threads" --output="$results/logs/shard-%a.log" --wrap \
  "shard=\$((SLURM_ARRAY_TASK_ID + 1)); table=\$(printf '$results/shard-%04d-of-%04d.csv' \$shard $shards); \
   exec $(printf %q "$cli") count $(printf %q "$slides") --shard \$shard/$shards --threads $threads --csv \"\$table\"$extra")
merge=$(sbatch --parsable ${SBATCH_OPTIONS:-} --job-name=fluocount-merge --dependency=afterany:"$array" \
  --output="$results/logs/merge.log" --wrap \
  "$(printf %q "$cli") merge --csv $(printf %q "$results/counts.csv") $(printf %q "$results")/shard-*.csv$merge_out")
echo "count-array: job array $array ($shards shards), merge job $merge; results in $results/counts.csv${out:+ and $out}"
