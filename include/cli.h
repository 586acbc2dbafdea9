/*
 * cli.h - command-line options of factorize and the program's exit codes.
 *
 * cli_parse is pure: it fills struct options from argv, never prints and
 * never exits; on a usage error it returns STATUS_ERR_INVAL with a one-line
 * message in err.  main decides what to print and which exit code to use.
 * Every rank parses the same argv; only rank 0 reports errors.
 */
#ifndef FACTORIZE_CLI_H
#define FACTORIZE_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <gmp.h>

/* Exit codes, documented in README and the man page. */
enum cli_exit {
	CLI_EXIT_OK = 0,        /* every number factored and written */
	CLI_EXIT_BAD_INPUT = 1, /* some input tokens were invalid (as factor) */
	CLI_EXIT_USAGE = 2,     /* bad options: usage message on stderr */
	CLI_EXIT_RUNTIME = 3,   /* I/O, MPI, verification or worker failure */
	CLI_EXIT_HUNG = 4,      /* output complete and journaled, but some
				     rank stopped answering (it was named;
				     the job ended with MPI_Abort) */
	CLI_EXIT_INTERRUPTED = 75 /* stopped by a signal; checkpoint is valid:
				     EX_TEMPFAIL, the sbatch script requeues */
};

/*
 * Default per-number time limit: a batch must not stall for ever on one
 * number beyond the reach of ECM and SIQS (above ~100 digits with no
 * factor ECM finds, SIQS would take hours).  Every number within SIQS
 * range up to ~95 digits finishes well inside it on one core.
 */
#define CLI_DEFAULT_TIME_LIMIT 3600.0
/* --test-fault-rank 2147483647 (INT_MAX, no job has that many ranks):
   the fault is every worker's (a kill test slows them all). */
#define CLI_FAULT_EVERY_RANK 2147483647

enum cli_format { CLI_FORMAT_TEXT = 0, CLI_FORMAT_JSON, CLI_FORMAT_CSV };
/* --verify (block.h says what rank 0 checks under each) */
enum cli_verify {
	CLI_VERIFY_FULL = 0,
	CLI_VERIFY_PRODUCT,
	CLI_VERIFY_NONE,
	CLI_VERIFY_SAMPLE
};
/* --group-size node (options.group_size) */
enum { CLI_GROUP_NODE = -1 };
/* --test-latency-us cap: 1 s, far above a real network's round trip (the
   benchmark goes to 2 ms) yet short enough that a typo cannot stall a test
   for hours. */
enum { CLI_MAX_LATENCY_US = 1000000 };
/* --test-range-bytes at most 1 MiB: 2^19 + 1 numbers of 2 bytes at most,
   below PROTO_MAX_CHUNK (a longer line still makes a longer range) */
enum { CLI_MAX_RANGE_BYTES = 1 << 20 };

struct options {
	/* The job: a generated progression, an input file, or arguments. */
	int generated;     /* 1 when --count was given */
	uint64_t count;    /* --count N (>= 1) */
	mpz_t start;       /* --start S, default 999999999999 */
	mpz_t step;        /* --step K, default 2 */
	const char *input; /* --input FILE, "-" = stdin; NULL = none.
				  cli_parse sets "-" when no --count, no
				  --input and no number was given (GNU factor
				  reads standard input then) */
	char **numbers;    /* positional numbers (point into argv) */
	int n_numbers;

	/* Scheduling. */
	uint32_t chunk;         /* --chunk C; 0 = adaptive (guided) sizes */
	uint32_t prefetch;      /* --prefetch K chunks in hand beyond the one
				  being factored; default 1 */
	int unordered;          /* --unordered: write results as they arrive */
	int group_size;         /* --group-size G: ranks 1.. in groups of G
				  led by a sub-master (proto.h, GROUPS);
				  0 = flat (default), never 1;
				  CLI_GROUP_NODE: one group per node */
	const int *group_nodes; /* --group-size node: node id of every rank
				  (filled by main from the transport), else
				  NULL; owned by main */

	/* Output. */
	const char *output; /* --output FILE; NULL = stdout */
	int format;         /* enum cli_format, --format */
	int exponents;      /* -h / --exponents: 2^3 3 5^3 */
	int verbose;        /* --verbose: JSON gains rank and time */
	int quiet;          /* --quiet: no summary or progress on stderr */
	int progress;       /* --progress: plain progress lines */
	const char *stats;  /* --stats FILE: JSON statistics */

	/* Robustness. */
	const char *checkpoint; /* --checkpoint FILE: journal of done chunks */
	int resume;             /* --resume: require an existing journal */
	double time_limit;      /* --time-limit-per-number SECONDS, default
				  CLI_DEFAULT_TIME_LIMIT; 0 = none */
	unsigned long max_digits; /* --max-digits D, default 10000 */
	int verify;               /* enum cli_verify, --verify */
	uint64_t seed;            /* --seed S for the engine, default 1 */
	double worker_timeout;    /* --worker-timeout SECONDS: a worker silent
				  that long while holding work is late; 0 =
				  learned from its chunk times (sched.h) */

	/* Test-only (hidden from --help): fault injection. */
	uint32_t fault_flags; /* enum proto_fault bits */
	int fault_rank;       /* rank that misbehaves; -1 = none;
				 CLI_FAULT_EVERY_RANK: every worker */
	unsigned fault_ms;    /* PROTO_FAULT_SLOW: sleep per chunk */
	/* --test-latency-us: every message held this long (link-latency
	   emulation in transport.c), at most CLI_MAX_LATENCY_US */
	unsigned latency_us;
	/* --test-range-bytes: the byte range size of --input FILE
	   (proto.h 3a), 1 to CLI_MAX_RANGE_BYTES; 0 = sized by rank 0 */
	uint32_t range_bytes;
	/* --test-rank0-writes: rank 0 writes --output itself (the byte
	   path) even where the workers would (proto.h 3b); the benchmarks
	   compare the two, the unit tests plant faults in RESULT bytes */
	int rank0_writes;

	int help;    /* --help */
	int version; /* --version */

	/* Not an option: set by main when the caller started the program
	   with standard input closed (checked in preflight.c). */
	int stdin_closed;
};

void cli_options_init(struct options *o);  /* defaults */
void cli_options_clear(struct options *o); /* NULL allowed */

/* STATUS_OK, or STATUS_ERR_INVAL with a message in err. */
int cli_parse(struct options *o, int argc, char **argv, char *err,
	      size_t err_size);

/*
 * Options that the chosen format ignores (--verbose with text, -h with
 * JSON or CSV), as lines "factorize: warning: ...\n" in buf (cut to size,
 * always terminated; "" when there is nothing to say).  Returns the
 * length.  main prints them once, on rank 0, --quiet or not.
 */
size_t cli_warnings(const struct options *o, char *buf, size_t size);

/* The --help text (one static string, kept in step with the man page). */
const char *cli_usage(void);

#endif
