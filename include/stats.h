/*
 * stats.h - the --stats report of a job: figures in, JSON out.
 *
 * Pure module: rank 0 gathers the figures (its own counters, every rank's
 * STATS message, the scheduler's counts, the liveness events) into a
 * struct stats_job and this module derives the totals and writes the
 * JSON; it never reads a clock, never opens a file, never prints to
 * stderr.  The JSON's keys and their order are the interface scripts
 * read (tests/integration/it_*.sh, tests/bench/, tests/cluster/):
 * one object, every key always present, "ranks" one object per rank in
 * rank order, "liveness_events" in the order they happened.
 *
 * Usage (rank 0, at the end of a job):
 *   struct stats_job j = { ... figures ..., .ranks = r, .ev = ev };
 *   struct stats_totals t;
 *   stats_totals(&j, &t);              (for the summary line too)
 *   st = stats_write_json(f, &j, &t);  (f opened and closed by the caller)
 * Nothing is allocated: nothing to clear.  The job borrows ranks and ev.
 */
#ifndef FACTORIZE_STATS_H
#define FACTORIZE_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "proto.h"

/* A worker went late or answered again ("liveness_events"). */
struct stats_event {
	int rank;
	int back;        /* 0: late (deadline passed), 1: answered */
	uint32_t chunks; /* late: chunks handed to others */
	double t;        /* seconds since the start */
};

/* One rank's figures: what it reported, and what rank 0 counted. */
struct stats_rank {
	struct proto_stats s;   /* as the rank reported them (STATS) */
	uint64_t accepted;      /* numbers of its results that were kept */
	uint64_t bytes_written; /* output bytes it wrote */
	double last_result_s;   /* when its last RESULT came (since t0) */
	int parent;             /* the rank it reports to; -1 for rank 0 */
	int child;              /* 1: a child of rank 0 (worker or leader) */
	int hung;               /* 1: stopped answering, never came back */
};

/* The job's figures.  ranks[0 .. size-1]; ev[0 .. n_ev-1]. */
struct stats_job {
	int size;       /* MPI ranks */
	int local;      /* 1: one rank, rank 0 factored itself */
	int workers;    /* ranks that factor */
	int group_size; /* --group-size, CLI_GROUP_NODE for "node" */
	int groups;     /* rank 0's children that lead a group */
	double rank0_cpu_s, rank0_wait_cpu_s, wall_s;
	uint64_t numbers; /* numbers written */
	uint64_t speculated, duplicates, late_events, reissued;
	uint64_t rewritten, wrong_results;
	uint64_t joins; /* JOINs sent: helpers on shared numbers (proto.h 13) */
	uint64_t chunks_written, bytes_written, partial, lines_checked;
	const struct stats_rank *ranks;
	const struct stats_event *ev;
	uint32_t n_ev;
};

/* What stats_totals derives from the ranks. */
struct stats_totals {
	uint64_t chunks, messages, bytes; /* summed over every rank */
	/* the busiest factoring rank's busy time over the mean (1 when
	   none was busy) */
	double imbalance;
	/* from the first of rank 0's children going idle for good (its
	   last RESULT) to the last one's; 0 without children */
	double tail_s;
};

void stats_totals(const struct stats_job *j, struct stats_totals *t);

/*
 * The JSON report of j (totals t from stats_totals) on f.  STATUS_OK, or
 * STATUS_ERR_IO when f reports an error (errno is the stream's).
 */
int stats_write_json(FILE *f, const struct stats_job *j,
		     const struct stats_totals *t);

#endif
