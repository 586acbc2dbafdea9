#!/usr/bin/env bash
# tests/cluster/cluster.sh - a multi-node cluster on one machine: N network
# namespaces on a bridge, each a "node" with its own address and hostname,
# for make cluster-up / cluster-down / test-cluster (issue 18).
#
#   tests/cluster/cluster.sh up [N]    make N nodes (default 4); refuses when
#                                      any name or address is taken
#   tests/cluster/cluster.sh down      remove exactly what `up` made (the
#                                      manifest), Slurm daemons first
#   tests/cluster/cluster.sh status    nodes, addresses, daemons
#   tests/cluster/cluster.sh env       print the variables the tests use:
#                                      eval "$(tests/cluster/cluster.sh env)"
#   tests/cluster/cluster.sh slurm-up | slurm-down   Slurm across the nodes
#                                      (slurmctld and munged on the host, one
#                                      slurmd per node): tests/cluster/slurm.sh
#
# The nodes (PREFIX defaults to fzc, NET to 198.19.77; both overridable as
# FZC_PREFIX / FZC_NET so two clusters can coexist):
#   bridge  ${PREFIX}br0, address NET.1/24 on the host
#   node i  namespace ${PREFIX}i (also its hostname), a veth pair whose host
#           end ${PREFIX}vi is on the bridge and whose other end is eth0
#           inside, address NET.(10+i)/24, lo up
# 198.18.0.0/15 is reserved for network benchmarking (RFC 2544), so no real
# network uses it.  Name resolution: host /etc/hosts gains one line per node
# ending in the marker "# fzc-cluster PREFIX"; each node gets an
# /etc/netns/NODE/hosts (which `ip netns exec` mounts over /etc/hosts) that
# also resolves the host's own name to the bridge address: MPICH's Hydra
# proxies connect back to the launching host by name.
#
# Files (in FZC_DIR, default /run/fzc-cluster-PREFIX; outside /tmp because
# each slurmd gets a private /tmp):
#   manifest        one line per thing made, in order; `down` undoes them in
#                   reverse, so it never touches what it did not make
#   nodes           the node names, one a line
#   hostfile        Open MPI: "NODE slots=S" (S = FZC_SLOTS, default 2)
#   hosts.mpich     MPICH Hydra: "NODE:S"
#   agent           the launcher agent for both: `agent NODE CMD...` runs CMD
#                   in NODE's namespace under its own hostname (a UTS
#                   namespace); Open MPI: --mca plm_rsh_agent AGENT, Hydra:
#                   -launcher rsh -launcher-exec AGENT.  It refuses any
#                   host that is not a node of this cluster.
# `up` cleans up after itself when it fails (trap).  The kernel here has no
# netem, so link latency cannot be emulated with tc; `tc tbf` (bandwidth)
# works on the host ends ${PREFIX}vi.
set -u

PREFIX=${FZC_PREFIX:-fzc}
NET=${FZC_NET:-198.19.77}
SLOTS=${FZC_SLOTS:-2}
DIR=${FZC_DIR:-/run/fzc-cluster-$PREFIX}
BR=${PREFIX}br0
MARK="# fzc-cluster $PREFIX"
MAX_NODES=32 # addresses NET.11..NET.42; 32 is far above what 2 cores can run
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "cluster: $*" >&2; exit 1; }
node() { echo "$PREFIX$1"; }
addr() { echo "$NET.$((10 + $1))"; }

# record LINE: append to the manifest (what down will undo).
record() { echo "$*" >>"$DIR/manifest"; }

# taken N: print every name or address `up N` would use that exists already.
taken() {
	local n=$1 i nd
	ip link show "$BR" >/dev/null 2>&1 && echo "link $BR"
	for ((i = 1; i <= n; i++)); do
		nd=$(node "$i")
		[ -e "/run/netns/$nd" ] && echo "netns $nd"
		ip link show "${PREFIX}v$i" >/dev/null 2>&1 && echo "link ${PREFIX}v$i"
		[ -e "/etc/netns/$nd" ] && echo "/etc/netns/$nd"
		grep -qw "$nd" /etc/hosts && echo "/etc/hosts name $nd"
	done
	ip -4 -o addr show | grep -q " $NET\." && echo "addresses $NET.0/24 (on $(ip -4 -o addr show | grep " $NET\." | awk '{print $2}' | head -1))"
	grep -qF "$MARK" /etc/hosts && echo "/etc/hosts lines marked '$MARK'"
	[ -e "$DIR/manifest" ] && echo "$DIR/manifest (a cluster is up: cluster.sh down)"
	return 0
}

# answers I: node I's address is reachable from the host (TCP connect to a
# closed port is refused at once when the link works; ping may be absent).
answers() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		ip netns exec "$(node "$1")" ip -4 addr show eth0 | grep -q "$(addr "$1")/" &&
			timeout 2 bash -c "exec 3<>/dev/tcp/$(addr "$1")/9; true" 2>&1 | grep -q refused && return 0
		sleep 0.2
	done
	return 1
}

write_agent() {
	cat >"$DIR/agent" <<EOF
#!/bin/sh
# Launcher agent of the fzc cluster ($DIR): AGENT NODE CMD... runs CMD in
# NODE's network namespace (and its /etc/netns/NODE/hosts) with NODE as
# hostname.  Open MPI's rsh launcher and MPICH's Hydra call it as ssh.
h=\$1; shift
grep -qx "\$h" "$DIR/nodes" || { echo "fzc agent: \$h is not a node of this cluster" >&2; exit 255; }
exec ip netns exec "\$h" unshare --uts sh -c "hostname \$h; \$*"
EOF
	chmod +x "$DIR/agent"
}

up() {
	local n=${1:-4} i j nd a t0 busy hostname_s
	case "$n" in '' | *[!0-9]*) die "N must be a number, not '$n'" ;; esac
	[ "$n" -ge 1 ] && [ "$n" -le "$MAX_NODES" ] || die "N must be 1..$MAX_NODES"
	[ "$(id -u)" = 0 ] || die "needs root (ip netns, bridges, /etc/hosts)"
	busy=$(taken "$n")
	[ -z "$busy" ] || die "refusing to start, already taken:
$busy"
	t0=$(date +%s.%N)
	mkdir -p "$DIR" || die "cannot create $DIR"
	: >"$DIR/manifest"
	trap 'echo "cluster: up failed; removing what was made" >&2; down >/dev/null 2>&1' EXIT
	hostname_s=$(hostname)
	ip link add "$BR" type bridge || die "ip link add $BR failed"
	record "link $BR"
	ip addr add "$NET.1/24" dev "$BR" && ip link set "$BR" up || die "bridge address"
	: >"$DIR/nodes"
	for ((i = 1; i <= n; i++)); do echo "$(node "$i")" >>"$DIR/nodes"; done
	for ((i = 1; i <= n; i++)); do
		nd=$(node "$i"); a=$(addr "$i")
		ip netns add "$nd" || die "ip netns add $nd failed"
		record "netns $nd"
		ip link add "${PREFIX}v$i" type veth peer name "${PREFIX}p$i" || die "veth $i"
		record "link ${PREFIX}v$i"
		ip link set "${PREFIX}p$i" netns "$nd" &&
			ip -n "$nd" link set "${PREFIX}p$i" name eth0 &&
			ip -n "$nd" addr add "$a/24" dev eth0 &&
			ip -n "$nd" link set eth0 up &&
			ip -n "$nd" link set lo up &&
			ip link set "${PREFIX}v$i" master "$BR" &&
			ip link set "${PREFIX}v$i" up || die "wiring node $nd"
		mkdir -p "/etc/netns/$nd" && record "dir /etc/netns/$nd"
		{
			echo "127.0.0.1 localhost"
			echo "$NET.1 $hostname_s $MARK"
			for ((j = 1; j <= n; j++)); do echo "$(addr "$j") $(node "$j") $MARK"; done
		} >"/etc/netns/$nd/hosts"
	done
	record "hosts $MARK"
	for ((i = 1; i <= n; i++)); do echo "$(addr "$i") $(node "$i") $MARK"; done >>/etc/hosts
	: >"$DIR/hostfile"; : >"$DIR/hosts.mpich"
	for ((i = 1; i <= n; i++)); do
		echo "$(node "$i") slots=$SLOTS" >>"$DIR/hostfile"
		echo "$(node "$i"):$SLOTS" >>"$DIR/hosts.mpich"
	done
	write_agent
	# Every node answers on the bridge before we say so.
	for ((i = 1; i <= n; i++)); do
		answers "$i" || die "node $(node "$i") does not answer on $(addr "$i")"
	done
	trap - EXIT
	printf 'cluster: %d nodes up in %.1f s (%s, bridge %s %s.1, nodes %s.11..%s; %s)\n' \
		"$n" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')" \
		"$(tr '\n' ' ' <"$DIR/nodes" | sed 's/ $//')" "$BR" "$NET" "$NET" "$((10 + n))" "$DIR"
}

down() {
	local kind what
	[ -f "$DIR/manifest" ] || { echo "cluster: nothing to take down ($DIR/manifest absent)"; return 0; }
	[ -x "$HERE/slurm.sh" ] && FZC_DIR=$DIR FZC_PREFIX=$PREFIX FZC_NET=$NET "$HERE/slurm.sh" down >/dev/null 2>&1
	# Reverse order: the hosts lines and files, the namespaces (which takes
	# their veth ends with them), the links, the bridge last.
	tac "$DIR/manifest" | while read -r kind what; do
		case "$kind" in
		hosts) grep -vF "$what" /etc/hosts >"$DIR/hosts.new" && cat "$DIR/hosts.new" >/etc/hosts && rm -f "$DIR/hosts.new" ;;
		dir) rm -rf "$what" ;;
		netns)
			# processes still in the namespace (a killed job's leftovers)
			for p in $(ip netns pids "$what" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
			ip netns del "$what" ;;
		link) ip link del "$what" 2>/dev/null ;;
		esac
	done
	rm -f "$DIR/manifest" "$DIR/nodes" "$DIR/hostfile" "$DIR/hosts.mpich" "$DIR/agent"
	rmdir "$DIR" 2>/dev/null
	echo "cluster: down"
}

status() {
	[ -f "$DIR/manifest" ] || { echo "cluster: not up ($DIR)"; return 1; }
	ip -br addr show "$BR"
	while read -r nd; do
		printf '%s: %s, %s process(es)\n' "$nd" \
			"$(ip -n "$nd" -4 -br addr show eth0 | awk '{print $2, $3}')" \
			"$(ip netns pids "$nd" | wc -l)"
	done <"$DIR/nodes"
	# Slurm's status only when its controller runs: squeue without one
	# waits for its message timeouts (minutes)
	[ -x "$HERE/slurm.sh" ] && [ -s "$DIR/slurm/slurmctld.pid" ] &&
		FZC_DIR=$DIR timeout 20 "$HERE/slurm.sh" status 2>/dev/null
	return 0
}

env_vars() {
	echo "export FZC_DIR=$DIR FZC_PREFIX=$PREFIX FZC_NET=$NET FZC_SUBNET=$NET.0/24"
	echo "export FZC_NODES=\"$(tr '\n' ' ' <"$DIR/nodes" | sed 's/ $//')\""
	echo "export FZC_AGENT=$DIR/agent FZC_HOSTFILE=$DIR/hostfile FZC_HOSTS_MPICH=$DIR/hosts.mpich"
}

case "${1:-status}" in
up) up "${2:-4}" ;;
down) down ;;
status) status ;;
env) [ -f "$DIR/nodes" ] || die "not up"; env_vars ;;
slurm-up | slurm-down | slurm-status)
	FZC_DIR=$DIR FZC_PREFIX=$PREFIX FZC_NET=$NET "$HERE/slurm.sh" "${1#slurm-}" ;;
*) die "usage: $0 up [N] | down | status | env | slurm-up | slurm-down" ;;
esac
