/*
 * tracker_pipe.c: see tracker_pipe.h.
 *
 * The ring: the model writes operations at `tail` (its own), makes them
 * visible by storing `head`, and reads `done` only when it must wait (a
 * full ring, a sync; an answer event reads its answer's ticket instead);
 * the worker applies operations up to `head` and stores `done` after each.
 * Each of the three counters has its own cache line. The worker spins a
 * while on an empty ring, then sleeps on a condition variable; the model
 * wakes it when it publishes and sees it asleep, and a wake-up missed in
 * the race between the two costs a nap of SLEEP_US at most.
 */
#include "model/tracker_pipe.h"

#include <glib.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() atomic_signal_fence(memory_order_seq_cst)
#endif

enum {
  RING_BITS = 15,
  RING_SIZE = 1 << RING_BITS,
  RING_MASK = RING_SIZE - 1,
  PUBLISH_EVERY = 64, /* ops issued before the model publishes on its own */
  SPINS = 2048,       /* empty polls (a pause each) before the worker sleeps */
  WAIT_SPINS = 4096,  /* polls before a waiting model yields its core */
  SLEEP_US = 200,     /* a sleeping worker's longest nap */
  PREFETCH_FAR = 8,   /* the op whose key slot the worker starts loading */
  PREFETCH_NEAR = 3,  /* the op whose holding and groups it starts loading */
};

typedef enum OpKind {
  OP_JOIN = 1,
  OP_RESERVE,
  OP_ANNOUNCE,
  OP_WITHDRAW,
  OP_LEAVE,
  OP_RESET,
  OP_QUERY,
  OP_STOP,
} OpKind;

typedef struct Op {
  uint8_t kind, idx, k;
  uint32_t peer;
  uint64_t obj;
  uint32_t version; /* reserve: the count */
  uint32_t network;
  uint32_t country;
  TrackerPipeAnswer *out;
} Op;

struct TrackerPipe {
  MeshTracker **trackers;
  uint32_t n;
  MeshRng rng;
  bool threaded;
  Op *ring;
  GThread *thread;
  GMutex mu;
  GCond cond;
  /* the model's */
  alignas(64) uint64_t tail; /* ops issued */
  uint64_t published;        /* the last value stored in head */
  uint64_t done_seen;        /* the last value read from done */
  alignas(64) _Atomic uint64_t head;
  alignas(64) _Atomic uint64_t done;
  alignas(64) _Atomic int sleeping;
};

/* ticket: the op's (its answer carries it) */
static void apply(TrackerPipe *p, const Op *op, uint64_t ticket) {
  g_assert(op->idx < p->n || op->kind == OP_STOP);
  MeshTracker *t = op->kind == OP_RESET ? NULL : p->trackers[op->idx];
  switch ((OpKind)op->kind) {
    case OP_JOIN: {
      MeshStatus st = mesh_tracker_join(t, op->peer, op->network, op->country);
      g_assert_true(st == MESH_OK);
      break;
    }
    case OP_RESERVE: {
      MeshStatus st = mesh_tracker_reserve(t, op->peer, op->version);
      g_assert_true(st == MESH_OK);
      break;
    }
    case OP_ANNOUNCE:
      mesh_tracker_announce(t, op->peer, op->obj, op->version);
      break;
    case OP_WITHDRAW:
      mesh_tracker_withdraw(t, op->peer, op->obj, op->version);
      break;
    case OP_LEAVE:
      mesh_tracker_leave(t, op->peer);
      break;
    case OP_RESET:
      mesh_tracker_free(p->trackers[op->idx]);
      p->trackers[op->idx] = mesh_tracker_new(NULL);
      g_assert_nonnull(p->trackers[op->idx]);
      break;
    case OP_QUERY: {
      MeshTier tiers[TRACKER_PIPE_MAX_CAND];
      TrackerPipeAnswer *a = op->out;
      size_t n = mesh_tracker_query(t, op->obj, op->version, op->peer, op->network, op->country,
                                    op->k, &p->rng, a->peers, tiers);
      for (size_t i = 0; i < n; i++) a->tiers[i] = (uint8_t)tiers[i];
      a->n = (uint32_t)n;
      atomic_store_explicit(&a->ticket, ticket, memory_order_release);
      break;
    }
    case OP_STOP:
      break;
  }
}

/* The worker's wait for ops beyond `done`: spin SPINS polls, then sleep
 * until woken or SLEEP_US pass, and poll again. Returns the new head. */
static uint64_t await_ops(TrackerPipe *p, uint64_t done) {
  uint64_t head;
  for (unsigned spins = 0;
       (head = atomic_load_explicit(&p->head, memory_order_acquire)) == done; spins++) {
    if (spins < SPINS) {
      cpu_relax();
      continue;
    }
    g_mutex_lock(&p->mu);
    atomic_store(&p->sleeping, 1);
    if (atomic_load(&p->head) == done)
      g_cond_wait_until(&p->cond, &p->mu, g_get_monotonic_time() + SLEEP_US);
    atomic_store(&p->sleeping, 0);
    g_mutex_unlock(&p->mu);
  }
  return head;
}

static gpointer worker(gpointer data) {
  TrackerPipe *p = data;
  uint64_t done = atomic_load_explicit(&p->done, memory_order_relaxed), head = done;
  for (;;) {
    if (done == head) head = await_ops(p, done);
    const Op *op = &p->ring[done & RING_MASK];
    /* start loading later ops' slots while this one is applied: the key's
     * index slot PREFETCH_FAR ahead, what it leads to PREFETCH_NEAR ahead */
    if (done + PREFETCH_FAR < head) {
      const Op *nx = &p->ring[(done + PREFETCH_FAR) & RING_MASK];
      if (nx->kind == OP_QUERY || nx->kind == OP_ANNOUNCE || nx->kind == OP_WITHDRAW)
        mesh_tracker_prefetch_key(p->trackers[nx->idx], nx->obj, nx->version, nx->peer);
    }
    if (done + PREFETCH_NEAR < head) {
      const Op *nx = &p->ring[(done + PREFETCH_NEAR) & RING_MASK];
      if (nx->kind == OP_QUERY)
        mesh_tracker_prefetch(p->trackers[nx->idx], nx->obj, nx->version, nx->network,
                              nx->country);
      else if (nx->kind == OP_ANNOUNCE || nx->kind == OP_WITHDRAW)
        mesh_tracker_prefetch_holding(p->trackers[nx->idx], nx->obj, nx->version, nx->peer);
    }
    bool stop = op->kind == OP_STOP;
    apply(p, op, done + 1);
    atomic_store_explicit(&p->done, ++done, memory_order_release);
    if (stop) return NULL;
  }
}

static void start_worker(TrackerPipe *p) {
  /* the worker starts where the ops issued so far (all applied) end */
  atomic_store(&p->head, p->tail);
  atomic_store(&p->done, p->tail);
  p->published = p->done_seen = p->tail;
  p->ring = g_new0(Op, RING_SIZE);
  g_mutex_init(&p->mu);
  g_cond_init(&p->cond);
  p->threaded = true;
  p->thread = g_thread_new("tracker", worker, p);
}

static uint64_t issue(TrackerPipe *p, Op op);

/* Apply what is pending and end the worker; the counters carry on. */
static void stop_worker(TrackerPipe *p) {
  issue(p, (Op){.kind = OP_STOP});
  tracker_pipe_publish(p);
  g_thread_join(p->thread);
  p->done_seen = atomic_load(&p->done);
  g_assert_true(p->done_seen == p->tail);
  g_mutex_clear(&p->mu);
  g_cond_clear(&p->cond);
  g_free(p->ring);
  p->ring = NULL;
  p->thread = NULL;
  p->threaded = false;
}

TrackerPipe *tracker_pipe_new(MeshTracker **trackers, uint32_t n, MeshRng rng, bool threaded) {
  TrackerPipe *p = aligned_alloc(64, (sizeof *p + 63) / 64 * 64);
  g_assert_nonnull(p);
  *p = (TrackerPipe){.trackers = trackers, .n = n, .rng = rng};
  atomic_init(&p->head, 0);
  atomic_init(&p->done, 0);
  atomic_init(&p->sleeping, 0);
  if (threaded) start_worker(p);
  return p;
}

void tracker_pipe_set_threaded(TrackerPipe *p, bool threaded) {
  if (threaded == p->threaded) return;
  if (threaded) start_worker(p);
  else stop_worker(p);
}

bool tracker_pipe_threaded(const TrackerPipe *p) { return p->threaded; }

void tracker_pipe_publish(TrackerPipe *p) {
  if (p->tail == p->published) return;
  p->published = p->tail;
  /* A plain store: no fence on every event. A worker that goes to sleep
   * just as this store is on its way may miss it; it naps SLEEP_US at most. */
  atomic_store_explicit(&p->head, p->tail, memory_order_release);
  if (atomic_load_explicit(&p->sleeping, memory_order_relaxed)) {
    g_mutex_lock(&p->mu);
    g_cond_signal(&p->cond);
    g_mutex_unlock(&p->mu);
  }
}

/* One poll of a waiting model: a pause, or its core after WAIT_SPINS. */
static void wait_a_while(unsigned *spins) {
  if (++*spins < WAIT_SPINS) cpu_relax();
  else sched_yield();
}

static void wait_done(TrackerPipe *p, uint64_t ticket) {
  tracker_pipe_publish(p);
  unsigned spins = 0;
  while ((p->done_seen = atomic_load_explicit(&p->done, memory_order_acquire)) < ticket)
    wait_a_while(&spins);
}

/* The slot for the next op, after waiting for room. */
static Op *next_op(TrackerPipe *p) {
  if (p->tail - p->done_seen >= RING_SIZE) wait_done(p, p->tail - RING_SIZE + 1);
  return &p->ring[p->tail & RING_MASK];
}

/* Issue op: apply it now or hand it to the worker. Returns its ticket. */
static uint64_t issue(TrackerPipe *p, Op op) {
  if (!p->threaded) {
    apply(p, &op, p->tail + 1);
    p->published = p->done_seen = ++p->tail;
    return p->tail;
  }
  *next_op(p) = op;
  p->tail++;
  if (p->tail - p->published >= PUBLISH_EVERY) tracker_pipe_publish(p);
  return p->tail;
}

void tracker_pipe_join(TrackerPipe *p, uint32_t idx, uint32_t peer, uint32_t network,
                       uint32_t country) {
  issue(p, (Op){.kind = OP_JOIN, .idx = (uint8_t)idx, .peer = peer, .network = network,
                .country = country});
}

void tracker_pipe_reserve(TrackerPipe *p, uint32_t idx, uint32_t peer, uint32_t n) {
  issue(p, (Op){.kind = OP_RESERVE, .idx = (uint8_t)idx, .peer = peer, .version = n});
}

void tracker_pipe_announce(TrackerPipe *p, uint32_t idx, uint32_t peer, uint64_t obj,
                           uint32_t version) {
  issue(p, (Op){.kind = OP_ANNOUNCE, .idx = (uint8_t)idx, .peer = peer, .obj = obj,
                .version = version});
}

void tracker_pipe_withdraw(TrackerPipe *p, uint32_t idx, uint32_t peer, uint64_t obj,
                           uint32_t version) {
  issue(p, (Op){.kind = OP_WITHDRAW, .idx = (uint8_t)idx, .peer = peer, .obj = obj,
                .version = version});
}

void tracker_pipe_leave(TrackerPipe *p, uint32_t idx, uint32_t peer) {
  issue(p, (Op){.kind = OP_LEAVE, .idx = (uint8_t)idx, .peer = peer});
}

void tracker_pipe_reset(TrackerPipe *p, uint32_t idx) {
  issue(p, (Op){.kind = OP_RESET, .idx = (uint8_t)idx});
}

uint64_t tracker_pipe_query(TrackerPipe *p, uint32_t idx, uint64_t obj, uint32_t version,
                            uint32_t requester, uint32_t network, uint32_t country, uint32_t k,
                            TrackerPipeAnswer *out) {
  g_assert_true(k <= TRACKER_PIPE_MAX_CAND);
  /* below every ticket to come, whatever the slot held */
  atomic_store_explicit(&out->ticket, 0, memory_order_relaxed);
  return issue(p, (Op){.kind = OP_QUERY, .idx = (uint8_t)idx, .k = (uint8_t)k, .peer = requester,
                       .obj = obj, .version = version, .network = network, .country = country,
                       .out = out});
}

void tracker_pipe_wait(TrackerPipe *p, uint64_t ticket) {
  if (p->done_seen >= ticket) return; /* known done */
  wait_done(p, ticket);
}

void tracker_pipe_wait_answer(TrackerPipe *p, const TrackerPipeAnswer *out, uint64_t ticket) {
  if (atomic_load_explicit(&out->ticket, memory_order_acquire) == ticket) return;
  tracker_pipe_publish(p); /* the query may not be visible yet */
  unsigned spins = 0;
  while (atomic_load_explicit(&out->ticket, memory_order_acquire) != ticket) wait_a_while(&spins);
}

void tracker_pipe_sync(TrackerPipe *p) { tracker_pipe_wait(p, p->tail); }

void tracker_pipe_free(TrackerPipe *p) {
  if (!p) return;
  if (p->threaded) stop_worker(p);
  free(p);
}
