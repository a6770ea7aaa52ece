#!/usr/bin/env bash
# test-local-slurm.sh BUILD_DIR [SHARDS]: brings up a one-node Slurm cluster on localhost (munged, slurmctld and
# slurmd from Debian's slurm-wlm, with a private configuration in a temporary folder), counts real slides from
# ../shared/data with count-array.sh as a job array, checks that the merged table equals one `fluocount-cli count`
# run row for row (apart from the timing column), prints the throughput of both, and tears the cluster down.
# Needs root (the daemons) and: apt-get install slurm-wlm munge
set -euo pipefail
build=$(cd "${1:?usage: test-local-slurm.sh BUILD_DIR [SHARDS]}" && pwd)
shards=${2:-4}
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
data=${FLUOCOUNT_SHARED_DATA:-$source_dir/../shared/data}
cli="$build/app/fluocount-cli"
[ "$(id -u)" -eq 0 ] || { echo "test-local-slurm: run as root (it starts the Slurm daemons)"; exit 1; }
[ -d "$data" ] || { echo "test-local-slurm: real data not found at $data"; exit 1; }
for tool in slurmctld slurmd sbatch munged; do
  command -v "$tool" > /dev/null || { echo "test-local-slurm: $tool missing (apt-get install slurm-wlm munge)"; exit 1; }
done

work=$(mktemp -d /tmp/fluocount-slurm-XXXXXX)
host=$(hostname -s)
cleanup() {
  [ -f "$work/slurmd.pid" ] && kill "$(cat "$work/slurmd.pid")" 2> /dev/null || true
  [ -f "$work/slurmctld.pid" ] && kill "$(cat "$work/slurmctld.pid")" 2> /dev/null || true
  [ -n "${munge_pid:-}" ] && kill "$munge_pid" 2> /dev/null || true
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT

# munge: a private key and socket, so that nothing of the machine's own setup is touched.
mkdir -p "$work/munge" "$work/spool" "$work/state" "$work/slides"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 700 "$work/munge"
chmod 400 "$work/munge/munge.key"
munged --key-file="$work/munge/munge.key" --socket="$work/munge/socket" --pid-file="$work/munge/munged.pid" \
  --log-file="$work/munge/munged.log" --seed-file="$work/munge/seed" --force
munge_pid=$(cat "$work/munge/munged.pid")

cpus=$(nproc)
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
cat > "$work/slurm.conf" <<CONF
ClusterName=fluocount-test
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do sinfo -h -o %T 2> /dev/null | grep -qE "idle|mixed" && break; sleep 1; done
sinfo

# Real slides from three datasets, as links in one folder.
for dataset in fnc-yellow fnc-red deepflash; do
  for image in "$data/$dataset/images"/*; do ln -s "$image" "$work/slides/$dataset-$(basename "$image")"; done
done
images=$(ls "$work/slides" | wc -l)

start=$(date +%s.%N)
"$cli" count "$work/slides" --threads 1 --csv "$work/single.csv" > /dev/null
single_seconds=$(echo "$(date +%s.%N) - $start" | bc)

start=$(date +%s.%N)
FLUOCOUNT_CLI="$cli" FLUOCOUNT_THREADS=1 "$here/count-array.sh" "$work/slides" "$work/results" "$shards"
for _ in $(seq 1800); do
  [ -z "$(squeue -h -n fluocount-count,fluocount-merge 2> /dev/null)" ] && break
  sleep 1
done
array_seconds=$(echo "$(date +%s.%N) - $start" | bc)
[ -f "$work/results/counts.csv" ] || { echo "test-local-slurm: no merged table"; cat "$work/results/logs/"*; exit 1; }

without_seconds() {  # drops the seconds column
  python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1]))); i=r[0].index("seconds"); [print(",".join(x[:i]+x[i+1:])) for x in r]' "$1"
}
if diff <(without_seconds "$work/single.csv") <(without_seconds "$work/results/counts.csv") > "$work/diff.txt"; then
  echo "test-local-slurm: PASS: the merged table of $shards shards equals the single-process table ($images images)"
else
  echo "test-local-slurm: FAIL: the tables differ"; cat "$work/diff.txt"; exit 1
fi
printf 'throughput: one process (1 thread) %.2f images/s; job array of %d one-thread tasks on %d cores %.2f images/s (%.1f s incl. scheduling and merge)\n' \
  "$(echo "$images / $single_seconds" | bc -l)" "$shards" "$cpus" "$(echo "$images / $array_seconds" | bc -l)" "$array_seconds"
