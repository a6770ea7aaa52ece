#!/usr/bin/env bash
# Counts a folder of slides as a Slurm job array: each array task counts one shard (a contiguous block of the
# sorted images) and writes RESULTS/shard-IIII-of-NNNN.csv; a final job, started when every task has ended,
# merges them into RESULTS/counts.csv, the same table one `fluocount-cli count` would write (it refuses if a
# shard left no table; unreadable images are rows with status "error", as in one process). With --out DIR among the
# extra options (for --objects, --regions, --labels, ...), the shards share DIR and the merge job also writes
# DIR/counts.csv, DIR/objects.csv and DIR/regions.csv, each the table one process would write there.
#
#   packaging/slurm/count-array.sh SLIDES_FOLDER RESULTS_FOLDER SHARDS [extra fluocount-cli count options...]
#   packaging/slurm/count-array.sh --resume SLIDES_FOLDER RESULTS_FOLDER SHARDS [the same options...]
#
# --resume submits again, with `count --resume`, the shards of an earlier submission (the same folder, shards and
# options, --out among them: it keeps each shard's journal) that did not finish: a shard whose table is missing (its
# task never ran, or was killed) or lists images "not counted" (stopped at its time limit); each keeps the images it
# had counted. The merge job then joins every shard's table again.
#
# Environment: FLUOCOUNT_CLI (default: fluocount-cli on PATH), SBATCH_OPTIONS (e.g. "--partition=cpu --time=2:00:00"),
# FLUOCOUNT_THREADS (CPU threads per task, default 2). Prints the job ids; `squeue` shows progress.
set -euo pipefail
resume=0
if [ "${1:-}" = "--resume" ]; then
  resume=1
  shift
fi
if [ $# -lt 3 ]; then
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
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
if [ $resume = 0 ] && { compgen -G "$results/shard-*.csv" > /dev/null || [ -e "$results/counts.csv" ]; }; then
  echo "count-array: $results already holds results; choose an empty folder (or --resume an unfinished run)" >&2
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
# Resuming: the shards to count again, and the merged tables of the first submission are replaced.
tasks="0-$((shards - 1))"
resume_option="" overwrite=""
if [ $resume = 1 ]; then
  if [ -z "$out" ]; then
    echo "count-array: --resume needs --out DIR among the options (each shard's journal is kept there)" >&2
    exit 2
  fi
  unfinished=()
  for ((shard = 1; shard <= shards; ++shard)); do
    table=$(printf '%s/shard-%04d-of-%04d.csv' "$results" $shard $shards)
    if [ ! -f "$table" ] || grep -q "not counted: the run was stopped" "$table"; then unfinished+=($shard); fi
  done
  if [ ${#unfinished[@]} = 0 ]; then
    echo "count-array: nothing to resume: every shard's table in $results is complete"
    exit 0
  fi
  tasks=$(for shard in "${unfinished[@]}"; do echo $((shard - 1)); done | paste -sd, -)
  echo "count-array: resuming shard(s) ${unfinished[*]} of $shards"
  resume_option=" --resume"
  overwrite=" --overwrite"
fi
merge_out=""
if [ -n "$out" ]; then
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  for table in counts objects regions; do
    merge_out+=" && if [ -d $(printf %q "$out/shards/$table") ]; then $(printf %q "$cli") merge$overwrite --csv \
      $(printf %q "$out/$table.csv") $(printf %q "$out/shards/$table")/shard-*.csv; fi"
  done
fi
array=$(sbatch --parsable ${SBATCH_OPTIONS:-} --job-name=fluocount-count --array="$tasks" \
  --cpus-per-task="$threads" --output="$results/logs/shard-%a.log" --wrap \
  "shard=\$((SLURM_ARRAY_TASK_ID + 1)); table=\$(printf '$results/shard-%04d-of-%04d.csv' \$shard $shards); \
   exec $(printf %q "$cli") count $(printf %q "$slides") --shard \$shard/$shards --threads $threads --csv \"\$table\"$extra$resume_option")
merge=$(sbatch --parsable ${SBATCH_OPTIONS:-} --job-name=fluocount-merge --dependency=afterany:"$array" \
  --output="$results/logs/merge.log" --wrap \
  "$(printf %q "$cli") merge$overwrite --csv $(printf %q "$results/counts.csv") $(printf %q "$results")/shard-*.csv$merge_out")
echo "count-array: job array $array ($shards shards), merge job $merge; results in $results/counts.csv${out:+ and $out}"
