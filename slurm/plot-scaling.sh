#!/bin/bash
# slurm/plot-scaling.sh CSV - speedup.png and efficiency.png next to CSV
# (as written by slurm/scaling.sbatch: mode,ranks,count,wall_s,...).
#
# strong: speedup(k) = T(k0) * k0 / T(k), with k0 the smallest size run,
#         efficiency = speedup / k;  weak: efficiency = T(k0) / T(k).
# Needs gnuplot; installs gnuplot-nox with apt-get when it is missing and
# this is root on Debian (FZ_NO_INSTALL=1 to forbid), else exits 2.
set -u
csv=${1:?usage: plot-scaling.sh CSV}
dir=$(dirname "$csv")
if ! command -v gnuplot >/dev/null; then
	if [ -z "${FZ_NO_INSTALL:-}" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnuplot-nox >/dev/null 2>&1 ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnuplot-nox >/dev/null; }
	fi
	command -v gnuplot >/dev/null || { echo "plot-scaling: gnuplot not found" >&2; exit 2; }
fi
# Derived table: mode ranks speedup efficiency.
awk -F, 'NR > 1 && $4 > 0 {
	if (!($1 in k0)) { k0[$1] = $2; t0[$1] = $4 }
	if ($1 == "strong") { s = t0[$1] * k0[$1] / $4; e = s / $2 }
	else { s = t0[$1] / $4 * $2 / k0[$1]; e = t0[$1] / $4 }
	print $1, $2, s, e
}' "$csv" >"$dir/derived.dat"
grep '^strong' "$dir/derived.dat" >"$dir/strong.dat" || true
grep '^weak' "$dir/derived.dat" >"$dir/weak.dat" || true
plots_s="" plots_e=""
if [ -s "$dir/strong.dat" ]; then
	plots_s="'$dir/strong.dat' using 2:3 with linespoints title 'strong scaling speedup', "
	plots_e="'$dir/strong.dat' using 2:4 with linespoints title 'strong scaling', "
fi
if [ -s "$dir/weak.dat" ]; then
	plots_s="$plots_s'$dir/weak.dat' using 2:3 with linespoints title 'weak scaling (scaled speedup)', "
	plots_e="$plots_e'$dir/weak.dat' using 2:4 with linespoints title 'weak scaling', "
fi
[ -n "$plots_s" ] || { echo "plot-scaling: no data in $csv" >&2; exit 1; }
gnuplot <<GP
set terminal pngcairo size 800,560 noenhanced
set datafile separator whitespace
set key top left
set grid
set xlabel 'MPI ranks'
set logscale x 2
set output '$dir/speedup.png'
set ylabel 'speedup'
plot ${plots_s}x title 'ideal' with lines dashtype 2
set output '$dir/efficiency.png'
set ylabel 'parallel efficiency'
set yrange [0:1.2]
plot ${plots_e}1 title 'ideal' with lines dashtype 2
GP
echo "plot-scaling: $dir/speedup.png $dir/efficiency.png"
