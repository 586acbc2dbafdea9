/*
 * transport.h - the thin layer between factorize and MPI.
 *
 * transport.c is the only file that includes mpi.h.  It initialises MPI
 * with errors returned (MPI_ERRORS_RETURN) rather than fatal, and maps
 * every failure to STATUS_ERR_MPI with the MPI error string in err.
 *
 * Sends never block the caller on a busy peer: transport_send takes the
 * bytes of a proto_buf by swapping buffers with a slot of a small pool of
 * MPI_Isend requests (no copy), and hands back an empty buffer whose
 * memory the pool no longer needs.  Receives take messages of any length
 * up to PROTO_MAX_MSG (MPI_Iprobe + MPI_Get_count + MPI_Recv).  Waiting
 * polls MPI_Iprobe and backs off (spin briefly, yield, then nanosleep
 * growing to TRANSPORT_MAX_SLEEP_NS) so an idle rank does not burn a core.
 *
 * The state is process-wide (MPI is); call transport_init once first and
 * transport_finalize once last.
 */
#ifndef FACTORIZE_TRANSPORT_H
#define FACTORIZE_TRANSPORT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

enum {
	TRANSPORT_ANY = -1,             /* any source / any tag */
	TRANSPORT_MAX_SLEEP_NS = 500000 /* longest back-off sleep: 0.5 ms */
};

/* A received message: the bytes (owned, reused across receives). */
struct transport_msg {
	struct proto_buf buf;
	int source;
	int tag;
};

struct transport_counters {
	uint64_t msgs_sent, msgs_recv, bytes_sent, bytes_recv;
	uint64_t idle_ns; /* time spent waiting in transport_wait */
};

/*
 * Was this process started by an MPI launcher?  Each sets one of these in
 * the environment: Open MPI's mpirun and orted OMPI_COMM_WORLD_SIZE, PMIx
 * servers (Open MPI 4+, srun --mpi=pmix) PMIX_RANK, MPICH's Hydra and
 * PMI-1/PMI-2 launchers (srun --mpi=pmi2) PMI_RANK, PMI_SIZE, PMI_FD or
 * PMI_PORT.  A program started by hand has none of them.  Callable before
 * transport_init.
 */
int transport_launched(void);

/*
 * MPI_Init_thread (SINGLE: no threads); STATUS_OK, STATUS_ERR_MPI, or
 * STATUS_ERR_RANGE (MPI not started) when an Open MPI singleton could not
 * start with a command line this long (err says so).  Without a launcher
 * (transport_launched) and without FACTORIZE_MPI=1 in the environment,
 * MPI is not started at all: rank 0 of 1, the message and file calls fail
 * with STATUS_ERR_MPI, transport_wtime is CLOCK_MONOTONIC, transport_abort
 * exits.
 */
int transport_init(int *argc, char ***argv, char *err, size_t err_size);
/* Completes pending sends, frees the pool, MPI_Finalize. */
int transport_finalize(char *err, size_t err_size);
int transport_rank(void);
int transport_size(void);
/*
 * node[r] for every rank r (size entries): the lowest world rank on r's
 * node (MPI_Comm_split_type, MPI_COMM_TYPE_SHARED), so ranks of one node
 * share it.  Collective: every rank calls it.  STATUS_OK or
 * STATUS_ERR_MPI.
 */
int transport_node_ids(int *node, char *err, size_t err_size);
/* Wall-clock seconds (MPI_Wtime). */
double transport_wtime(void);

void transport_msg_init(struct transport_msg *m);
void transport_msg_clear(struct transport_msg *m); /* NULL allowed */

/*
 * Send b's bytes to dest with tag.  b's memory moves to the send pool and
 * b receives an empty buffer in exchange (len 0); the caller keeps owning
 * b itself.  Never waits for the receiver unless the pool is full.
 */
int transport_send(int dest, int tag, struct proto_buf *b, char *err,
		   size_t err_size);

/*
 * Receive one message from source (or TRANSPORT_ANY) with tag (or
 * TRANSPORT_ANY) if one is waiting: *got = 1 and m filled, else *got = 0.
 * A message longer than PROTO_MAX_MSG is drained and STATUS_ERR_PROTO is
 * returned with the sender in m->source.
 */
int transport_poll(struct transport_msg *m, int source, int tag, int *got,
		   char *err, size_t err_size);

/*
 * Wait for one message (source/tag as transport_poll) without spinning a
 * core; timeout_s <= 0 waits for ever.  STATUS_ERR_TIMEOUT when the
 * timeout expired, STATUS_ERR_STOPPED when the interrupt flag is set.
 */
int transport_wait(struct transport_msg *m, int source, int tag,
		   double timeout_s, char *err, size_t err_size);

/*
 * From now on transport_wait returns STATUS_ERR_STOPPED as soon as *flag
 * is non-zero (set by a signal handler); NULL turns the check off.
 */
void transport_set_interrupt(const volatile sig_atomic_t *flag);

/*
 * Test only: hold every message for ns nanoseconds after its send before
 * transport_poll/transport_probe hand it out (link-latency emulation; see
 * transport.c).  Every rank must set the same value before its first send.
 */
void transport_set_latency(uint64_t ns);

/*
 * Wait until every message this rank sent has been taken by its receiver
 * (the send pool is empty), testing every 0.1 ms without spinning;
 * timeout_s <= 0 waits for ever.  STATUS_OK, STATUS_ERR_TIMEOUT,
 * STATUS_ERR_MPI.  A helper calls it before it answers LEAVE (proto.h 14).
 */
int transport_flush(double timeout_s, char *err, size_t err_size);

/* 1 if a message with tag from source is waiting (no receive). */
int transport_probe(int source, int tag);

void transport_counters(struct transport_counters *c);

/* The MPI library's version string, one line, into buf. */
void transport_library_version(char *buf, size_t size);

/* MPI_Abort on the world: every rank ends with code. */
void transport_abort(int code);

/*
 * The output file of proto.h 3b: opened by one rank for itself (an
 * existing file, write-only), written at absolute offsets, closed (which
 * flushes).  TRANSPORT_FILE_PIECE: MPI counts are int; 1 GiB pieces stay
 * well below INT_MAX.  close accepts NULL.
 */
enum { TRANSPORT_FILE_PIECE = 1 << 30 };
struct transport_file;
int transport_file_open(struct transport_file **f, const char *path, char *err,
			size_t err_size);
int transport_file_write_at(struct transport_file *f, uint64_t offset,
			    const void *data, size_t len, char *err,
			    size_t err_size);
int transport_file_close(struct transport_file *f, char *err, size_t err_size);

#endif
