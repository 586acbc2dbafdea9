#!/bin/bash
# slurm/merge.sh ARRAYID [DIR] - join the outputs of a factorize job array
# (slurm/array.sbatch) into one ordered file, DIR/factorize-ARRAYID.out.
#
# Slices are contiguous line ranges, so the parts concatenated in slice
# order are the output of the whole input in order (for --format csv the
# header line of every part but the first is dropped).  Refuses (exit 1,
# nothing written) when a part is missing: a task not finished or failed.
# Written to a temporary name and renamed, as factorize does.  Usable as a
# dependent batch job: sbatch --dependency=afterok:ARRAYID slurm/merge.sh ARRAYID
#
#SBATCH --job-name=factorize-merge
#SBATCH --ntasks=1
#SBATCH --output=factorize-merge-%j.log
set -u
id=${1:?usage: merge.sh ARRAYID [DIR]}
dir=${2:-${FZ_OUTDIR:-.}}
n=$(cat "$dir/factorize-$id.slices" 2>/dev/null) || { echo "merge.sh: $dir/factorize-$id.slices missing: no task of array $id has run" >&2; exit 1; }
parts=()
for ((i = 0; i < n; i++)); do
	p=$(printf '%s/factorize-%s.part-%05d.out' "$dir" "$id" "$i")
	[ -f "$p" ] || { echo "merge.sh: $p missing (slice $i of $n not done)" >&2; exit 1; }
	parts+=("$p")
done
out="$dir/factorize-$id.out"
# CSV parts each start with the header line "n,factors,...": keep the first.
awk 'FNR == 1 && NR > 1 && /^n,factors,/ { next } { print }' "${parts[@]}" >"$out.tmp.$$" && mv "$out.tmp.$$" "$out" || { rm -f "$out.tmp.$$"; exit 1; }
echo "merge.sh: $n parts, $(wc -l <"$out") lines -> $out"
