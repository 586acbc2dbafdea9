#!/usr/bin/env bash
# tests/cluster/test-cluster.sh - the program across the nodes of
# tests/cluster/cluster.sh (4 network-namespace nodes on a bridge, real TCP
# between them), run by `make test-cluster` (issue 18).  Ends with the
# verdict line "N passed, N failed".
#
#   1. Open MPI and MPICH, 4 nodes x 2 ranks: the classic job (--count 999
#      --chunk 43) and jobs/bench/MIX.txt byte-identical to one process
#      and to GNU factor / MIX.expect; MPI size 8 and the host of every
#      rank (ranks 2i, 2i+1 on node i+1) from --stats.
#   2. --group-size node (both MPIs): one group per node, every leader on
#      its own node, its members on the leader's node (hosts and parents
#      from --stats), output byte-identical.  Planted fault: --group-size 2
#      straddles nodes and the placement check must say so.
#      Link latency emulated (--test-latency-us 2000): output unchanged,
#      wall time at least three one-way latencies.
#   3. Slurm across nodes (tests/cluster/slurm.sh: slurmctld on the host,
#      one slurmd per node): sbatch -N 3 of slurm/factorize.sbatch (size
#      6, three hosts), srun --mpi=pmix -N 4 MIX with --group-size node, a
#      signal before the time limit, requeue and resume across 2 nodes, all
#      byte-identical to GNU factor / MIX.expect; slurm/scaling.sbatch over
#      4 nodes (sizes 2, 4, 8, each step's MPI size checked).
#   4. Loss of a node (Open MPI, 4 x 2, checkpointed): node 3's ranks
#      killed mid-run; every process of node 3 (Open MPI's daemon and the
#      ranks) killed; and separately node 3's link set down.  The
#      job must end within LOSS_BOUND s with a message naming the node,
#      leave no output file, and the same command with the same
#      --checkpoint must finish byte-identical, 0 lost, 0 repeated.  The
#      link cut is noticed through the runtime's TCP keepalive
#      (oob_tcp_keepalive_time 2, intvl 1, probes 3: about 5 s).
#      MPICH: node 3's ranks killed, and its ranks and Hydra proxy
#      killed, the same checks except that the message need not name
#      the node (Hydra's sometimes does, sometimes not).
#   5. Bad settings: oob_tcp_if_include lo and a node whose link is down
#      before the launch end with mpirun's error within BAD_BOUND s;
#      btl_tcp_if_include lo (ranks cannot reach each other) is reported
#      by Open MPI at once but the job then hangs: it is bounded only by
#      the timeout wrapper, and the test says so.
#
# The cluster is brought up here and taken down at the end (also after a
# failure) unless it was up already (make cluster-up).  Job files live
# under /var/tmp: each slurmd has a private /tmp.
set -u
. "$(dirname "$0")/../lib.sh"
cd "$TOP" || exit 1
export LC_ALL=C
CL="$TOP/tests/cluster/cluster.sh"
SL="$TOP/tests/cluster/slurm.sh"
LOSS_BOUND=30 # s from the loss to the job's end: ~1 s (kill), ~7 s (link)
BAD_BOUND=15  # s for a launch that cannot work to fail: ~1-4 s here
HANG_BOUND=20 # s the timeout wrapper gives the btl-over-lo run
[ -x ./factorize ] || { fail "factorize built" "./factorize missing: run make"; summary; exit 1; }

W=$(mktemp -d /var/tmp/fzc-test.XXXXXX)
started=0
if ! "$CL" status >/dev/null 2>&1; then
	started=1
	"$CL" up 4 || { fail "cluster up"; rm -rf "$W"; summary; exit 1; }
fi
cleanup() {
	# leftover job processes (a failed case) go with the namespaces
	[ "$started" = 1 ] && "$CL" down >/dev/null
	rm -rf "$W" "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
eval "$("$CL" env)"
set -- $FZC_NODES
[ $# -ge 4 ] || { fail "cluster has 4 nodes" "$FZC_NODES"; summary; exit 1; }
N1=$1 N2=$2 N3=$3 N4=$4
V3=${FZC_PREFIX}v3 V4=${FZC_PREFIX}v4 # host ends of node 3's and 4's links
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

OMPI_NET="--mca btl_tcp_if_include $FZC_SUBNET --mca oob_tcp_if_include $FZC_SUBNET"
KEEPALIVE="--mca oob_tcp_keepalive_time 2 --mca oob_tcp_keepalive_intvl 1 --mca oob_tcp_keepalive_probes 3"
# ompi NP ARGS...: Open MPI across the nodes (slots 2 per node, by slot)
ompi() {
	local np=$1; shift
	# shellcheck disable=SC2086
	timeout -k 5 "$TIMEOUT" mpirun --mca plm_rsh_agent "$FZC_AGENT" --hostfile "$FZC_HOSTFILE" \
		$OMPI_NET $KEEPALIVE -np "$np" "$@"
}
# mpich NP ARGS...: MPICH's Hydra across the nodes
mpich() {
	local np=$1; shift
	timeout -k 5 "$TIMEOUT" mpiexec.hydra -launcher rsh -launcher-exec "$FZC_AGENT" \
		-f "$FZC_HOSTS_MPICH" -np "$np" "$@"
}

# placement STATS EXPECT MODE: check --stats against the nodes.
#   MODE slots: size = len(EXPECT), host of rank r = EXPECT[r]
#   MODE groups: besides, on every node the ranks >= 1 form one group: the
#   first is a leader (parent 0) or a plain worker, every other one has
#   that leader as parent
placement() {
	python3 - "$@" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
want = sys.argv[2].split()
mode = sys.argv[3]
ranks = s["ranks"]
hosts = [r.get("host") for r in ranks]
if s["size"] != len(want):
    sys.exit("MPI size %d, expected %d" % (s["size"], len(want)))
if hosts != want:
    sys.exit("hosts %s, expected %s" % (" ".join(map(str, hosts)), " ".join(want)))
if mode == "groups":
    parent = [r["parent"] for r in ranks]
    by_node = {}
    for r in range(1, len(ranks)):
        by_node.setdefault(hosts[r], []).append(r)
    for node, rs in by_node.items():
        lead = rs[0]
        if parent[lead] != 0:
            sys.exit("rank %d, first on %s, reports to %d" % (lead, node, parent[lead]))
        for r in rs[1:]:
            if parent[r] != lead:
                sys.exit("rank %d on %s reports to rank %d on %s, not to %d"
                         % (r, node, parent[r], hosts[parent[r]], lead))
    groups = sum(1 for rs in by_node.values() if len(rs) > 1)
    if s["groups"] != groups:
        sys.exit("%d groups, %d nodes with several ranks" % (s["groups"], groups))
EOF
}

SLOTS="$N1 $N1 $N2 $N2 $N3 $N3 $N4 $N4"
seq 999999999999 2 1000000001995 | factor >"$W/classic.ref"
./factorize --count 999 --chunk 43 --quiet >"$W/classic.one"
./factorize --input jobs/bench/MIX.txt --quiet >"$W/mix.one"
check_files "one process: classic = GNU factor" "$W/classic.ref" "$W/classic.one"
check_files "one process: MIX = MIX.expect" jobs/bench/MIX.expect "$W/mix.one"

# case NAME LAUNCHER BINARY REF MODE ARGS...: a run across 4 nodes x 2.
case_run() {
	local name=$1 launch=$2 bin=$3 ref=$4 mode=$5 t rc why
	shift 5
	t=$(date +%s.%N)
	"$launch" 8 "$bin" --stats "$W/s.json" --quiet "$@" >"$W/out" 2>"$W/err"; rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$name: exit 0" "exit $rc: $(grep -v '^\s*$' "$W/err" | head -3 | tr '\n' '|')"
		return
	fi
	check_files "$name: output byte-identical to one process" "$ref" "$W/out"
	if why=$(placement "$W/s.json" "$SLOTS" "$mode" 2>&1); then
		pass "$name: MPI size 8, ranks on $SLOTS${mode/slots/}"
	else fail "$name: placement" "$why"; fi
	echo "     $name: $(elapsed "$t") s"
}

# ---- 1 and 2: Open MPI and MPICH ----
MPICH_BIN="$TOP/build/mpich/factorize"
if ! make -s -C "$TOP" MPI=mpich BUILD=build/mpich build/mpich/factorize >"$W/mk.log" 2>&1; then
	fail "MPICH build" "$(tail -3 "$W/mk.log" | tr '\n' '|')"
	MPICH_BIN=""
fi
for mpi in ompi mpich; do
	bin="$TOP/factorize"; label="Open MPI"
	if [ "$mpi" = mpich ]; then
		bin=$MPICH_BIN; label="MPICH"
		[ -n "$bin" ] || continue
	fi
	case_run "$label classic 4x2" "$mpi" "$bin" "$W/classic.one" slots --count 999 --chunk 43
	case_run "$label MIX 4x2" "$mpi" "$bin" "$W/mix.one" slots --input jobs/bench/MIX.txt
	case_run "$label --group-size node classic 4x2" "$mpi" "$bin" "$W/classic.one" groups \
		--count 999 --chunk 43 --group-size node
	case_run "$label --group-size node MIX 4x2" "$mpi" "$bin" "$W/mix.one" groups \
		--input jobs/bench/MIX.txt --group-size node
done
# Planted fault: numeric groups of 2 straddle nodes (rank 0 takes a slot).
ompi 8 ./factorize --count 999 --chunk 43 --group-size 2 --stats "$W/s.json" --quiet >"$W/out" 2>/dev/null
if why=$(placement "$W/s.json" "$SLOTS" groups 2>&1); then
	fail "planted: --group-size 2 across nodes is caught by the placement check"
else pass "planted: --group-size 2 across nodes is caught ($why)"; fi

# Link-latency emulation (--test-latency-us, test only): output unchanged;
# the run cannot be faster than one round trip (REQUEST up, WORK down)
# plus the last RESULT's way up: 3 x 2 ms.  A lower bound only: load can
# slow a run, never speed it up.
for mpi in ompi mpich; do
	bin="$TOP/factorize"; [ "$mpi" = mpich ] && bin=$MPICH_BIN
	[ -n "$bin" ] || continue
	"$mpi" 8 "$bin" --count 999 --chunk 43 --group-size node --test-latency-us 2000 \
		--stats "$W/lat.json" --quiet >"$W/out" 2>"$W/err"
	check_files "$mpi latency 2 ms: output byte-identical" "$W/classic.one" "$W/out"
	wall=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["wall_seconds"])' "$W/lat.json" 2>/dev/null)
	check "$mpi latency 2 ms: wall ${wall:-?} s >= 3 one-way latencies" \
		awk -v w="${wall:-0}" 'BEGIN { exit !(w >= 0.006) }'
done

# ---- 3: Slurm across nodes ----
slurm_cases() {
	local t d id i sz
	wait_gone() { # wait_gone ID SECONDS
		for ((i = 0; i < $2 * 4; i++)); do
			[ -z "$(squeue -h -j "$1" -o %i 2>/dev/null)" ] && return 0
			sleep 0.25
		done
		scancel "$1"; return 1
	}
	job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -1; }
	export FACTORIZE="$TOP/factorize" FZ_HOME="$TOP"

	t=$(date +%s.%N)
	d="$W/sb3"; mkdir -p "$d"
	id=$(FZ_OUTDIR="$d" sbatch --parsable -N 3 -n 6 --ntasks-per-node=2 -D "$d" slurm/factorize.sbatch | cut -d';' -f1)
	wait_gone "$id" 120
	check "sbatch -N 3: job COMPLETED" [ "$(job_state "$id")" = COMPLETED ]
	check_files "sbatch -N 3: output = GNU factor" "$W/classic.ref" "$d/factorize-$id.out"
	if why=$(placement "$d/factorize-$id.stats.json" "$N1 $N1 $N2 $N2 $N3 $N3" slots 2>&1); then
		pass "sbatch -N 3: MPI size 6 on $N1 $N2 $N3"
	else fail "sbatch -N 3: placement" "$why"; fi
	echo "     sbatch -N 3: $(elapsed "$t") s"

	t=$(date +%s.%N)
	timeout -k 5 "$TIMEOUT" srun --mpi=pmix -N 4 --ntasks-per-node=2 -D "$W" "$TOP/factorize" \
		--input "$TOP/jobs/bench/MIX.txt" --group-size node --stats "$W/srun.json" --quiet >"$W/out" 2>"$W/err"
	check_files "srun --mpi=pmix -N 4 MIX --group-size node: output = MIX.expect" jobs/bench/MIX.expect "$W/out"
	if why=$(placement "$W/srun.json" "$SLOTS" groups 2>&1); then
		pass "srun --mpi=pmix -N 4: size 8, one group per node"
	else fail "srun --mpi=pmix -N 4: placement" "$why"; fi
	echo "     srun -N 4: $(elapsed "$t") s"

	# A signal before the time limit, requeue and resume, across 2 nodes:
	# rank 0 on one, the only worker on the other, made slow by the
	# test-only fault (40 ms per chunk of 4: about 8 s for 800 numbers).
	t=$(date +%s.%N)
	d="$W/rq"; mkdir -p "$d"
	seq 999999999999 2 1000000001597 | factor >"$d/expected"
	id=$(FZ_OUTDIR="$d" FZ_COUNT=800 FZ_CHUNK=4 \
		FZ_OPTS="--test-fault slow --test-fault-rank 1 --test-fault-ms 40" \
		sbatch --parsable -N 2 -n 2 --ntasks-per-node=1 -D "$d" slurm/factorize.sbatch | cut -d';' -f1)
	for ((i = 0; i < 400; i++)); do
		sz=$(stat -c %s "$d/factorize-$id.journal" 2>/dev/null || echo 0)
		[ "$sz" -gt 2000 ] && break
		sleep 0.05
	done
	scancel --signal=USR1 --batch "$id"
	wait_gone "$id" 180
	check "signal-requeue-resume -N 2: job COMPLETED" [ "$(job_state "$id")" = COMPLETED ]
	check "signal-requeue-resume -N 2: requeued and ran again" grep -q "job $id run 1" "$d/factorize-$id.log"
	check_files "signal-requeue-resume -N 2: output = GNU factor" "$d/expected" "$d/factorize-$id.out"
	echo "     signal-requeue-resume -N 2: $(elapsed "$t") s"

	# slurm/scaling.sbatch over 4 nodes: one srun step per size; the
	# script itself fails when a step saw the wrong MPI size.
	t=$(date +%s.%N)
	d="$W/sc"; mkdir -p "$d"
	id=$(FZ_OUTDIR="$d" FZ_SIZES="2 4 8" FZ_MODES=strong FZ_STRONG_COUNT=4000 \
		sbatch --parsable -N 4 -n 8 --ntasks-per-node=2 -D "$d" slurm/scaling.sbatch | cut -d';' -f1)
	wait_gone "$id" 180
	check "scaling.sbatch -N 4: job COMPLETED" [ "$(job_state "$id")" = COMPLETED ]
	check "scaling.sbatch -N 4: sizes 2, 4, 8 seen" test "$(tail -n +2 "$d/scaling-$id/scaling.csv" 2>/dev/null | cut -d, -f2,7 | tr '\n' ' ')" = "2,2 4,4 8,8 "
	echo "     scaling.sbatch -N 4: $(elapsed "$t") s"
}
if "$SL" up; then
	eval "$("$SL" env)"
	slurm_cases
	"$SL" down >/dev/null
	unset SLURM_CONF
else
	fail "Slurm across the nodes started" "logs: $FZC_DIR/slurm/log"
	"$SL" down >/dev/null
fi

# ---- 4: loss of a node ----
LOSS=(--count 300000 --start 100000000000000000000 --step 7 --chunk 50 --quiet)
run_np 3 "${LOSS[@]}" >"$W/loss.ref" 2>"$W/loss.ref.err"; rc=$?
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$W/loss.ref")" -eq 300000 ]; then pass "loss: uninterrupted reference run (one node)"
else fail "loss: uninterrupted reference run (one node)" "exit $rc, $(wc -l <"$W/loss.ref") lines: $(head -3 "$W/loss.ref.err" | tr '\n' '|')"; fi

# loss NAME ACTION UNDO [NAMED]: run 4x2 checkpointed with LOSS_RUN (ompi
# or mpich) and LOSS_BIN, do ACTION once the job has written 1 MB (of ~10
# MB), then UNDO and resume.  Written: the journal (rank 0 journals the
# lines) plus the kept temporary output (the workers write it and the
# journal holds only each block's place, a few KB).  NAMED=no: the launcher's message is not
# required to name the node (MPICH with its proxy killed does not).
LOSS_RUN=ompi LOSS_BIN=./factorize
loss() {
	local name=$1 action=$2 undo=$3 named=${4:-yes} rc secs i f lost dup j="$W/loss.j" out="$W/loss.out"
	rm -f "$j" "$out" "$W"/.loss.out.*
	$LOSS_RUN 8 "$LOSS_BIN" "${LOSS[@]}" --checkpoint "$j" --output "$out" 2>"$W/loss.err" &
	local job=$!
	for ((i = 0; i < 600; i++)); do
		[ "$(cat "$j" "$W"/.loss.out.* 2>/dev/null | wc -c)" -gt 1000000 ] && break
		sleep 0.05
	done
	if [ "$(ip netns pids "$N3" | wc -l)" -eq 0 ]; then
		fail "$name: processes on $N3 to act on (job ended early?)"; wait "$job"; $undo; return
	fi
	local t0; t0=$(date +%s.%N)
	$action
	wait "$job"; rc=$?
	secs=$(elapsed "$t0")
	$undo
	echo "     $name: job ended with status $rc ${secs} s after the loss"
	check "$name: non-zero exit ($rc)" test "$rc" -ne 0
	check "$name: ends within ${LOSS_BOUND} s (${secs} s)" awk -v s="$secs" -v b="$LOSS_BOUND" 'BEGIN { exit !(s < b) }'
	if [ "$named" = no ]; then echo "     (its message: $(grep -v '^\s*$' "$W/loss.err" | head -2 | tr '\n' '|'))"
	elif grep -q "$N3" "$W/loss.err"; then pass "$name: the message names $N3"
	else fail "$name: the message names $N3" "$(grep -v '^\s*$' "$W/loss.err" | head -3 | tr '\n' '|')"; fi
	grep -m1 "$N3" "$W/loss.err" | sed "s/^ */     /"
	check "$name: no output file left looking complete" test ! -e "$out"
	for f in "$W"/.loss.out.*; do [ -e "$f" ] && echo "     (left: $(basename "$f"), the unfinished temporary file)"; done
	$LOSS_RUN 8 "$LOSS_BIN" "${LOSS[@]}" --checkpoint "$j" --output "$out" 2>"$W/loss.err2"; rc=$?
	check "$name: rerun with the same --checkpoint exits 0" test "$rc" -eq 0
	check_files "$name: resumed output byte-identical" "$W/loss.ref" "$out"
	lost=$(comm -23 <(sort "$W/loss.ref") <(sort "$out" 2>/dev/null) | wc -l)
	dup=$(sort "$out" 2>/dev/null | uniq -d | wc -l)
	check "$name: 0 lost, 0 repeated ($lost lost, $dup repeated)" test "$lost" -eq 0 -a "$dup" -eq 0
}
# kill_node3 REGEX: SIGKILL every process in node 3 whose name matches.
# The launcher agent's wrapper (ip netns exec, sh) stands for the ssh
# client, which runs on the launching host, not on the node: left alone.
kill_node3() {
	for p in $(ip netns pids "$N3"); do
		grep -qxE "$1" "/proc/$p/comm" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	done
}
kill_ranks3() { kill_node3 factorize; }
kill_all3() { kill_node3 'factorize|orted'; }
link3_down() { ip link set "$V3" down; }
link3_up() { ip link set "$V3" up; }
loss "kill the ranks on $N3" kill_ranks3 true
loss "kill every process of $N3 (daemon and ranks)" kill_all3 true
loss "link of $N3 down" link3_down link3_up
# MPICH (Hydra, ch4:ucx): a killed rank or proxy ends the job at once; a
# cut link does not (README, "Running on a real cluster"), so not here.
# Hydra names the node ("BAD TERMINATION ... RUNNING AT fzc3") only when
# its report comes before the proxies' asserts: not required.
if [ -n "$MPICH_BIN" ]; then
	LOSS_RUN=mpich LOSS_BIN=$MPICH_BIN
	kill_mpich3() { kill_node3 'factorize|hydra_pmi_proxy'; }
	loss "MPICH: kill the ranks on $N3" kill_ranks3 true no
	loss "MPICH: kill every process of $N3 (proxy and ranks)" kill_mpich3 true no
	LOSS_RUN=ompi LOSS_BIN=./factorize
fi

# ---- 5: wrong interface, unreachable node ----
# bad NAME PATTERN BOUND ARGS...: the run must fail within BOUND s with
# PATTERN in its messages.
bad() {
	local name=$1 pat=$2 bound=$3 t rc secs; shift 3
	t=$(date +%s.%N)
	timeout -k 5 "$bound" mpirun --mca plm_rsh_agent "$FZC_AGENT" --hostfile "$FZC_HOSTFILE" \
		-np 8 "$@" ./factorize --count 999 --quiet >/dev/null 2>"$W/bad.err"; rc=$?
	secs=$(elapsed "$t")
	echo "     $name: exit $rc after $secs s: $(grep -m1 -E "$pat" "$W/bad.err")"
	check "$name: fails (exit $rc) within $bound s" test "$rc" -ne 0
	if grep -qE "$pat" "$W/bad.err"; then pass "$name: says '$pat'"
	else fail "$name: says '$pat'" "$(grep -v '^\s*$' "$W/bad.err" | head -3 | tr '\n' '|')"; fi
}
bad "oob_tcp_if_include lo" "unable to reliably start" "$BAD_BOUND" \
	--mca btl_tcp_if_include "$FZC_SUBNET" --mca oob_tcp_if_include lo
ip link set "$V4" down
bad "$N4 unreachable (link down before the launch)" "unable to reliably start" "$BAD_BOUND" $OMPI_NET
ip link set "$V4" up
# Open MPI says one of two things here, by timing: the connecting side
# "failed to TCP connect", or the accepting side "accepted a TCP
# connection from what appears to be a[nother Open MPI process]".
bad "btl_tcp_if_include lo (hangs; bounded by timeout only)" \
	"failed to TCP connect|accepted a TCP connection" "$HANG_BOUND" \
	--mca btl_tcp_if_include lo --mca oob_tcp_if_include "$FZC_SUBNET"
for nd in $FZC_NODES; do # a hung run's leftovers
	for p in $(ip netns pids "$nd"); do
		case "$(cat "/proc/$p/comm" 2>/dev/null)" in factorize | orted) kill -KILL "$p" ;; esac
	done
done

summary
