/*
 * transport.c - every MPI call of factorize, and nothing else.
 *
 * Purpose: a small message layer over MPI point-to-point that never blocks
 * the master on a busy worker and never spins a core while waiting.
 *
 * Invariants:
 *   - MPI_COMM_WORLD has MPI_ERRORS_RETURN; every MPI return code is
 *     checked and turned into STATUS_ERR_MPI with MPI's own error string.
 *   - A pool slot owns its buffer from transport_send until its MPI_Isend
 *     request completes; free slots have MPI_REQUEST_NULL and sit on a
 *     free stack.  The pool grows to POOL_MAX slots, then sends wait.
 *   - No message longer than PROTO_MAX_MSG is ever received into memory.
 *
 * Waiting (transport_wait), in order:
 *   1. poll MPI_Iprobe for SPIN_NS (a message that is about to arrive is
 *      taken at full speed: the dispatch loop's common case);
 *   2. sched_yield() until YIELD_NS, letting other ranks on this core run;
 *   3. nanosleep, starting at 1 us and doubling up to
 *      TRANSPORT_MAX_SLEEP_NS (0.5 ms), polling after each sleep.
 * The timer slack of the process is lowered to 1 us on Linux so short
 * sleeps are not rounded up to the default 50 us.
 *
 * Open MPI's blocking MPI_Recv/MPI_Probe poll the network in a loop, which
 * is why no blocking receive is used anywhere.
 *
 * Receiving (recv_now): a probed message is received with MPI_Irecv and
 * MPI_Test.  A small (eager) one is complete at once.  A large one (a
 * rendezvous) whose sender stopped in the middle of sending would block
 * a plain MPI_Recv for as long as the sender is stopped, and with it rank
 * 0's deadlines: it is kept as pending instead (its own buffer), tested
 * again at every poll and delivered when complete.  While a message from
 * a rank is pending, nothing else from that rank is delivered (MPI's
 * order per sender is kept) and the other ranks are probed one by one.
 * A pending receive that never completes (a hung rank) is cancelled at
 * transport_finalize, if the job gets there.
 *
 * One process without a launcher (`./factorize ...`, no mpirun, srun or
 * mpiexec in the environment: transport_launched) does not start MPI at
 * all: rank 0 of 1 runs the whole job inside its own loop and sends
 * nothing, and MPI_Init would cost it 0.3-0.6 s (Open MPI forks its orted
 * daemon for a singleton) for no use.  transport_wtime is then the
 * monotonic clock, transport_abort exit(), and the file and message calls
 * are never reached (they fail with STATUS_ERR_MPI if they were).
 * FACTORIZE_MPI=1 in the environment starts MPI anyway (a singleton).
 *
 * Link-latency emulation (test only, transport_set_latency; the kernel of
 * the test machines has no netem): every message carries 8 more bytes, the
 * sender's CLOCK_MONOTONIC at transport_send, and the receiver holds it
 * until that time plus the latency before transport_poll/probe hand it
 * out.  Polling drains every arrived message into a FIFO of held ones and
 * delivers the first that matches and is due; held messages of one sender
 * keep their order, as MPI's do.  Valid only when all ranks share one
 * clock (one machine: the namespace cluster of tests/cluster).  What it
 * leaves out: serialisation time (bandwidth; tc tbf does that), jitter,
 * loss, and the extra wake-up delay of a rank asleep in transport_wait
 * (up to TRANSPORT_MAX_SLEEP_NS), which real latency shares.  Counters
 * report the messages' own bytes, without the stamp.
 */
#include "transport.h"

#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "status.h"

enum {
	POOL_INIT = 64,
	POOL_MAX = 4096,
	SPIN_NS = 20000,
	YIELD_NS = 200000,
	STAMP_BYTES = 8 /* the send time a held message carries */
};

/* A message received but held back until due (latency emulation). */
struct held {
	struct transport_msg m;
	uint64_t due;
};

/* A receive begun and not complete (a stopped or slow sender). */
struct pending {
	MPI_Request req;
	int source, tag, count;
	struct proto_buf buf;
};

static struct {
	int ready;
	int solo; /* no launcher: MPI not started (see above) */
	int rank, size;
	MPI_Request *reqs;
	MPI_Status *stats; /* real arrays, not MPI_STATUSES_IGNORE: MPICH's
			      (MPI_Status *)1 trips GCC's -Wstringop-overflow */
	struct proto_buf *bufs;
	int *free_slots;
	int n_free, n_slots;
	struct transport_counters c;
	const volatile sig_atomic_t *interrupt;
	uint64_t latency_ns; /* 0: no emulation */
	struct held *held;   /* FIFO by arrival, n_held used of cap_held */
	int n_held, cap_held;
	struct pending *pend; /* receives not complete yet, n_pend used */
	int n_pend, cap_pend;
	int probe_next; /* round-robin start while receives are pending */
} T;

static void pend_cancel_all(void);

static int mpi_fail(int rc, const char *what, char *err, size_t err_size)
{
	char msg[MPI_MAX_ERROR_STRING];
	int len = 0;

	if (err != NULL && err_size > 0) {
		if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS)
			snprintf(msg, sizeof msg, "MPI error %d", rc);
		snprintf(err, err_size, "%s: %s", what, msg);
	}
	return STATUS_ERR_MPI;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A message or file call in a process that did not start MPI. */
static int solo_fail(char *err, size_t err_size)
{
	if (err != NULL && err_size > 0)
		snprintf(err, err_size,
			 "MPI is not started (one process without a "
			 "launcher; FACTORIZE_MPI=1 starts it)");
	return STATUS_ERR_MPI;
}

static int pool_grow(int n)
{
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): a pointer typedef */
	MPI_Request *r = realloc(T.reqs, (size_t)n * sizeof *r);
	MPI_Status *st;
	struct proto_buf *b;
	int *f;

	if (r == NULL)
		return STATUS_ERR_NOMEM;
	T.reqs = r;
	st = realloc(T.stats, (size_t)n * sizeof *st);
	if (st == NULL)
		return STATUS_ERR_NOMEM;
	T.stats = st;
	b = realloc(T.bufs, (size_t)n * sizeof *b);
	if (b == NULL)
		return STATUS_ERR_NOMEM;
	T.bufs = b;
	f = realloc(T.free_slots, (size_t)n * sizeof *f);
	if (f == NULL)
		return STATUS_ERR_NOMEM;
	T.free_slots = f;
	for (int i = T.n_slots; i < n; i++) {
		T.reqs[i] = MPI_REQUEST_NULL;
		proto_buf_init(&T.bufs[i]);
		T.free_slots[T.n_free++] = i;
	}
	T.n_slots = n;
	return STATUS_OK;
}

/*
 * Open MPI started without a launcher (a singleton: `./factorize ...`)
 * forks a helper daemon and hands it the whole command line in one exec
 * string, which Linux caps at MAX_ARG_STRLEN (32 pages, 131072 bytes):
 * past it MPI_Init fails with "Argument list too long" and Open MPI's
 * banner.  Checked first, counting every argument and its separator.
 * (Under a launcher the rank never starts at all with such a command
 * line: mpirun's own message, README "Exit status".)
 */
enum { TRANSPORT_SINGLETON_MAX_ARGS_BYTES = 131072 };

int transport_launched(void)
{
	static const char *const vars[] = { "OMPI_COMM_WORLD_SIZE",
					    "PMIX_RANK",
					    "PMI_RANK",
					    "PMI_SIZE",
					    "PMI_FD",
					    "PMI_PORT" };

	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		if (getenv(vars[i]) != NULL)
			return 1;
	return 0;
}

/* MPI is started: under a launcher, or asked for with FACTORIZE_MPI=1. */
static int mpi_wanted(void)
{
	const char *v = getenv("FACTORIZE_MPI");

	return transport_launched() || (v != NULL && strcmp(v, "1") == 0);
}

static int singleton_args_fit(int argc, char **argv, char *err, size_t err_size)
{
#ifdef OMPI_MAJOR_VERSION
	size_t bytes = 0;

	if (transport_launched())
		return STATUS_OK;
	for (int i = 0; i < argc; i++)
		bytes += strlen(argv[i]) + 1;
	if (bytes > TRANSPORT_SINGLETON_MAX_ARGS_BYTES) {
		snprintf(err, err_size,
			 "the command line holds %zu bytes; "
			 "started without mpirun, Open MPI takes at most %d: "
			 "give the numbers on standard input or with --input "
			 "FILE",
			 bytes, TRANSPORT_SINGLETON_MAX_ARGS_BYTES);
		return STATUS_ERR_RANGE;
	}
#else
	(void)argc;
	(void)argv;
	(void)err;
	(void)err_size;
#endif
	return STATUS_OK;
}

int transport_init(int *argc, char ***argv, char *err, size_t err_size)
{
	int rc, provided, st;

	memset(&T, 0, sizeof T);
	if (!mpi_wanted()) {
		T.solo = 1;
		T.size = 1;
		return STATUS_OK;
	}
	st = singleton_args_fit(*argc, *argv, err, err_size);
	if (st != STATUS_OK)
		return st;
	rc = MPI_Init_thread(argc, argv, MPI_THREAD_SINGLE, &provided);
	if (rc != MPI_SUCCESS) {
		if (err != NULL && err_size > 0)
			snprintf(err, err_size, "MPI_Init_thread failed (%d)",
				 rc);
		return STATUS_ERR_MPI;
	}
	T.ready = 1;
	rc = MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
	if (rc == MPI_SUCCESS)
		rc = MPI_Comm_rank(MPI_COMM_WORLD, &T.rank);
	if (rc == MPI_SUCCESS)
		rc = MPI_Comm_size(MPI_COMM_WORLD, &T.size);
	if (rc != MPI_SUCCESS)
		return mpi_fail(rc, "MPI setup", err, err_size);
	st = pool_grow(POOL_INIT);
	if (st != STATUS_OK) {
		snprintf(err, err_size, "transport: %s", status_str(st));
		return st;
	}
#ifdef __linux__
	(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
#endif
	return STATUS_OK;
}

int transport_finalize(char *err, size_t err_size)
{
	int rc = MPI_SUCCESS, st = STATUS_OK;

	if (!T.ready)
		return STATUS_OK;
	if (T.n_slots > 0)
		rc = MPI_Waitall(T.n_slots, T.reqs, T.stats);
	if (rc != MPI_SUCCESS)
		st = mpi_fail(rc, "completing sends", err, err_size);
	for (int i = 0; i < T.n_slots; i++)
		proto_buf_clear(&T.bufs[i]);
	free(T.reqs);
	free(T.stats);
	free(T.bufs);
	free(T.free_slots);
	T.reqs = NULL;
	T.stats = NULL;
	T.bufs = NULL;
	T.free_slots = NULL;
	T.n_slots = T.n_free = 0;
	for (int i = 0; i < T.cap_held; i++)
		transport_msg_clear(&T.held[i].m);
	free(T.held);
	T.held = NULL;
	T.n_held = T.cap_held = 0;
	pend_cancel_all();
	rc = MPI_Finalize();
	T.ready = 0;
	if (rc != MPI_SUCCESS && st == STATUS_OK)
		st = mpi_fail(rc, "MPI_Finalize", err, err_size);
	return st;
}

int transport_rank(void)
{
	return T.rank;
}

int transport_size(void)
{
	return T.size;
}

int transport_node_ids(int *node, char *err, size_t err_size)
{
	MPI_Comm shm;
	int me = T.rank, low = -1, rc;

	if (T.solo) {
		node[0] = 0;
		return STATUS_OK;
	}
	rc = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, T.rank,
				 MPI_INFO_NULL, &shm);
	if (rc != MPI_SUCCESS)
		return mpi_fail(rc, "MPI_Comm_split_type", err, err_size);
	rc = MPI_Allreduce(&me, &low, 1, MPI_INT, MPI_MIN, shm);
	(void)MPI_Comm_free(&shm);
	if (rc != MPI_SUCCESS)
		return mpi_fail(rc, "MPI_Allreduce (node ids)", err, err_size);
	rc = MPI_Allgather(&low, 1, MPI_INT, node, 1, MPI_INT, MPI_COMM_WORLD);
	if (rc != MPI_SUCCESS)
		return mpi_fail(rc, "MPI_Allgather (node ids)", err, err_size);
	return STATUS_OK;
}

double transport_wtime(void)
{
	return T.solo ? (double)now_ns() * 1e-9 : MPI_Wtime();
}

void transport_msg_init(struct transport_msg *m)
{
	proto_buf_init(&m->buf);
	m->source = -1;
	m->tag = -1;
}

void transport_msg_clear(struct transport_msg *m)
{
	if (m == NULL)
		return;
	proto_buf_clear(&m->buf);
}

/* Reclaim completed sends; wait for one when block is set and none is. */
static int pool_reclaim(int block, char *err, size_t err_size)
{
	int n = 0, idx, rc;
	int *done = T.free_slots + T.n_free; /* room after the free stack */

	rc = MPI_Testsome(T.n_slots, T.reqs, &n, done, T.stats);
	if (rc != MPI_SUCCESS)
		return mpi_fail(rc, "MPI_Testsome", err, err_size);
	if (n != MPI_UNDEFINED && n > 0) {
		T.n_free += n; /* done[] already sits on the free stack */
		return STATUS_OK;
	}
	if (!block)
		return STATUS_OK;
	rc = MPI_Waitany(T.n_slots, T.reqs, &idx, MPI_STATUS_IGNORE);
	if (rc != MPI_SUCCESS)
		return mpi_fail(rc, "MPI_Waitany", err, err_size);
	if (idx != MPI_UNDEFINED)
		T.free_slots[T.n_free++] = idx;
	return STATUS_OK;
}

int transport_flush(double timeout_s, char *err, size_t err_size)
{
	uint64_t t_end = now_ns() + (uint64_t)(timeout_s * 1e9);
	struct timespec nap = { 0, 100000 }; /* 0.1 ms between tests */
	int st;

	if (T.solo || !T.ready)
		return STATUS_OK;
	for (;;) {
		st = pool_reclaim(0, err, err_size);
		if (st != STATUS_OK || T.n_free == T.n_slots)
			return st;
		if (timeout_s > 0 && now_ns() >= t_end)
			return STATUS_ERR_TIMEOUT;
		nanosleep(&nap, NULL);
	}
}

/* Append the send time (latency emulation), little-endian. */
static int stamp(struct proto_buf *b)
{
	uint64_t t = now_ns();

	if (b->cap < b->len + STAMP_BYTES) {
		unsigned char *p = realloc(b->data, b->len + STAMP_BYTES);
		if (p == NULL)
			return STATUS_ERR_NOMEM;
		b->data = p;
		b->cap = b->len + STAMP_BYTES;
	}
	for (int i = 0; i < STAMP_BYTES; i++)
		b->data[b->len++] = (unsigned char)(t >> (8 * i));
	return STATUS_OK;
}

int transport_send(int dest, int tag, struct proto_buf *b, char *err,
		   size_t err_size)
{
	struct proto_buf tmp;
	size_t len;
	int slot, rc, st;

	if (T.solo)
		return solo_fail(err, err_size);
	if (b->len > (size_t)PROTO_MAX_MSG) {
		snprintf(err, err_size, "message of %zu bytes too long",
			 b->len);
		return STATUS_ERR_PROTO;
	}
	if (T.n_free == 0) {
		st = pool_reclaim(0, err, err_size);
		if (st == STATUS_OK && T.n_free == 0) {
			if (T.n_slots < POOL_MAX)
				st = pool_grow(T.n_slots * 2);
			else
				st = pool_reclaim(1, err, err_size);
		}
		if (st != STATUS_OK)
			return st;
	}
	slot = T.free_slots[--T.n_free];
	/* swap: the pool takes b's bytes, b gets the slot's spent buffer */
	tmp = T.bufs[slot];
	T.bufs[slot] = *b;
	*b = tmp;
	proto_buf_reset(b);
	len = T.bufs[slot].len;
	if (T.latency_ns > 0 && stamp(&T.bufs[slot]) != STATUS_OK) {
		T.free_slots[T.n_free++] = slot;
		snprintf(err, err_size, "out of memory stamping a message");
		return STATUS_ERR_NOMEM;
	}
	rc = MPI_Isend(T.bufs[slot].data, (int)T.bufs[slot].len, MPI_BYTE, dest,
		       tag, MPI_COMM_WORLD, &T.reqs[slot]);
	if (rc != MPI_SUCCESS) {
		T.reqs[slot] = MPI_REQUEST_NULL;
		T.free_slots[T.n_free++] = slot;
		return mpi_fail(rc, "MPI_Isend", err, err_size);
	}
	T.c.msgs_sent++;
	T.c.bytes_sent += len;
	return STATUS_OK;
}

/*
 * A pending receive that matches source and tag and is complete now: into
 * m (buffers swapped), removed from the list.  *got = 1 then.
 */
static int pend_take(struct transport_msg *m, int source, int tag, int *got,
		     char *err, size_t err_size)
{
	for (int i = 0; i < T.n_pend; i++) {
		struct pending *p = &T.pend[i];
		struct proto_buf b;
		int flag = 0, rc;

		if ((source != TRANSPORT_ANY && p->source != source) ||
		    (tag != TRANSPORT_ANY && p->tag != tag))
			continue;
		rc = MPI_Test(&p->req, &flag, MPI_STATUS_IGNORE);
		if (rc != MPI_SUCCESS)
			return mpi_fail(rc, "MPI_Test", err, err_size);
		if (!flag)
			continue;
		b = m->buf;
		m->buf = p->buf;
		m->buf.len = (size_t)p->count;
		m->source = p->source;
		m->tag = p->tag;
		p->buf = b; /* m's old memory, freed below */
		proto_buf_clear(&p->buf);
		T.pend[i] = T.pend[--T.n_pend];
		T.c.msgs_recv++;
		T.c.bytes_recv += (uint64_t)m->buf.len;
		*got = 1;
		return STATUS_OK;
	}
	return STATUS_OK;
}

static int pend_from(int source)
{
	for (int i = 0; i < T.n_pend; i++)
		if (T.pend[i].source == source)
			return 1;
	return 0;
}

/*
 * Receive count bytes of the probed message (source, tag in m) into
 * m->buf: complete now (*got = 1), or kept pending with m's buffer (m
 * gets an empty one).  The request lives in the next pending slot.
 */
static int recv_begin(struct transport_msg *m, int count, int *got, char *err,
		      size_t err_size)
{
	struct pending *p;
	int flag = 0, rc;

	if (T.n_pend == T.cap_pend) {
		int cap = T.cap_pend ? 2 * T.cap_pend : 4;
		p = realloc(T.pend, (size_t)cap * sizeof *p);
		if (p == NULL) {
			snprintf(err, err_size, "out of memory");
			return STATUS_ERR_NOMEM;
		}
		T.pend = p;
		T.cap_pend = cap;
	}
	p = &T.pend[T.n_pend];
	rc = MPI_Irecv(m->buf.data, count, MPI_BYTE, m->source, m->tag,
		       MPI_COMM_WORLD, &p->req);
	if (rc == MPI_SUCCESS)
		rc = MPI_Test(&p->req, &flag, MPI_STATUS_IGNORE);
	if (rc != MPI_SUCCESS)
		return mpi_fail(rc, "MPI_Irecv", err, err_size);
	if (flag) {
		m->buf.len = (size_t)count;
		T.c.msgs_recv++;
		T.c.bytes_recv += (uint64_t)count;
		*got = 1;
		return STATUS_OK;
	}
	/* a large message still coming: not now */
	p->source = m->source;
	p->tag = m->tag;
	p->count = count;
	p->buf = m->buf; /* the receive owns this memory now */
	T.n_pend++;
	proto_buf_init(&m->buf);
	/* NOLINTNEXTLINE(clang-analyzer-optin.mpi.MPI-Checker): pend_take tests it at every poll, pend_cancel_all cancels it */
	return STATUS_OK;
}

static void pend_cancel_all(void)
{
	for (int i = 0; i < T.n_pend; i++) {
		(void)MPI_Cancel(&T.pend[i].req);
		(void)MPI_Request_free(&T.pend[i].req);
		proto_buf_clear(&T.pend[i].buf);
	}
	free(T.pend);
	T.pend = NULL;
	T.n_pend = T.cap_pend = 0;
}

/*
 * MPI_Iprobe for (src, tg), skipping ranks with a pending receive: with
 * none pending one probe; else the ranks one by one from a round-robin
 * start, so that no rank's messages starve the others.
 */
static int probe(int src, int tg, int *flag, MPI_Status *s)
{
	int rc;

	*flag = 0;
	if (T.n_pend == 0)
		return MPI_Iprobe(src, tg, MPI_COMM_WORLD, flag, s);
	if (src != MPI_ANY_SOURCE)
		return pend_from(src)
			? MPI_SUCCESS
			: MPI_Iprobe(src, tg, MPI_COMM_WORLD, flag, s);
	for (int k = 0; k < T.size && !*flag; k++) {
		int r = (T.probe_next + k) % T.size;
		if (pend_from(r))
			continue;
		rc = MPI_Iprobe(r, tg, MPI_COMM_WORLD, flag, s);
		if (rc != MPI_SUCCESS)
			return rc;
	}
	T.probe_next = (T.probe_next + 1) % T.size;
	return MPI_SUCCESS;
}

/* transport_poll without the latency emulation: what MPI has now. */
static int recv_now(struct transport_msg *m, int source, int tag, int *got,
		    char *err, size_t err_size)
{
	MPI_Status s;
	int flag = 0, count = 0, rc, st;
	int src = source == TRANSPORT_ANY ? MPI_ANY_SOURCE : source;
	int tg = tag == TRANSPORT_ANY ? MPI_ANY_TAG : tag;

	*got = 0;
	if (T.n_pend > 0) {
		st = pend_take(m, source, tag, got, err, err_size);
		if (st != STATUS_OK || *got)
			return st;
	}
	rc = probe(src, tg, &flag, &s);
	if (rc != MPI_SUCCESS)
		return mpi_fail(rc, "MPI_Iprobe", err, err_size);
	if (!flag)
		return STATUS_OK;
	rc = MPI_Get_count(&s, MPI_BYTE, &count);
	if (rc != MPI_SUCCESS)
		return mpi_fail(rc, "MPI_Get_count", err, err_size);
	m->source = s.MPI_SOURCE;
	m->tag = s.MPI_TAG;
	if (count == MPI_UNDEFINED || count < 0 ||
	    count > PROTO_MAX_MSG + (T.latency_ns > 0 ? STAMP_BYTES : 0)) {
		unsigned char sink;
		/* drain it with a zero-byte receive (truncation error) */
		(void)MPI_Recv(&sink, 0, MPI_BYTE, s.MPI_SOURCE, s.MPI_TAG,
			       MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		snprintf(err, err_size,
			 "message of %d bytes from rank %d "
			 "exceeds the %d-byte cap",
			 count, s.MPI_SOURCE, PROTO_MAX_MSG);
		return STATUS_ERR_PROTO;
	}
	proto_buf_reset(&m->buf);
	if ((size_t)count > m->buf.cap) {
		size_t cap = m->buf.cap ? m->buf.cap : 256;
		unsigned char *p;

		while (cap < (size_t)count)
			cap *= 2;
		p = realloc(m->buf.data, cap);
		if (p == NULL) {
			snprintf(err, err_size,
				 "out of memory receiving %d "
				 "bytes",
				 count);
			return STATUS_ERR_NOMEM;
		}
		m->buf.data = p;
		m->buf.cap = cap;
	}
	return recv_begin(m, count, got, err, err_size);
}

/* Move every message MPI has into the held FIFO, due at stamp + latency. */
static int held_drain(char *err, size_t err_size)
{
	struct held *h;
	uint64_t t = 0;
	int got = 1, st;

	while (got) {
		if (T.n_held == T.cap_held) {
			int cap = T.cap_held ? 2 * T.cap_held : 16;
			h = realloc(T.held, (size_t)cap * sizeof *h);
			if (h == NULL) {
				snprintf(err, err_size,
					 "out of memory holding "
					 "a message");
				return STATUS_ERR_NOMEM;
			}
			T.held = h;
			for (int i = T.cap_held; i < cap; i++)
				transport_msg_init(&T.held[i].m);
			T.cap_held = cap;
		}
		h = &T.held[T.n_held];
		st = recv_now(&h->m, TRANSPORT_ANY, TRANSPORT_ANY, &got, err,
			      err_size);
		if (st != STATUS_OK)
			return st;
		if (!got)
			break;
		if (h->m.buf.len < STAMP_BYTES) {
			snprintf(err, err_size,
				 "message without a send time "
				 "from rank %d (latency emulation on one rank "
				 "only?)",
				 h->m.source);
			return STATUS_ERR_PROTO;
		}
		h->m.buf.len -= STAMP_BYTES;
		for (int i = STAMP_BYTES - 1; i >= 0; i--)
			t = t << 8 | h->m.buf.data[h->m.buf.len + (size_t)i];
		h->due = t + T.latency_ns;
		T.c.bytes_recv -= STAMP_BYTES;
		T.n_held++;
	}
	return STATUS_OK;
}

/* Index of the first held message matching source/tag and due, or -1. */
static int held_find(int source, int tag)
{
	uint64_t t = now_ns();

	for (int i = 0; i < T.n_held; i++) {
		const struct held *h = &T.held[i];
		if ((source == TRANSPORT_ANY || h->m.source == source) &&
		    (tag == TRANSPORT_ANY || h->m.tag == tag) && h->due <= t)
			return i;
	}
	return -1;
}

int transport_poll(struct transport_msg *m, int source, int tag, int *got,
		   char *err, size_t err_size)
{
	struct held h;
	int i, st;

	if (T.solo)
		return solo_fail(err, err_size);
	if (T.latency_ns == 0)
		return recv_now(m, source, tag, got, err, err_size);
	*got = 0;
	st = held_drain(err, err_size);
	if (st != STATUS_OK)
		return st;
	i = held_find(source, tag);
	if (i < 0)
		return STATUS_OK;
	/* swap buffers: m takes the held bytes, the slot keeps m's memory */
	h = T.held[i];
	T.held[i].m = *m;
	*m = h.m;
	h.m = T.held[i].m;
	memmove(&T.held[i], &T.held[i + 1],
		(size_t)(T.n_held - i - 1) * sizeof *T.held);
	T.held[--T.n_held] = h; /* spare buffer at the end of the FIFO */
	*got = 1;
	return STATUS_OK;
}

void transport_set_latency(uint64_t ns)
{
	T.latency_ns = ns;
}

int transport_wait(struct transport_msg *m, int source, int tag,
		   double timeout_s, char *err, size_t err_size)
{
	uint64_t t0 = 0, t, sleep_ns = 1000;
	struct timespec ts;
	int got, st;

	if (T.solo)
		return solo_fail(err, err_size);
	for (;;) {
		if (T.interrupt != NULL && *T.interrupt) {
			if (t0 != 0)
				T.c.idle_ns += now_ns() - t0;
			snprintf(err, err_size, "interrupted");
			return STATUS_ERR_STOPPED;
		}
		st = transport_poll(m, source, tag, &got, err, err_size);
		if (st != STATUS_OK || got) {
			if (t0 != 0)
				T.c.idle_ns += now_ns() - t0;
			return st;
		}
		t = now_ns();
		if (t0 == 0) {
			t0 = t;
			continue;
		}
		if (timeout_s > 0 && (double)(t - t0) * 1e-9 > timeout_s) {
			T.c.idle_ns += t - t0;
			snprintf(err, err_size, "no message after %.1f s",
				 timeout_s);
			return STATUS_ERR_TIMEOUT;
		}
		if (t - t0 < SPIN_NS)
			continue;
		if (t - t0 < YIELD_NS) {
			sched_yield();
			continue;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = (long)sleep_ns;
		nanosleep(&ts, NULL);
		if (sleep_ns < TRANSPORT_MAX_SLEEP_NS)
			sleep_ns *= 2;
		if (sleep_ns > TRANSPORT_MAX_SLEEP_NS)
			sleep_ns = TRANSPORT_MAX_SLEEP_NS;
	}
}

void transport_set_interrupt(const volatile sig_atomic_t *flag)
{
	T.interrupt = flag;
}

int transport_probe(int source, int tag)
{
	int flag = 0;
	int src = source == TRANSPORT_ANY ? MPI_ANY_SOURCE : source;
	int tg = tag == TRANSPORT_ANY ? MPI_ANY_TAG : tag;
	char err[8];

	if (T.solo)
		return 0;
	if (T.latency_ns > 0)
		return held_drain(err, sizeof err) == STATUS_OK &&
			held_find(source, tag) >= 0;
	if (MPI_Iprobe(src, tg, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE) !=
	    MPI_SUCCESS)
		return 0;
	return flag;
}

void transport_counters(struct transport_counters *c)
{
	*c = T.c;
}

void transport_library_version(char *buf, size_t size)
{
	char v[MPI_MAX_LIBRARY_VERSION_STRING];
	int len = 0;

	if (size == 0)
		return;
	if (MPI_Get_library_version(v, &len) != MPI_SUCCESS)
		len = 0;
	v[len < (int)sizeof v ? len : (int)sizeof v - 1] = '\0';
	/* first line only, without trailing blanks or commas */
	v[strcspn(v, "\n")] = '\0';
	len = (int)strlen(v);
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == ','))
		v[--len] = '\0';
	snprintf(buf, size, "%s", v);
}

void transport_abort(int code)
{
	if (T.solo)
		exit(code);
	MPI_Abort(MPI_COMM_WORLD, code);
}

/*
 * ---- the output file, written by workers (proto.h 3b) ----
 *
 * Each worker opens the file rank 0 created on MPI_COMM_SELF: no other rank
 * takes part, so a hung or lost rank cannot block anyone's open or close,
 * and the blocks of different workers go to disjoint byte ranges.  Errors
 * on a file handle are MPI_ERRORS_RETURN by default (MPI-3.1 13.7).
 */
struct transport_file {
	MPI_File fh;
};

int transport_file_open(struct transport_file **fp, const char *path, char *err,
			size_t err_size)
{
	struct transport_file *f;
	int rc;

	*fp = NULL;
	if (T.solo)
		return solo_fail(err, err_size);
	f = malloc(sizeof *f);
	if (f == NULL) {
		snprintf(err, err_size, "%s: out of memory", path);
		return STATUS_ERR_NOMEM;
	}
	rc = MPI_File_open(MPI_COMM_SELF, path, MPI_MODE_WRONLY, MPI_INFO_NULL,
			   &f->fh);
	if (rc != MPI_SUCCESS) {
		free(f);
		return mpi_fail(rc, path, err, err_size);
	}
	*fp = f;
	return STATUS_OK;
}

int transport_file_write_at(struct transport_file *f, uint64_t offset,
			    const void *data, size_t len, char *err,
			    size_t err_size)
{
	const char *p = data;

	/* MPI counts are int: large blocks go in pieces below INT_MAX */
	while (len > 0) {
		int n = len > (size_t)TRANSPORT_FILE_PIECE
			? TRANSPORT_FILE_PIECE
			: (int)len;
		MPI_Status s;
		int rc = MPI_File_write_at(f->fh, (MPI_Offset)offset, p, n,
					   MPI_BYTE, &s);
		int done = 0;

		if (rc != MPI_SUCCESS)
			return mpi_fail(rc, "MPI_File_write_at", err, err_size);
		if (MPI_Get_count(&s, MPI_BYTE, &done) != MPI_SUCCESS ||
		    done != n) {
			snprintf(err, err_size,
				 "MPI_File_write_at: %d of %d bytes written",
				 done, n);
			return STATUS_ERR_IO;
		}
		p += n;
		offset += (uint64_t)n;
		len -= (size_t)n;
	}
	return STATUS_OK;
}

int transport_file_close(struct transport_file *f, char *err, size_t err_size)
{
	int rc;

	if (f == NULL)
		return STATUS_OK;
	rc = MPI_File_close(&f->fh);
	free(f);
	return rc == MPI_SUCCESS
		? STATUS_OK
		: mpi_fail(rc, "MPI_File_close", err, err_size);
}
