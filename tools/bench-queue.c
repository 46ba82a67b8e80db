/*
 * bench-queue.c: hold-model benchmark of the engine's pending-event set.
 *
 * Hold model (Jones 1986; Rönngren and Ayani 1997): N events pending; each
 * hold dequeues the minimum and enqueues one event at its time plus a random
 * increment (mean 1 ms; exp, uniform or bimodal). It compares OUR queue,
 * through the public engine API (engine_schedule / engine_pop), with a plain
 * binary heap of SimEvent values written here (and, with --4ary, a 4-ary
 * heap), on the same seed and hold counts: all must dequeue the same events,
 * so the final times and a checksum of the dequeued times must agree.
 * --payload: after each dequeue, touch a random 64-byte record among
 * 1,000,000 (the cache miss of a real handler; the record index rides in
 * the event). Times are CPU time (CLOCK_PROCESS_CPUTIME_ID), best of
 * --repeat runs; the timed holds follow --warmup untimed holds.
 * A tool, not simulation logic: it may read clocks.
 */
#define _POSIX_C_SOURCE 200809L   /* clock_gettime with C17 and no extensions */
#include <glib.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/engine.h"
#include "core/rng.h"

#define MEAN_NS 1000000.0          /* mean increment: 1 ms */
#define NRECORDS 1000000           /* payload records */

typedef enum Dist { DIST_EXP, DIST_UNI, DIST_BIM } Dist;

typedef struct Record {            /* one cache line */
  uint64_t hits;
  uint64_t sum;
  uint64_t pad[6];
} Record;

typedef struct Bench {
  Dist dist;
  bool payload;
  Record *records;                 /* NRECORDS when payload */
  MeshRng rng;
} Bench;

static inline SimTime increment(Bench *b) {
  uint64_t x = b->rng.next(b->rng.state);
  double u = (double)(x >> 11) * 0x1.0p-53;          /* [0, 1) */
  switch (b->dist) {
    case DIST_EXP: return (SimTime)(-MEAN_NS * log1p(-u));
    case DIST_UNI: return (SimTime)(u * 2 * MEAN_NS);
    case DIST_BIM: /* 90% U[0, 0.2m), 10% U[0, 18.2m): mean m */
      return (x & 0xff) < 230 ? (SimTime)(u * 0.2 * MEAN_NS) : (SimTime)(u * 18.2 * MEAN_NS);
  }
  return 0;
}

static inline uint32_t record_index(Bench *b) {
  return (uint32_t)(((b->rng.next(b->rng.state) >> 32) * NRECORDS) >> 32);
}

static inline void touch(Bench *b, const SimEvent *ev) {
  if (!b->payload) return;
  Record *r = &b->records[ev->a];
  r->hits++;
  r->sum += (uint64_t)ev->at;
}

/* ---- the plain binary heap (and a 4-ary heap) of SimEvent values -------- */

typedef struct Heap {
  SimEvent *v;
  size_t n, cap;
  uint64_t seq;
  unsigned d;                      /* arity: 2 or 4 */
} Heap;

static inline bool ev_less(const SimEvent *x, const SimEvent *y) {
  return x->at < y->at || (x->at == y->at && x->seq < y->seq);
}

static void heap_push(Heap *h, SimTime at, uint32_t a) {
  if (h->n == h->cap) {
    h->cap = h->cap ? 2 * h->cap : 1024;
    h->v = g_renew(SimEvent, h->v, h->cap);
  }
  SimEvent x = {.at = at, .seq = h->seq++, .a = a};
  size_t i = h->n++;
  while (i > 0) {
    size_t p = (i - 1) / h->d;
    if (!ev_less(&x, &h->v[p])) break;
    h->v[i] = h->v[p];
    i = p;
  }
  h->v[i] = x;
}

static SimEvent heap_pop(Heap *h) {
  SimEvent top = h->v[0], x = h->v[--h->n];
  size_t i = 0, n = h->n, d = h->d;
  for (;;) {
    size_t c = d * i + 1;
    if (c >= n) break;
    size_t best = c, end = c + d < n ? c + d : n;
    for (size_t j = c + 1; j < end; j++)
      if (ev_less(&h->v[j], &h->v[best])) best = j;
    if (!ev_less(&h->v[best], &x)) break;
    h->v[i] = h->v[best];
    i = best;
  }
  if (n > 0) h->v[i] = x;
  return top;
}

/* ---- runs --------------------------------------------------------------- */

typedef enum Kind { Q_ENGINE, Q_BINARY, Q_QUAD } Kind;
static const char *const kind_name[] = {"engine (ladder queue)", "binary heap", "4-ary heap"};

typedef struct Result {
  double cpu_ns_per_hold;
  SimTime final_time;
  uint64_t checksum;
} Result;

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static Result run_one(Kind kind, Bench *b, uint64_t seed, size_t n, uint64_t warm,
                      uint64_t holds) {
  gsl_rng *r = rng_stream_new(seed, RNG_TEST, n);
  b->rng = rng_mesh_view(r);
  Engine *e = NULL;
  Heap h = {.d = kind == Q_QUAD ? 4 : 2};
  if (kind == Q_ENGINE) e = engine_new();
  for (size_t i = 0; i < n; i++) {
    SimTime at = increment(b);
    uint32_t a = b->payload ? record_index(b) : (uint32_t)i;
    if (e) engine_schedule(e, at, 0, a, 0);
    else heap_push(&h, at, a);
  }
  Result res = {0};
  uint64_t sum = 0;
  double t0 = 0;
  for (uint64_t i = 0; i < warm + holds; i++) {
    if (i == warm) t0 = cpu_now();
    SimEvent ev;
    if (e) {
      if (!engine_pop(e, SIM_TIME_MAX, &ev)) abort();
    } else {
      ev = heap_pop(&h);
    }
    touch(b, &ev);
    sum = sum * 1000003 + (uint64_t)ev.at;
    SimTime at = ev.at + increment(b);
    uint32_t a = b->payload ? record_index(b) : ev.a;
    if (e) engine_schedule(e, at, 0, a, 0);
    else heap_push(&h, at, a);
    res.final_time = ev.at;
  }
  res.cpu_ns_per_hold = (cpu_now() - t0) / (double)holds;
  res.checksum = sum;
  engine_free(e);
  g_free(h.v);
  gsl_rng_free(r);
  return res;
}

static char *fmt_cell(double ns) {
  return g_strdup_printf("%.0f ns · %.2f M/s", ns, 1e3 / ns);
}

int main(int argc, char **argv) {
  g_autofree char *n_list = g_strdup("1e3,1e4,1e5,1e6,1e7");
  g_autofree char *dist_name = g_strdup("exp");
  gboolean payload = FALSE, quad = FALSE;
  gint64 holds = 1000000, warm = -1, seed = 1;
  gint repeat = 1;
  GOptionEntry entries[] = {
    {"n", 0, 0, G_OPTION_ARG_STRING, &n_list, "pending-set sizes, comma-separated (default 1e3,...,1e7)", "LIST"},
    {"dist", 0, 0, G_OPTION_ARG_STRING, &dist_name, "increment distribution: exp, uni or bim (default exp)", "D"},
    {"payload", 0, 0, G_OPTION_ARG_NONE, &payload, "touch a random 64-byte record of 1e6 per dequeue", NULL},
    {"holds", 0, 0, G_OPTION_ARG_INT64, &holds, "timed holds per run (default 1e6)", "H"},
    {"warmup", 0, 0, G_OPTION_ARG_INT64, &warm, "untimed holds before (default holds/2)", "W"},
    {"repeat", 0, 0, G_OPTION_ARG_INT, &repeat, "runs per cell, best kept (default 1)", "R"},
    {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "seed (default 1)", "S"},
    {"4ary", 0, 0, G_OPTION_ARG_NONE, &quad, "also time a 4-ary heap", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- hold-model benchmark of the event queue");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) err = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
    fprintf(stderr, "bench-queue: %s\n", err->message);
    return 2;
  }
  Bench b = {0};
  if (strcmp(dist_name, "exp") == 0) b.dist = DIST_EXP;
  else if (strcmp(dist_name, "uni") == 0) b.dist = DIST_UNI;
  else if (strcmp(dist_name, "bim") == 0) b.dist = DIST_BIM;
  else {
    fprintf(stderr, "bench-queue: --dist: expected exp, uni or bim, got '%s'\n", dist_name);
    return 2;
  }
  if (holds <= 0 || repeat <= 0) {
    fprintf(stderr, "bench-queue: --holds and --repeat must be > 0\n");
    return 2;
  }
  if (warm < 0) warm = holds / 2;
  b.payload = payload;
  if (payload) b.records = g_new0(Record, NRECORDS);

  g_auto(GStrv) ns = g_strsplit(n_list, ",", -1);
  int nkinds = quad ? 3 : 2;
  printf("#### hold model: dist=%s, payload=%s, %" G_GINT64_FORMAT " timed holds after %"
         G_GINT64_FORMAT " warm-up, best of %d (CPU ns per hold · M holds/s)\n\n",
         dist_name, payload ? "yes" : "no", holds, warm, repeat);
  printf("| N | %s | %s |%s speed-up vs binary | same final time |\n", kind_name[0],
         kind_name[1], quad ? " 4-ary heap |" : "");
  printf("|---|---|---|%s---|---|\n", quad ? "---|" : "");
  int status = 0;
  for (char **p = ns; *p; p++) {
    char *end;
    double nd = g_ascii_strtod(*p, &end);
    if (*end || nd < 1 || nd > 1e9) {
      fprintf(stderr, "bench-queue: --n: bad size '%s'\n", *p);
      return 2;
    }
    size_t n = (size_t)nd;
    Result best[3];
    for (int k = 0; k < nkinds; k++) {
      for (int rep = 0; rep < repeat; rep++) {
        Result r = run_one((Kind)k, &b, (uint64_t)seed, n, (uint64_t)warm, (uint64_t)holds);
        if (rep == 0 || r.cpu_ns_per_hold < best[k].cpu_ns_per_hold) best[k] = r;
      }
    }
    bool same = true;
    for (int k = 1; k < nkinds; k++)
      same = same && best[k].final_time == best[0].final_time &&
             best[k].checksum == best[0].checksum;
    if (!same) status = 1;
    g_autofree char *c0 = fmt_cell(best[0].cpu_ns_per_hold);
    g_autofree char *c1 = fmt_cell(best[1].cpu_ns_per_hold);
    g_autofree char *c2 = quad ? fmt_cell(best[2].cpu_ns_per_hold) : g_strdup("");
    printf("| %g | %s | %s |%s%s%s **%.2fx** | %s (%.6f s) |\n", nd, c0, c1, quad ? " " : "",
           c2, quad ? " |" : "", best[1].cpu_ns_per_hold / best[0].cpu_ns_per_hold,
           same ? "yes" : "NO", (double)best[0].final_time / 1e9);
    fflush(stdout);
  }
  g_free(b.records);
  if (status) fprintf(stderr, "bench-queue: the queues dequeued different events\n");
  return status;
}
