/*
 * main.c - entry point: MPI up, options, rank 0 runs the master, group
 * leaders (--group-size) the leader loop and the others the worker loop,
 * MPI down, exit code.
 *
 * Invariants: every rank parses the same argv, so a usage error, --help
 * or --version ends every rank the same way without any message exchange
 * (no rank is left blocked); only rank 0 prints.  Exit codes are those of
 * cli.h.  Signals are caught before MPI_Init and again after it (which
 * may install its own handlers) and only set a flag that rank 0's master
 * polls; they are blocked during MPI_Init, so only the main thread takes
 * them (main_mask_signals).  A rank started by a launcher (mpirun,
 * Open MPI's orted, Hydra's proxy, slurmstepd) dies with it at once
 * (main_die_with_launcher); a program started by hand does not.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <gmp.h>

#include "cli.h"
#include "engine.h"
#include "group.h"
#include "master.h"
#include "proto.h"
#include "topo.h"
#include "status.h"
#include "transport.h"
#include "worker.h"

#define FACTORIZE_VERSION "1.0"

/* The last signal received; rank 0's master polls it. */
static volatile sig_atomic_t main_signo;

static void main_on_signal(int sig)
{
	main_signo = sig;
}

/*
 * SIGINT, SIGTERM and SIGUSR1 (Slurm's warning before the time limit) are
 * caught on every rank: rank 0 stops the job in order; a worker keeps
 * going until the master's STOP, so no rank dies under the others.
 */
static const int main_sigs[] = { SIGINT, SIGTERM, SIGUSR1 };

static void main_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = main_on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof main_sigs / sizeof main_sigs[0]; i++)
		(void)sigaction(main_sigs[i], &sa, NULL);
}

/*
 * how = SIG_BLOCK around MPI_Init, SIG_UNBLOCK after it.  The threads
 * MPI_Init starts (Open MPI's event and progress threads) inherit the
 * blocked mask, so the kernel delivers these signals to the main thread
 * only: its blocking read of a pipe or a FIFO is then cut (EINTR, no
 * SA_RESTART) and the job stops at once instead of when data arrives.
 * A signal that came during MPI_Init waits and is delivered on unblock.
 */
static void main_mask_signals(int how)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof main_sigs / sizeof main_sigs[0]; i++)
		sigaddset(&set, main_sigs[i]);
	(void)pthread_sigmask(how, &set, NULL);
}

/*
 * Standard input closed by the caller (`factorize <&-`): MPI_Init would
 * take descriptor 0 for one of its own sockets and the job would read
 * from it.  Put /dev/null there first and remember the fact, so that
 * rank 0 can say that standard input is closed (preflight.c).  Standard
 * output is left as it is: a closed one must fail the writes.
 */
static int main_stdin_closed(void)
{
	int fd;

	if (fcntl(STDIN_FILENO, F_GETFD) != -1 || errno != EBADF)
		return 0;
	fd = open("/dev/null", O_RDONLY);
	if (fd > STDIN_FILENO) {
		(void)dup2(fd, STDIN_FILENO);
		close(fd);
	}
	return 1;
}

/*
 * Launcher death: a rank whose launcher is killed (kill -9 of mpirun, a
 * node's daemon gone) must not run on and keep the journal locked, so it
 * asks the kernel for SIGKILL when its parent (the process that started
 * it: mpirun or orted for Open MPI, hydra_pmi_proxy for MPICH, slurmstepd)
 * exits.  SIGKILL, not SIGTERM: with the launcher gone no one waits for an
 * orderly stop, MPI itself may hang, and the journal is safe under SIGKILL
 * (journal.h, DURABILITY).  Race-free: the parent is read first, the
 * request made, the parent read again; a parent that died in between has
 * made us a child of init (or of a subreaper) and we go at once.  Only
 * under a launcher (transport_launched): a program started by hand from a
 * shell that later exits (nohup) must live on.  Before MPI_Init, so that
 * a rank stuck in MPI start-up goes too.  Linux only (prctl); elsewhere
 * the launcher's own teardown applies.
 */
static void main_die_with_launcher(void)
{
#ifdef __linux__
	if (!transport_launched())
		return;
	pid_t parent = getppid();
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		return; /* not fatal: the launcher's teardown still applies */
	if (getppid() != parent)
		raise(SIGKILL);
#endif
}

int main(int argc, char **argv)
{
	struct options o;
	char err[512], lib[256];
	int st, rank, code;
	int *nodes = NULL;
	int stdin_closed = main_stdin_closed();

	err[0] = '\0';
	main_die_with_launcher();
	/* before MPI_Init too: a SIGTERM during a slow start-up (Slurm's
	   time limit, a kill test) must give exit 75, not death by signal */
	main_catch_signals();
	main_mask_signals(SIG_BLOCK);
	st = transport_init(&argc, &argv, err, sizeof err);
	if (st != STATUS_OK) {
		fprintf(stderr, "factorize: %s\n", err);
		/* RANGE: a command line too long to start MPI (the user's) */
		return st == STATUS_ERR_RANGE ? CLI_EXIT_USAGE
					      : CLI_EXIT_RUNTIME;
	}
	rank = transport_rank();
	main_catch_signals();
	main_mask_signals(SIG_UNBLOCK);
	engine_process_init();
	cli_options_init(&o);
	st = cli_parse(&o, argc, argv, err, sizeof err);
	o.stdin_closed = stdin_closed;
	if (st == STATUS_OK && o.latency_us > 0) /* before any message */
		transport_set_latency((uint64_t)o.latency_us * 1000u);
	if (st == STATUS_OK && o.group_size == CLI_GROUP_NODE) {
		/* collective: every rank parsed the same argv, so all get here */
		nodes = malloc((size_t)transport_size() * sizeof *nodes);
		if (nodes == NULL ||
		    transport_node_ids(nodes, err, sizeof err) != STATUS_OK) {
			fprintf(stderr,
				"factorize: rank %d: --group-size node: "
				"%s\n",
				rank, nodes == NULL ? "out of memory" : err);
			transport_abort(CLI_EXIT_RUNTIME);
		}
		o.group_nodes = nodes;
	}
	if (st != STATUS_OK) {
		if (rank == 0)
			fprintf(stderr,
				"factorize: %s\nTry 'factorize --help' "
				"for more information.\n",
				err);
		code = CLI_EXIT_USAGE;
	} else if (o.help) {
		if (rank == 0)
			fputs(cli_usage(), stdout);
		code = CLI_EXIT_OK;
	} else if (o.version) {
		if (rank == 0) {
			transport_library_version(lib, sizeof lib);
			printf("factorize %s\nGMP %s\n%s\n", FACTORIZE_VERSION,
			       gmp_version, lib);
		}
		code = CLI_EXIT_OK;
	} else if (rank == 0) {
		char warn[512];
		if (cli_warnings(&o, warn, sizeof warn) > 0)
			fputs(warn, stderr);
		code = master_run(&o, &main_signo);
	} else {
		/* --group-size: the first rank of each group leads it */
		if (topo_group_members_in(rank, transport_size(), o.group_size,
					  o.group_nodes) > 0)
			st = group_run(&o, err, sizeof err);
		else
			st = worker_run(&o, err, sizeof err);
		if (st == STATUS_ERR_MPI || st == STATUS_ERR_NOMEM)
			fprintf(stderr, "factorize: rank %d: %s\n", rank, err);
		code = st == STATUS_OK ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
	}
	cli_options_clear(&o);
	free(nodes);
	if (fflush(stdout) != 0 && code == CLI_EXIT_OK)
		code = CLI_EXIT_RUNTIME;
	st = transport_finalize(err, sizeof err);
	if (st != STATUS_OK) {
		fprintf(stderr, "factorize: rank %d: %s\n", rank, err);
		if (code == CLI_EXIT_OK)
			code = CLI_EXIT_RUNTIME;
	}
	return code;
}
