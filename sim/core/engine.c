/*
 * engine.c: clock and pending-event set of meshsim (a ladder queue).
 *
 * Structure (Tang, Goh and Thng, ACM TOMACS 2005), times as uint64 ns:
 *   top    unsorted array of the nodes of events with at >= top_start
 *          (an array, not the paper's list: spreading a million of them
 *          over rung 0 then reads independent nodes, whose cache misses
 *          overlap, instead of following a chain of dependent ones);
 *   rungs  rung[0..nrungs-1], each an array of buckets (singly linked lists)
 *          of width `width` from `start`; rung i+1 was spawned from one
 *          bucket of rung i that held more than LQ_THRES events;
 *   bottom a binary min-heap on (at, seq) of SimEvent values.
 * Invariants (checked by engine_check()):
 *   (1) bottom < rung[n-1].cur_time <= rung[n-1] < rung[n-2].cur_time <= ...
 *       <= rung[0] < top_start <= top: the ranges are disjoint and ordered,
 *       so all events of one time sit in one place, and the bottom (sorted
 *       on (at, seq)) alone decides ties: equal times pop in seq order.
 *       One exception, harmless: a rung spawned from a bucket of width w
 *       has ceil(w / w2) buckets of width w2, so its last one may reach
 *       past the parent's cur_time; once that bucket has gone to the bottom
 *       the rung is empty (every event of it was below the parent's
 *       cur_time) and its cur_time lies above its parent's until the
 *       bottom runs dry and the rung is dropped. An empty rung holds no
 *       events and no schedule reaches it (the parent, checked first, takes
 *       every time at or above its own cur_time), so the bound of the rungs
 *       below it and of the bottom is the least cur_time above them.
 *   (2) an event of rung r in bucket k has start + k*width <= at < start +
 *       (k+1)*width and k >= cur; buckets below cur are empty.
 *   (3) every event is stored exactly once: a node of the pool (top, rungs)
 *       XOR a value in the bottom heap; unused nodes are on the free list.
 *   (4) pending == top_n + sum(rung counts) + bot_n; now <= every pending at.
 * Memory: nodes live by value in one array that grows by half, recycled
 * through a free list; no allocation per event in steady state.
 * Why a ladder queue: measured with tools/bench-queue.c against a binary heap
 * (and /work/shared/bench/queue-ceiling.md against 4-ary/pairing heaps and a
 * calendar queue): O(1) amortised, 2-4x a binary heap from 10^5 events on.
 * The bottom is a heap, not the paper's sorted list, so that many events of
 * one time (which no rung can split) cost O(log n), not O(n), per insert.
 * Not here: event semantics and dispatch (sim/model), the run loop policy.
 */
#include "core/engine.h"

#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "core/core-private.h"
#include "core/engine-private.h"

#define LQ_THRES 50         /* a bucket above this size spawns a new rung */
#define LQ_MAX_RUNGS 24     /* more than log_51(2^64) + a margin */
#define LQ_NIL UINT32_MAX   /* end of a node list */

typedef struct LqNode {
  SimEvent ev;
  uint32_t next;            /* next node in its list, LQ_NIL at the end */
} LqNode;

typedef struct LqBucket {
  uint32_t head;            /* first node, LQ_NIL when empty */
  uint32_t count;           /* events in the bucket */
} LqBucket;

typedef struct LqRung {
  uint64_t start;           /* time of bucket 0, ns */
  uint64_t width;           /* bucket width, ns, >= 1 */
  uint64_t cur_time;        /* start + cur * width: the rung holds >= this */
  size_t nbuck;             /* buckets in use */
  size_t cur;               /* buckets below cur are empty */
  size_t count;             /* events in the rung */
  LqBucket *buckets;        /* cap entries, reused across spawns */
  size_t cap;
} LqRung;

struct Engine {
  SimTime now;              /* time of the last popped event, ns */
  uint64_t seq;             /* seq of the next scheduled event */
  uint64_t popped;          /* events popped so far */
  size_t pending;           /* events scheduled and not yet popped */

  LqNode *nodes;            /* node pool, ncap entries */
  uint32_t ncap;
  uint32_t nused;           /* nodes [0, nused) have been handed out once */
  uint32_t free_head;       /* free list through LqNode.next */

  uint32_t *top;            /* unsorted node indexes, top_n of top_cap */
  size_t top_n, top_cap;
  uint64_t top_start;       /* events >= top_start go to the top */
  uint64_t top_min, top_max;

  LqRung rungs[LQ_MAX_RUNGS];
  int nrungs;

  SimEvent *bot;            /* binary min-heap on (at, seq) */
  size_t bot_n, bot_cap;
};

static inline bool ev_less(const SimEvent *x, const SimEvent *y) {
  return x->at < y->at || (x->at == y->at && x->seq < y->seq);
}

/* ---- node pool ---------------------------------------------------------- */

static inline uint32_t node_get(Engine *e) {
  uint32_t i = e->free_head;
  if (i != LQ_NIL) {
    e->free_head = e->nodes[i].next;
    return i;
  }
  if (e->nused == e->ncap) {
    CORE_CHECK(e->ncap < UINT32_MAX / 2, "more than 2^31 pending events");
    e->ncap = e->ncap ? e->ncap + e->ncap / 2 : 1024; /* x1.5: less idle at the peak */
    e->nodes = g_renew(LqNode, e->nodes, e->ncap);
  }
  return e->nused++;
}

static inline void node_put(Engine *e, uint32_t i) {
  e->nodes[i].next = e->free_head;
  e->free_head = i;
}

/* ---- bottom heap -------------------------------------------------------- */

static void bot_reserve(Engine *e, size_t n) {
  if (n <= e->bot_cap) return;
  size_t cap = e->bot_cap ? e->bot_cap : 64;
  while (cap < n) cap *= 2;
  e->bot = g_renew(SimEvent, e->bot, cap);
  e->bot_cap = cap;
}

static inline void bot_sift_up(SimEvent *h, size_t i) {
  SimEvent x = h[i];
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!ev_less(&x, &h[p])) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = x;
}

static inline void bot_sift_down(SimEvent *h, size_t n, size_t i) {
  SimEvent x = h[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && ev_less(&h[c + 1], &h[c])) c++;
    if (!ev_less(&h[c], &x)) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = x;
}

static void bot_push(Engine *e, const SimEvent *ev) {
  bot_reserve(e, e->bot_n + 1);
  e->bot[e->bot_n] = *ev;
  bot_sift_up(e->bot, e->bot_n++);
}

static SimEvent bot_pop(Engine *e) {
  SimEvent top = e->bot[0];
  if (--e->bot_n > 0) {
    e->bot[0] = e->bot[e->bot_n];
    bot_sift_down(e->bot, e->bot_n, 0);
  }
  return top;
}

/* ---- rungs -------------------------------------------------------------- */

/* Make rung r cover [start, start + nbuck*width) with empty buckets. */
static void rung_init(LqRung *r, uint64_t start, uint64_t width, size_t nbuck) {
  if (nbuck > r->cap) {
    size_t cap = r->cap ? r->cap : 64;
    while (cap < nbuck) cap *= 2;
    g_free(r->buckets);
    r->buckets = g_new(LqBucket, cap);
    r->cap = cap;
  }
  for (size_t i = 0; i < nbuck; i++) r->buckets[i] = (LqBucket){LQ_NIL, 0};
  r->start = start;
  r->width = width;
  r->cur_time = start;
  r->nbuck = nbuck;
  r->cur = 0;
  r->count = 0;
}

static inline void rung_add(Engine *e, LqRung *r, uint32_t node) {
  uint64_t t = (uint64_t)e->nodes[node].ev.at;
  size_t k = (size_t)((t - r->start) / r->width);
  LqBucket *b = &r->buckets[k];
  e->nodes[node].next = b->head;
  b->head = node;
  b->count++;
  r->count++;
}

/* Spread the chain `head` (a bucket's events) over a new rung. */
static void rung_fill(Engine *e, LqRung *r, uint32_t head) {
  while (head != LQ_NIL) {
    uint32_t next = e->nodes[head].next;
    rung_add(e, r, head);
    head = next;
  }
}

static void top_to_rung0(Engine *e) {
  uint64_t n = e->top_n;
  uint64_t span = e->top_max - e->top_min + 1;  /* top_max <= INT64_MAX */
  uint64_t width = (span - 1) / n + 1;
  uint64_t nbuck = (span - 1) / width + 1;      /* <= n */
  LqRung *r = &e->rungs[0];
  rung_init(r, e->top_min, width, (size_t)nbuck);
  /* < 2^64: top_min + span <= 2^63 and nbuck*width < span + width */
  e->top_start = e->top_min + nbuck * width;
  e->nrungs = 1;
  /* prefetch a few nodes ahead: the reads are independent */
  for (size_t k = 0; k < e->top_n; k++) {
    if (k + 8 < e->top_n) __builtin_prefetch(&e->nodes[e->top[k + 8]]);
    rung_add(e, r, e->top[k]);
  }
  e->top_n = 0;
  e->top_min = UINT64_MAX;
  e->top_max = 0;
}

/* Make the bottom non-empty unless nothing is pending; false when empty. */
static bool fill_bottom(Engine *e) {
  while (e->bot_n == 0) {
    if (e->nrungs == 0) {
      if (e->top_n == 0) {
        /* Nothing pending: let the next events gather in the top again, or
         * a stale high top_start would send them all to the bottom heap. */
        e->top_start = 0;
        return false;
      }
      top_to_rung0(e);
      continue;
    }
    LqRung *r = &e->rungs[e->nrungs - 1];
    if (r->count == 0) {
      e->nrungs--;
      continue;
    }
    while (r->buckets[r->cur].count == 0) r->cur++;
    size_t k = r->cur;
    LqBucket b = r->buckets[k];
    r->buckets[k] = (LqBucket){LQ_NIL, 0};
    r->cur = k + 1;
    r->cur_time = r->start + r->cur * r->width;
    r->count -= b.count;
    if (b.count > LQ_THRES && r->width > 1 && e->nrungs < LQ_MAX_RUNGS) {
      uint64_t w = r->width, n = b.count;
      uint64_t w2 = (w - 1) / n + 1;
      LqRung *s = &e->rungs[e->nrungs++];
      rung_init(s, r->start + k * w, w2, (size_t)((w - 1) / w2 + 1));
      rung_fill(e, s, b.head);
    } else {
      bot_reserve(e, b.count);
      for (uint32_t i = b.head; i != LQ_NIL;) {
        uint32_t next = e->nodes[i].next;
        e->bot[e->bot_n++] = e->nodes[i].ev;
        node_put(e, i);
        i = next;
      }
      for (size_t i = e->bot_n / 2; i-- > 0;) bot_sift_down(e->bot, e->bot_n, i);
    }
  }
  return true;
}

/* ---- public API --------------------------------------------------------- */

Engine *engine_new(void) {
  Engine *e = g_new0(Engine, 1);
  e->free_head = LQ_NIL;
  e->top_min = UINT64_MAX;
  return e;
}

void engine_free(Engine *e) {
  if (!e) return;
  for (int i = 0; i < LQ_MAX_RUNGS; i++) g_free(e->rungs[i].buckets);
  g_free(e->nodes);
  g_free(e->top);
  g_free(e->bot);
  g_free(e);
}

SimTime engine_now(const Engine *e) { return e->now; }

void engine_schedule(Engine *e, SimTime at, uint32_t kind, uint32_t a, uint64_t b) {
  CORE_CHECK(at >= e->now,
             "event (kind %" PRIu32 ", a %" PRIu32 ") scheduled at %" PRId64
             " ns, before now = %" PRId64 " ns",
             kind, a, at, e->now);
  SimEvent ev = {.at = at, .seq = e->seq++, .kind = kind, .a = a, .b = b};
  uint64_t t = (uint64_t)at;   /* at >= now >= 0 */
  e->pending++;
  if (t >= e->top_start) {
    uint32_t i = node_get(e);
    e->nodes[i].ev = ev;
    if (e->top_n == e->top_cap) {
      e->top_cap = e->top_cap ? 2 * e->top_cap : 1024;
      e->top = g_renew(uint32_t, e->top, e->top_cap);
    }
    e->top[e->top_n++] = i;
    if (t < e->top_min) e->top_min = t;
    if (t > e->top_max) e->top_max = t;
    return;
  }
  for (int r = 0; r < e->nrungs; r++) {
    if (t >= e->rungs[r].cur_time) {
      uint32_t i = node_get(e);
      e->nodes[i].ev = ev;
      rung_add(e, &e->rungs[r], i);
      return;
    }
  }
  bot_push(e, &ev);
}

bool engine_pop(Engine *e, SimTime stop, SimEvent *out) {
  if (!fill_bottom(e) || e->bot[0].at > stop) return false;
  *out = bot_pop(e);
  e->now = out->at;
  e->popped++;
  e->pending--;
  return true;
}

SimTime engine_peek_time(const Engine *e) {
  /* Logically const: finding the minimum may move events from the rungs to
   * the bottom, which changes no observable order. Engines come from
   * engine_new() (never const objects), so the cast is defined behaviour. */
  Engine *m = (Engine *)e;
  return fill_bottom(m) ? m->bot[0].at : SIM_TIME_MAX;
}

void engine_advance(Engine *e, SimTime t) {
  CORE_CHECK(t >= e->now, "advance to %" PRId64 " ns, before now = %" PRId64 " ns",
             t, e->now);
  SimTime next = engine_peek_time(e);
  CORE_CHECK(t <= next,
             "advance to %" PRId64 " ns would skip an event pending at %" PRId64 " ns",
             t, next);
  e->now = t;
}

size_t engine_pending(const Engine *e) { return e->pending; }
uint64_t engine_popped(const Engine *e) { return e->popped; }

size_t engine_pool_nodes(const Engine *e) { return e->ncap; }

size_t engine_memory_bytes(const Engine *e) {
  size_t m = sizeof *e + (size_t)e->ncap * sizeof(LqNode) + e->top_cap * sizeof(uint32_t) +
             e->bot_cap * sizeof(SimEvent);
  for (int r = 0; r < LQ_MAX_RUNGS; r++) m += e->rungs[r].cap * sizeof(LqBucket);
  return m;
}

/* ---- whole-structure checker -------------------------------------------- */

#define CHECK(cond, ...) \
  do { if (!(cond)) { g_snprintf(buf, sizeof buf, __VA_ARGS__); return g_strdup(buf); } } while (0)

char *engine_check(const Engine *e) {
  char buf[256];
  size_t total = 0;
  uint64_t now = (uint64_t)e->now;
  /* free list and list lengths are bounded by nused: a cycle shows as too many */
  size_t nfree = 0;
  for (uint32_t i = e->free_head; i != LQ_NIL; i = e->nodes[i].next) {
    CHECK(i < e->nused, "free node %u out of range", i);
    CHECK(++nfree <= e->nused, "free list longer than the pool");
  }
  size_t n = e->top_n;
  CHECK(n <= e->top_cap && n <= e->nused, "top holds %zu events, more than it can", n);
  for (size_t k = 0; k < n; k++) {
    uint32_t i = e->top[k];
    CHECK(i < e->nused, "top node %u out of range", i);
    uint64_t t = (uint64_t)e->nodes[i].ev.at;
    CHECK(t >= e->top_start, "top event at %" PRIu64 " < top_start %" PRIu64, t, e->top_start);
    CHECK(t >= e->top_min && t <= e->top_max, "top event outside [top_min, top_max]");
  }
  total += n;
  uint64_t upper = e->top_start;      /* exclusive bound of the rung below */
  for (int r = 0; r < e->nrungs; r++) {
    const LqRung *g = &e->rungs[r];
    CHECK(g->width >= 1 && g->cur <= g->nbuck, "rung %d malformed", r);
    CHECK(g->cur_time == g->start + g->cur * g->width, "rung %d cur_time", r);
    /* an exhausted rung may start above: see invariant (1) */
    CHECK(g->count == 0 || g->cur_time <= upper, "rung %d starts above the rung above", r);
    size_t rc = 0;
    for (size_t k = 0; k < g->nbuck; k++) {
      size_t bc = 0;
      for (uint32_t i = g->buckets[k].head; i != LQ_NIL; i = e->nodes[i].next) {
        uint64_t t = (uint64_t)e->nodes[i].ev.at;
        CHECK(++bc <= e->nused, "bucket list longer than the pool");
        CHECK(k >= g->cur, "rung %d bucket %zu below cur %zu is not empty", r, k, g->cur);
        CHECK(t >= g->start + k * g->width && t - g->start - k * g->width < g->width,
              "rung %d bucket %zu holds %" PRIu64 " outside its range", r, k, t);
        CHECK(t < upper, "rung %d event %" PRIu64 " >= bound %" PRIu64, r, t, upper);
        CHECK(t >= now, "rung event before now");
      }
      CHECK(bc == g->buckets[k].count, "rung %d bucket %zu count", r, k);
      rc += bc;
    }
    CHECK(rc == g->count, "rung %d holds %zu events, count = %zu", r, rc, g->count);
    total += rc;
    if (g->cur_time < upper) upper = g->cur_time;
  }
  for (size_t i = 0; i < e->bot_n; i++) {
    CHECK((uint64_t)e->bot[i].at < upper, "bottom event %" PRId64 " >= bound %" PRIu64,
          e->bot[i].at, upper);
    CHECK((uint64_t)e->bot[i].at >= now, "bottom event before now");
    if (i > 0) CHECK(!ev_less(&e->bot[i], &e->bot[(i - 1) / 2]), "bottom heap order at %zu", i);
  }
  total += e->bot_n;
  CHECK(total == e->pending, "%zu events stored, pending = %zu", total, e->pending);
  CHECK(total - e->bot_n + nfree == e->nused, "nodes leaked: %zu in use + %zu free != %u",
        total - e->bot_n, nfree, e->nused);
  return NULL;
}
