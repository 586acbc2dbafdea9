/*
 * sched.c - the master's bookkeeping (see sched.h for the conversation).
 *
 * Purpose: decide which chunk goes to which worker and when, keep the
 * chunks until their results can be released in input order, and bound
 * the memory all of that takes.  Pure: no MPI, no I/O, no clock.
 *
 * Invariants:
 *   - release_id <= ids of live chunks < next_id, and
 *     next_id - release_id <= window_chunks: chunk id k lives in ring slot
 *     k % window_chunks from creation to release.
 *   - issued - released <= window_numbers, except that one chunk may
 *     always be created when nothing is live (progress for any --chunk).
 *   - A worker is in the hungry queue at most once, and only while it is
 *     not stopped and holds fewer chunks than its credit.
 *   - holding[] of a worker lists exactly the chunk ids handed to it and
 *     not yet answered; a RESULT is accepted only for one of them.
 *   - n_open counts chunks ASSIGNED or RETRY; workers are stopped only
 *     when the input has ended, nothing is left to create and n_open is 0.
 *
 * Chunk sizes:
 *   - every chunk's items fit max_bytes (fit_bytes: chunks of very large
 *     numbers are cut short so one WORK or RESULT message carries them);
 *   - fixed: --chunk C (the last chunk may be shorter);
 *   - guided self-scheduling (Polychronopoulos and Kuck, "Guided
 *     self-scheduling: a practical scheduling scheme for parallel
 *     supercomputers", IEEE Trans. Computers 36(12), 1987), with a factor
 *     and counted in chunk slots rather than workers:
 *     chunk = weight * ceil(remaining / (K * slots)), K = SCHED_GUIDED_K,
 *     slots = sum over workers of weight * max(credit, 1), clamped to
 *     [min_chunk, max_chunk * weight]: large chunks first, small ones at
 *     the end so the last chunks finish close together.  Counting slots
 *     matters with prefetch: a worker with credit c holds c chunks at
 *     once, so dividing by the number of workers alone let the first
 *     worker take c * remaining / (K * workers), several times its share,
 *     and the job waited for it at the end (measured: MIX on 3 workers,
 *     the first worker held 612 of 2000 numbers, the last 295).  The
 *     weight of a group leader is the number of its members.  For a text
 *     source "remaining" is what is buffered (the look-ahead).
 *   - timed (target_ns, ranges without --chunk): max_chunk is raised to
 *     what the median recent rate factors in target_ns, at most
 *     SCHED_TIMED_MAX_CHUNK; the first chunks, before any sample, keep
 *     max_chunk, and the guided shares still shrink at the end.
 *
 * Order of sched_next for the worker at the head of the hungry queue:
 *   1. a chunk whose result failed verification (not to the worker that
 *      failed it, unless it is the only worker);
 *   2. a new chunk, if the window allows (else every worker is held back);
 *   3. once the input is exhausted: a speculative copy of the oldest
 *      outstanding chunk with a single owner, to a worker holding nothing
 *      (first verified result wins, the other is dropped as a duplicate);
 *   4. once every chunk is done: STOP to each worker holding nothing.
 * An excluded worker (sched_exclude: wrong results) gets nothing more and
 * is stopped as soon as it holds nothing.
 *
 * Liveness (sched_expire): a worker holding chunks has a deadline,
 * since_ns (the last message from it, or the hand-out that ended its
 * idleness) plus the budget of the largest chunk it holds.  The budget is
 * learned from the worker's own recent chunks: SCHED_LIVE_SAFETY times the
 * largest per-number time of its last SCHED_LIVE_SAMPLES results (every
 * worker's pooled while it has none) times the chunk's size, at least
 * SCHED_LIVE_FLOOR_NS; or the caller's fixed timeout_ns.  A worker past its
 * deadline is late: it gives up ownership of its chunks (an unowned one
 * goes to the retry queue, the path of a rejected result, so it is handed
 * out before any new chunk), keeps them in its holding (a late result is
 * still matched: first wins, second is a duplicate), and gets nothing
 * more until sched_heard.  A late worker is never stopped by sched_next:
 * the caller decides what to do with it at the end.
 */
#include "sched.h"

#include <stdlib.h>
#include <string.h>

#include "status.h"

static struct sched_chunk *slot_of(const struct sched *s, uint64_t id)
{
	return &s->ring[id % s->p.window_chunks];
}

int sched_init(struct sched *s, const struct sched_params *p)
{
	memset(s, 0, sizeof *s);
	if (p->n_workers < 1 || p->chunk > PROTO_MAX_CHUNK ||
	    p->max_chunk > PROTO_MAX_CHUNK ||
	    (p->max_chunk && p->min_chunk > p->max_chunk))
		return STATUS_ERR_INVAL;
	s->p = *p;
	s->n_eligible = p->n_workers;
	s->slots = (uint64_t)p->n_workers;
	if (s->p.min_chunk == 0)
		s->p.min_chunk = 1;
	if (s->p.max_chunk == 0)
		s->p.max_chunk = SCHED_DEFAULT_MAX_CHUNK;
	if (s->p.min_chunk > s->p.max_chunk)
		s->p.min_chunk = s->p.max_chunk;
	if (s->p.window_chunks == 0) {
		uint64_t w = 8u * (uint64_t)p->n_workers;
		s->p.window_chunks = w < 1024 ? 1024 : (uint32_t)w;
	}
	if (s->p.window_numbers == 0)
		s->p.window_numbers = SCHED_DEFAULT_WINDOW_NUMBERS;
	if (s->p.lookahead == 0)
		s->p.lookahead = SCHED_DEFAULT_LOOKAHEAD;
	if (s->p.lookahead < s->p.chunk)
		s->p.lookahead = s->p.chunk; /* a fixed chunk must fit */

	s->ring = calloc(s->p.window_chunks, sizeof *s->ring);
	s->workers = calloc((size_t)p->n_workers, sizeof *s->workers);
	s->queue = calloc((size_t)p->n_workers, sizeof *s->queue);
	s->retry = calloc(s->p.window_chunks, sizeof *s->retry);
	if (!s->ring || !s->workers || !s->queue || !s->retry)
		goto nomem;
	for (int w = 0; w < p->n_workers; w++)
		s->workers[w].weight = 1;
	for (uint32_t i = 0; i < s->p.window_chunks; i++) {
		s->ring[i].failed_by = -1;
		proto_buf_init(&s->ring[i].result);
	}
	if (p->range) {
		s->input_ended = 1;
	} else {
		s->in = malloc(s->p.lookahead * sizeof *s->in);
		if (s->in == NULL)
			goto nomem;
		for (uint32_t i = 0; i < s->p.lookahead; i++)
			mpz_init(s->in[i]);
		s->in_cap = s->p.lookahead;
	}
	return STATUS_OK;
nomem:
	sched_clear(s);
	return STATUS_ERR_NOMEM;
}

void sched_clear(struct sched *s)
{
	if (s == NULL)
		return;
	if (s->ring != NULL) {
		for (uint32_t i = 0; i < s->p.window_chunks; i++) {
			struct sched_chunk *c = &s->ring[i];
			for (uint32_t j = 0; j < c->numbers_cap; j++)
				mpz_clear(c->numbers[j]);
			free(c->numbers);
			proto_buf_clear(&c->result);
		}
	}
	if (s->workers != NULL)
		for (int w = 0; w < s->p.n_workers; w++)
			free(s->workers[w].holding);
	for (uint32_t i = 0; i < s->in_cap; i++)
		mpz_clear(s->in[i]);
	free(s->in);
	free(s->ring);
	free(s->workers);
	free(s->queue);
	free(s->retry);
	memset(s, 0, sizeof *s);
}

uint32_t sched_input_wanted(const struct sched *s)
{
	if (s->input_ended)
		return 0;
	return s->in_cap - s->in_len;
}

int sched_input_add(struct sched *s, const mpz_t n)
{
	if (s->input_ended || s->in_len >= s->in_cap || mpz_sgn(n) < 0)
		return STATUS_ERR_INVAL;
	mpz_set(s->in[(s->in_head + s->in_len) % s->in_cap], n);
	s->in_len++;
	return STATUS_OK;
}

void sched_input_end(struct sched *s)
{
	s->input_ended = 1;
}

static uint64_t remaining(const struct sched *s)
{
	return s->p.range ? s->p.total - s->issued : s->in_len;
}

/* Nothing left to create and nothing waiting to be handed out again. */
static int exhausted(const struct sched *s)
{
	return s->input_ended && remaining(s) == 0 && s->n_retry == 0;
}

/* The size of worker w's next new chunk (see "Chunk sizes" above). */
/* The median of a ring's samples (the upper one of an even count); n >= 1. */
static uint64_t ring_median(const uint64_t *ring, uint64_t n)
{
	uint64_t v[SCHED_LIVE_SAMPLES];
	size_t k = SCHED_LIVE_SAMPLES;

	if (n < SCHED_LIVE_SAMPLES)
		k = (size_t)n;
	memcpy(v, ring, k * sizeof *v);
	for (size_t i = 1; i < k; i++) { /* insertion sort: k <= 16 */
		uint64_t x = v[i];
		size_t j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return v[k / 2];
}

/*
 * The guided maximum: max_chunk, or with a time target the numbers the
 * median recent rate factors in target_ns, in [max_chunk,
 * SCHED_TIMED_MAX_CHUNK] (see sched.h, timed sizing).
 */
static uint64_t guided_max(const struct sched *s)
{
	uint64_t per, n;

	if (s->p.target_ns == 0 || s->n_pool == 0)
		return s->p.max_chunk;
	per = ring_median(s->pool_ns, s->n_pool); /* >= 1 (sched_sample) */
	n = s->p.target_ns / per;
	if (n > SCHED_TIMED_MAX_CHUNK)
		n = SCHED_TIMED_MAX_CHUNK;
	return n > s->p.max_chunk ? n : s->p.max_chunk;
}

static uint32_t next_size(const struct sched *s, int w)
{
	uint64_t rem = remaining(s), size, div, weight = s->workers[w].weight;
	uint64_t max = guided_max(s);

	if (rem == 0)
		return 0;
	if (s->p.chunk) {
		size = (uint64_t)s->p.chunk * weight;
	} else {
		div = (uint64_t)SCHED_GUIDED_K * s->slots;
		size = (rem + div - 1) / div; /* one slot's share */
		if (size > max)
			size = max;
		size *= weight;
		if (size < s->p.min_chunk)
			size = s->p.min_chunk;
	}
	/* a weighted chunk must still fit the look-ahead buffer (else a
	   text source would wait for ever for a fuller one) and leave room
	   in the window for the other workers */
	if (weight > 1) {
		uint64_t cap = s->p.window_numbers / 4;
		if (!s->p.range && cap > s->in_cap)
			cap = s->in_cap;
		if (size > cap)
			size = cap > s->p.chunk ? cap : s->p.chunk;
	}
	if (size > PROTO_MAX_CHUNK)
		size = PROTO_MAX_CHUNK;
	/* LIST still reading: a fixed size waits for a full buffer */
	if (!s->p.range && !s->input_ended)
		return (uint32_t)size;
	return (uint32_t)(size < rem ? size : rem);
}

static int ensure_numbers(struct sched_chunk *c, uint32_t n)
{
	mpz_t *p;

	if (c->numbers_cap >= n)
		return STATUS_OK;
	p = realloc(c->numbers, n * sizeof *p);
	if (p == NULL)
		return STATUS_ERR_NOMEM;
	c->numbers = p;
	for (uint32_t i = c->numbers_cap; i < n; i++)
		mpz_init(c->numbers[i]);
	c->numbers_cap = n;
	return STATUS_OK;
}

/*
 * size cut so that the chunk's items fit max_bytes (at least one number:
 * any single item fits, proto_item_bound of PROTO_MAX_NUMBER_BYTES is far
 * below it).  LIST: the buffered numbers that would form the chunk, each
 * by its own size; RANGE: every number by the largest one's.
 */
static uint32_t fit_bytes(const struct sched *s, uint32_t size)
{
	uint64_t sum = 0;
	uint32_t k;

	if (s->p.max_bytes == 0)
		return size;
	if (s->p.range) {
		uint64_t per = proto_item_bound((size_t)s->p.range_bits);
		uint64_t fit = s->p.max_bytes / per;
		return fit == 0 ? 1 : (fit < size ? (uint32_t)fit : size);
	}
	for (k = 0; k < size; k++) {
		sum += proto_item_bound(
			mpz_sizeinbase(s->in[(s->in_head + k) % s->in_cap], 2));
		if (sum > s->p.max_bytes)
			break;
	}
	return k == 0 ? 1 : k;
}

/* A new chunk for worker w if the input and the window allow it. */
static struct sched_chunk *create_chunk(struct sched *s, int w)
{
	uint32_t size = next_size(s, w);
	struct sched_chunk *c;

	if (size == 0)
		return NULL;
	/* LIST: wait for a fuller buffer while more input is coming */
	if (!s->p.range && !s->input_ended && s->in_len < size)
		return NULL;
	size = fit_bytes(s, size);
	if (s->next_id - s->release_id >= s->p.window_chunks)
		return NULL;
	if (s->next_id != s->release_id &&
	    s->issued - s->released + size > s->p.window_numbers)
		return NULL;
	c = slot_of(s, s->next_id);
	if (!s->p.range) {
		if (ensure_numbers(c, size) != STATUS_OK)
			return NULL;
		for (uint32_t i = 0; i < size; i++) {
			mpz_swap(c->numbers[i], s->in[s->in_head]);
			s->in_head = (s->in_head + 1) % s->in_cap;
		}
		s->in_len -= size;
	}
	c->id = s->next_id++;
	c->first_index = s->issued;
	c->count = size;
	c->state = SCHED_ASSIGNED;
	c->n_owners = 0;
	c->failed_by = -1;
	c->failures = 0;
	c->result_worker = -1;
	s->issued += size;
	s->n_open++;
	return c;
}

static void enqueue(struct sched *s, int w)
{
	struct sched_worker *sw = &s->workers[w];

	if (sw->queued || sw->stopped || sw->late || sw->held >= sw->credit)
		return;
	s->queue[(s->q_head + s->q_len) % s->p.n_workers] = w;
	s->q_len++;
	sw->queued = 1;
}

static int dequeue(struct sched *s)
{
	int w = s->queue[s->q_head];

	s->q_head = (s->q_head + 1) % s->p.n_workers;
	s->q_len--;
	s->workers[w].queued = 0;
	return w;
}

int sched_request(struct sched *s, int worker, uint32_t credit)
{
	struct sched_worker *sw;

	if (worker < 0 || worker >= s->p.n_workers || credit < 1 ||
	    credit > PROTO_MAX_CREDIT)
		return STATUS_ERR_PROTO;
	sw = &s->workers[worker];
	if (sw->stopped || (sw->credit != 0 && credit <= sw->credit))
		return STATUS_ERR_PROTO; /* a later REQUEST only raises it */
	{
		uint64_t *h = realloc(sw->holding, credit * sizeof *h);
		if (h == NULL)
			return STATUS_ERR_NOMEM;
		sw->holding = h;
	}
	s->slots += (uint64_t)(credit - (sw->credit ? sw->credit : 1)) *
		sw->weight;
	sw->credit = credit;
	enqueue(s, worker);
	return STATUS_OK;
}

int sched_set_weight(struct sched *s, int worker, uint32_t weight)
{
	struct sched_worker *sw;
	uint64_t held;

	if (worker < 0 || worker >= s->p.n_workers || weight == 0 ||
	    weight > PROTO_MAX_CHUNK)
		return STATUS_ERR_INVAL;
	sw = &s->workers[worker];
	held = sw->credit ? sw->credit : 1;
	s->slots = s->slots - held * sw->weight + held * weight;
	sw->weight = weight;
	return STATUS_OK;
}

static int owned_by(const struct sched_chunk *c, int w)
{
	for (int i = 0; i < c->n_owners; i++)
		if (c->owners[i] == w)
			return 1;
	return 0;
}

static void assign(struct sched *s, int w, struct sched_chunk *c)
{
	struct sched_worker *sw = &s->workers[w];

	if (c->state == SCHED_RETRY) {
		c->state = SCHED_ASSIGNED;
		s->n_retry--;
	}
	c->owners[c->n_owners++] = w;
	if (sw->held == 0)
		sw->since_ns = s->now_ns; /* its deadline runs from now */
	sw->holding[sw->held++] = c->id;
}

/* A chunk to hand out again, not to the worker that failed it. */
static struct sched_chunk *pick_retry(struct sched *s, int w)
{
	for (uint32_t n = s->retry_len; n > 0; n--) {
		uint64_t id = s->retry[s->retry_head];
		struct sched_chunk *c = slot_of(s, id);

		s->retry_head = (s->retry_head + 1) % s->p.window_chunks;
		s->retry_len--;
		if (id < s->release_id || c->id != id ||
		    c->state != SCHED_RETRY)
			continue; /* stale */
		if (c->failed_by != w || s->n_eligible == 1)
			return c;
		/* keep it for someone else */
		s->retry[(s->retry_head + s->retry_len) % s->p.window_chunks] =
			id;
		s->retry_len++;
	}
	return NULL;
}

/* The oldest outstanding chunk with one owner, not w. */
static struct sched_chunk *pick_speculative(struct sched *s, int w)
{
	for (uint64_t id = s->release_id; id < s->next_id; id++) {
		struct sched_chunk *c = slot_of(s, id);

		/* cppcheck-suppress redundantCondition ; kept for any MAX */
		if (c->state == SCHED_ASSIGNED && c->n_owners == 1 &&
		    c->n_owners < SCHED_MAX_OWNERS && !owned_by(c, w) &&
		    c->failed_by != w)
			return c;
	}
	return NULL;
}

int sched_next(struct sched *s, int *worker, struct sched_chunk **chunk)
{
	for (int n = s->q_len; n > 0; n--) {
		int w = s->queue[s->q_head];
		struct sched_worker *sw = &s->workers[w];
		struct sched_chunk *c;

		if (sw->stopped || sw->late || sw->held >= sw->credit) {
			dequeue(s);
			continue;
		}
		if (sw->excluded) {
			dequeue(s);
			if (sw->held > 0)
				continue; /* back when its last result is in */
			sw->stopped = 1;
			sw->since_ns = s->now_ns; /* its STATS is due */
			*worker = w;
			*chunk = NULL;
			return SCHED_STOP;
		}
		c = pick_retry(s, w);
		if (c == NULL)
			c = create_chunk(s, w);
		if (c == NULL && exhausted(s) && s->n_open > 0 &&
		    sw->held == 0 && s->p.speculate) {
			c = pick_speculative(s, w);
			if (c != NULL)
				s->speculated++;
		}
		if (c != NULL) {
			dequeue(s);
			assign(s, w, c);
			enqueue(s, w); /* to the tail if it has credit left */
			*worker = w;
			*chunk = c;
			return SCHED_ASSIGN;
		}
		if (!exhausted(s) && s->n_retry == 0)
			return SCHED_IDLE; /* held back: window or input */
		dequeue(s);
		if (!exhausted(s)) {
			enqueue(s, w); /* a retry may suit the next worker */
			continue;
		}
		if (sw->held > 0)
			continue; /* it comes back with its result */
		if (s->n_open == 0) {
			sw->stopped = 1;
			sw->since_ns = s->now_ns; /* its STATS is due */
			*worker = w;
			*chunk = NULL;
			return SCHED_STOP;
		}
		enqueue(s, w); /* idle until something changes */
	}
	return SCHED_IDLE;
}

int sched_complete(struct sched *s, int worker, uint64_t chunk_id,
		   uint32_t count, struct sched_chunk **chunk)
{
	struct sched_worker *sw;
	struct sched_chunk *c;
	uint32_t i;

	*chunk = NULL;
	if (worker < 0 || worker >= s->p.n_workers)
		return STATUS_ERR_PROTO;
	sw = &s->workers[worker];
	for (i = 0; i < sw->held; i++)
		if (sw->holding[i] == chunk_id)
			break;
	if (i == sw->held)
		return STATUS_ERR_PROTO; /* not a chunk it holds */
	sw->holding[i] = sw->holding[--sw->held];
	enqueue(s, worker);
	if (chunk_id < s->release_id) {
		s->duplicates++;
		return SCHED_DUPLICATE;
	}
	c = slot_of(s, chunk_id);
	for (int k = 0; k < c->n_owners; k++)
		if (c->owners[k] == worker) {
			c->owners[k] = c->owners[--c->n_owners];
			break;
		}
	if (c->count != count)
		return STATUS_ERR_PROTO;
	if (c->state == SCHED_DONE) {
		s->duplicates++;
		return SCHED_DUPLICATE;
	}
	*chunk = c;
	return STATUS_OK;
}

void sched_accept(struct sched *s, struct sched_chunk *c, int worker,
		  struct proto_buf *msg)
{
	if (c->state == SCHED_RETRY)
		s->n_retry--;
	c->state = SCHED_DONE;
	s->n_open--;
	c->result_worker = worker;
	if (msg != NULL) {
		struct proto_buf tmp = c->result;
		c->result = *msg;
		*msg = tmp;
		proto_buf_reset(msg);
	}
}

/* c has no owner left and no verified result: hand it out again. */
static void queue_retry(struct sched *s, struct sched_chunk *c)
{
	c->state = SCHED_RETRY;
	s->n_retry++;
	if (s->retry_len == s->p.window_chunks) {
		/* only stale entries can fill it: drop them */
		uint32_t keep = 0;
		for (uint32_t i = 0; i < s->retry_len; i++) {
			uint64_t id = s->retry[(s->retry_head + i) %
					       s->p.window_chunks];
			struct sched_chunk *r = slot_of(s, id);
			if (id >= s->release_id && r->id == id &&
			    r->state == SCHED_RETRY && r != c)
				s->retry[keep++] = id;
		}
		s->retry_head = 0;
		s->retry_len = keep;
	}
	/* NOLINTNEXTLINE(clang-analyzer-core.DivideZero): >= 1024 */
	s->retry[(s->retry_head + s->retry_len) % s->p.window_chunks] = c->id;
	s->retry_len++;
}

int sched_reject(struct sched *s, struct sched_chunk *c, int worker)
{
	c->failures++;
	c->failed_by = worker;
	if (c->n_owners == 0 && c->state == SCHED_ASSIGNED)
		queue_retry(s, c);
	/* idle workers parked in the queue get a chance at it */
	return c->failures;
}

int sched_exclude(struct sched *s, int worker)
{
	struct sched_worker *sw;

	if (worker < 0 || worker >= s->p.n_workers)
		return s->n_eligible;
	sw = &s->workers[worker];
	if (!sw->excluded) {
		sw->excluded = 1;
		s->n_eligible--;
		enqueue(s, worker); /* so that sched_next can stop it */
	}
	return s->n_eligible;
}

struct sched_chunk *sched_peek_release(struct sched *s)
{
	struct sched_chunk *c;

	if (s->release_id == s->next_id)
		return NULL;
	c = slot_of(s, s->release_id);
	return c->state == SCHED_DONE ? c : NULL;
}

void sched_release(struct sched *s)
{
	struct sched_chunk *c = slot_of(s, s->release_id);

	c->state = SCHED_FREE;
	s->released += c->count;
	s->release_id++;
	/* an idle slot keeps only a small buffer: window_chunks slots each
	   holding a large one would add up (1024 x 50 KB at --count 1e8) */
	if (c->result.cap > 4096)
		proto_buf_clear(&c->result);
	else
		proto_buf_reset(&c->result);
}

int sched_exhausted(const struct sched *s)
{
	return exhausted(s);
}

int sched_all_done(const struct sched *s)
{
	return s->input_ended && remaining(s) == 0 &&
		s->release_id == s->next_id;
}

/* ---- liveness ---- */

void sched_clock(struct sched *s, uint64_t now_ns)
{
	s->now_ns = now_ns;
}

int sched_heard(struct sched *s, int worker, uint64_t now_ns)
{
	struct sched_worker *sw;

	if (worker < 0 || worker >= s->p.n_workers)
		return 0;
	sw = &s->workers[worker];
	sw->since_ns = now_ns;
	if (!sw->late)
		return 0;
	sw->late = 0;
	enqueue(s, worker);
	return 1;
}

/* n counts every sample ever added (64 bits: it never wraps). */
static void ring_add(uint64_t *ring, uint64_t *n, uint64_t v)
{
	ring[*n % SCHED_LIVE_SAMPLES] = v;
	(*n)++;
}

static uint64_t ring_max(const uint64_t *ring, uint64_t n)
{
	uint64_t m = 0;

	for (uint64_t i = 0; i < n && i < SCHED_LIVE_SAMPLES; i++)
		if (ring[i] > m)
			m = ring[i];
	return m;
}

void sched_sample(struct sched *s, int worker, uint32_t count, uint64_t busy_ns)
{
	uint64_t per;

	if (worker < 0 || worker >= s->p.n_workers || count == 0)
		return;
	per = busy_ns / count + 1; /* never 0: a sample was taken */
	ring_add(s->workers[worker].per_ns, &s->workers[worker].n_per, per);
	ring_add(s->pool_ns, &s->n_pool, per);
}

uint64_t sched_budget(const struct sched *s, int worker, uint32_t count)
{
	const struct sched_worker *sw = &s->workers[worker];
	uint64_t per, b;

	if (s->p.timeout_ns)
		return s->p.timeout_ns;
	per = ring_max(sw->per_ns, sw->n_per);
	if (per == 0)
		per = ring_max(s->pool_ns, s->n_pool);
	if (per == 0)
		return SCHED_LIVE_FIRST_NS;
	/* saturating: a budget past 2^64 ns is no deadline at all */
	if (count && per > UINT64_MAX / SCHED_LIVE_SAFETY / count)
		return UINT64_MAX;
	b = per * SCHED_LIVE_SAFETY * count;
	return b < SCHED_LIVE_FLOOR_NS ? SCHED_LIVE_FLOOR_NS : b;
}

uint64_t sched_deadline(const struct sched *s, int worker)
{
	const struct sched_worker *sw = &s->workers[worker];
	uint32_t count = 0;
	uint64_t b;

	if (sw->late || sw->gone)
		return 0;
	if (sw->credit == 0 || sw->stopped) /* its REQUEST or its STATS */
		return sched_budget(s, worker, 0) > UINT64_MAX - sw->since_ns
			? UINT64_MAX
			: sw->since_ns + sched_budget(s, worker, 0);
	if (sw->held == 0)
		return 0;
	for (uint32_t i = 0; i < sw->held; i++) {
		const struct sched_chunk *c = slot_of(s, sw->holding[i]);
		if (c->id == sw->holding[i] && c->count > count)
			count = c->count;
	}
	b = sched_budget(s, worker, count);
	return b > UINT64_MAX - sw->since_ns ? UINT64_MAX : sw->since_ns + b;
}

int sched_expire(struct sched *s, uint64_t now_ns, uint32_t *chunks)
{
	*chunks = 0;
	for (int w = 0; w < s->p.n_workers; w++) {
		struct sched_worker *sw = &s->workers[w];
		uint64_t d = sched_deadline(s, w);

		if (d == 0 || d >= now_ns)
			continue;
		sw->late = 1;
		s->expired++;
		for (uint32_t i = 0; i < sw->held; i++) {
			uint64_t id = sw->holding[i];
			struct sched_chunk *c = slot_of(s, id);

			if (id < s->release_id || c->id != id ||
			    c->state != SCHED_ASSIGNED)
				continue; /* done, or waiting for a retry */
			for (int k = 0; k < c->n_owners; k++)
				if (c->owners[k] == w) {
					c->owners[k] = c->owners[--c->n_owners];
					break;
				}
			if (c->n_owners == 0) {
				queue_retry(s, c);
				(*chunks)++;
			}
		}
		s->reissued += *chunks;
		return w;
	}
	return -1;
}

void sched_gone(struct sched *s, int worker)
{
	if (worker >= 0 && worker < s->p.n_workers) {
		s->workers[worker].gone = 1;
		s->workers[worker].late = 0;
	}
}

uint64_t sched_next_deadline(const struct sched *s)
{
	uint64_t best = 0;

	for (int w = 0; w < s->p.n_workers; w++) {
		uint64_t d = sched_deadline(s, w);
		if (d != 0 && (best == 0 || d < best))
			best = d;
	}
	return best;
}
