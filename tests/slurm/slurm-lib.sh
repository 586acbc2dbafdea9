# shellcheck shell=bash
# tests/slurm/slurm-lib.sh - the pieces both test Slurm clusters share:
# tests/slurm/local-cluster.sh (one node on localhost) and
# tests/cluster/slurm.sh (one slurmd per network-namespace node).  Source
# it; it defines functions only.
#
#   slurm_install_missing     apt-get the Slurm and munge packages missing
#   slurm_alive PIDFILE       the process of PIDFILE runs
#   slurm_stop_pidfile FILE NAME TAG   stop that process (TERM, then KILL
#                             after 5 s), remove FILE, print "TAG: stopped"
#   slurm_conf_policy         the slurm.conf lines both clusters use: munge
#                             authentication, no accounting, no cgroups, the
#                             scheduler settings below
#
# Why the policy lines (../shared/notes/slurm-local.md): AuthInfo
# cred_expire must be >= 5 (it is also the requeue delay), so the caller
# writes AuthInfo itself; EnforcePartLimits=ALL makes an oversized job fail
# at submission instead of pending forever; sched_interval=1 (the main
# scheduler's period, 60 s by default) starts a requeued job as soon as
# cred_expire has passed; config_overrides lets a node claim more CPUs than
# the machine has, so 4- or 8-task jobs fit on 2 cores; proctrack/linuxproc
# and task/none need no cgroups.  There is no accounting (sacct does not
# work): poll squeue / scontrol show job.

SLURM_PKGS="munge slurmctld slurmd slurm-client"
SLURM_SUDO=$([ "$(id -u)" = 0 ] || echo sudo)

slurm_install_missing() {
	local missing="" p
	for p in $SLURM_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "slurm: installing$missing"
	# The package lists may be stale on a fresh machine: update only when
	# the first attempt fails.
	DEBIAN_FRONTEND=noninteractive $SLURM_SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 ||
		{ $SLURM_SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SLURM_SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null; }
}

slurm_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

slurm_stop_pidfile() {
	local pid
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
		echo "${3:-slurm}: stopped $2 ($pid)"
	fi
	rm -f "$1"
}

slurm_conf_policy() {
	cat <<'CONF'
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1,sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
EnforcePartLimits=ALL
SlurmdParameters=config_overrides
KillWait=5
MinJobAge=300
CONF
}
