/*
 * test_tracker_pipe.c: the geo model's tracker pipe (model/tracker_pipe.h)
 * applies exactly the operations it is given, in issue order: a random
 * sequence of joins, reserves, announces, withdrawals, leaves, rebuilds
 * and queries, long enough to wrap the ring many times and fill it, gives
 * the same query answers and the same trackers through a threaded pipe
 * (switched off and on again on the way, and waited on at random), an
 * unthreaded one and direct calls of the tracker.
 */
#include <glib.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <string.h>

#include "core/rng.h"
#include "mesh/tracker.h"
#include "model/tracker_pipe.h"

enum { PEERS = 3000, NETWORKS = 300, COUNTRIES = 30, OBJECTS = 400, OPS = 400000, N_IDX = 2 };

typedef struct Side {
  MeshTracker *trackers[N_IDX];
  gsl_rng *rng;
  MeshRng view;
  TrackerPipe *pipe; /* NULL: direct calls */
  TrackerPipeAnswer *answers;
  uint64_t *tickets;
} Side;

static void side_init(Side *s, bool pipe, bool threaded) {
  for (int i = 0; i < N_IDX; i++) s->trackers[i] = mesh_tracker_new(NULL);
  s->rng = rng_stream_new(7, RNG_SELECTION, 1);
  s->view = rng_mesh_view(s->rng);
  s->pipe = pipe ? tracker_pipe_new(s->trackers, N_IDX, s->view, threaded) : NULL;
  s->answers = g_aligned_alloc0(OPS, sizeof(TrackerPipeAnswer), alignof(TrackerPipeAnswer));
  s->tickets = g_new0(uint64_t, OPS);
}

static void side_clear(Side *s) {
  tracker_pipe_free(s->pipe);
  for (int i = 0; i < N_IDX; i++) mesh_tracker_free(s->trackers[i]);
  gsl_rng_free(s->rng);
  g_aligned_free(s->answers);
  g_free(s->tickets);
}

typedef struct Op {
  int kind; /* 0 join, 1 reserve, 2 announce, 3 withdraw, 4 leave, 5 reset, 6 query */
  uint32_t idx, peer, n;
  uint64_t obj;
  uint32_t version;
} Op;

static uint32_t net_of(uint32_t peer) { return peer % NETWORKS; }
static uint32_t cty_of(uint32_t peer) { return net_of(peer) % COUNTRIES; }

static void apply_direct(Side *s, const Op *o, uint32_t q) {
  MeshTracker *t = s->trackers[o->idx];
  switch (o->kind) {
    case 0:
      g_assert_cmpint(mesh_tracker_join(t, o->peer, net_of(o->peer), cty_of(o->peer)), ==,
                      MESH_OK);
      break;
    case 1:
      g_assert_cmpint(mesh_tracker_reserve(t, o->peer, o->n), ==, MESH_OK);
      break;
    case 2:
      mesh_tracker_announce(t, o->peer, o->obj, o->version);
      break;
    case 3:
      mesh_tracker_withdraw(t, o->peer, o->obj, o->version);
      break;
    case 4:
      mesh_tracker_leave(t, o->peer);
      break;
    case 5:
      mesh_tracker_free(t);
      s->trackers[o->idx] = mesh_tracker_new(NULL);
      break;
    case 6: {
      MeshTier tiers[TRACKER_PIPE_MAX_CAND];
      TrackerPipeAnswer *a = &s->answers[q];
      a->n = (uint32_t)mesh_tracker_query(t, o->obj, o->version, o->peer, net_of(o->peer),
                                          cty_of(o->peer), o->n, &s->view, a->peers, tiers);
      for (uint32_t i = 0; i < a->n; i++) a->tiers[i] = (uint8_t)tiers[i];
      break;
    }
  }
}

static void apply_pipe(Side *s, const Op *o, uint32_t q) {
  TrackerPipe *p = s->pipe;
  switch (o->kind) {
    case 0:
      tracker_pipe_join(p, o->idx, o->peer, net_of(o->peer), cty_of(o->peer));
      break;
    case 1:
      tracker_pipe_reserve(p, o->idx, o->peer, o->n);
      break;
    case 2:
      tracker_pipe_announce(p, o->idx, o->peer, o->obj, o->version);
      break;
    case 3:
      tracker_pipe_withdraw(p, o->idx, o->peer, o->obj, o->version);
      break;
    case 4:
      tracker_pipe_leave(p, o->idx, o->peer);
      break;
    case 5:
      tracker_pipe_reset(p, o->idx);
      break;
    case 6:
      s->tickets[q] = tracker_pipe_query(p, o->idx, o->obj, o->version, o->peer,
                                         net_of(o->peer), cty_of(o->peer), o->n, &s->answers[q]);
      break;
  }
}

static void assert_same_answer(const TrackerPipeAnswer *a, const TrackerPipeAnswer *b) {
  g_assert_cmpuint(a->n, ==, b->n);
  g_assert_cmpmem(a->peers, a->n * sizeof a->peers[0], b->peers, b->n * sizeof b->peers[0]);
  g_assert_cmpmem(a->tiers, a->n, b->tiers, b->n);
}

static void test_same_as_direct(void) {
  Side sides[3];
  side_init(&sides[0], false, false); /* direct */
  side_init(&sides[1], true, false);  /* pipe, one thread */
  side_init(&sides[2], true, true);   /* pipe, worker */
  g_autoptr(GRand) r = g_rand_new_with_seed(11);
  bool online[PEERS] = {false};
  uint32_t queries = 0, waits = 0, answer_waits = 0, answered = 0, resets = 0;
  for (uint32_t i = 0; i < OPS; i++) {
    Op o = {0};
    o.peer = (uint32_t)g_rand_int_range(r, 0, PEERS);
    o.idx = o.peer % N_IDX;
    int dice = g_rand_int_range(r, 0, 1000);
    if (g_rand_int_range(r, 0, 40000) == 0) { /* a rebuild: its peers are gone */
      o.kind = 5;
      resets++;
      for (uint32_t p = o.idx; p < PEERS; p += N_IDX) online[p] = false;
    } else if (!online[o.peer]) {
      o.kind = 0;
      online[o.peer] = true;
    } else if (dice < 20) {
      o.kind = 4;
      online[o.peer] = false;
    } else if (dice < 40) {
      o.kind = 1;
      o.n = (uint32_t)g_rand_int_range(r, 0, 200);
    } else {
      /* popular objects (low ids) most often, two versions */
      o.obj = (uint64_t)(g_rand_double(r) * g_rand_double(r) * OBJECTS);
      o.version = (uint32_t)g_rand_int_range(r, 0, 2);
      o.kind = dice < 500 ? 2 : dice < 700 ? 3 : 6;
      o.n = (uint32_t)g_rand_int_range(r, 1, 9);
    }
    uint32_t q = o.kind == 6 ? queries++ : 0;
    apply_direct(&sides[0], &o, q);
    apply_pipe(&sides[1], &o, q);
    apply_pipe(&sides[2], &o, q);
    if (o.kind == 6 && g_rand_int_range(r, 0, 20) == 0) { /* an answer event */
      uint32_t back = (uint32_t)g_rand_int_range(r, 0, (gint32)MIN(q + 1, 100u));
      if (g_rand_boolean(r)) {
        tracker_pipe_wait(sides[2].pipe, sides[2].tickets[q - back]);
      } else { /* the answer's own wait: the answer is whole once it returns */
        const TrackerPipeAnswer *a = &sides[0].answers[q - back], *b = &sides[2].answers[q - back];
        tracker_pipe_wait_answer(sides[2].pipe, b, sides[2].tickets[q - back]);
        g_assert_cmpuint(atomic_load(&b->ticket), ==, sides[2].tickets[q - back]);
        assert_same_answer(a, b);
        answer_waits++;
      }
      waits++;
    }
    if (i % 1000 == 999) {
      tracker_pipe_publish(sides[2].pipe);
      tracker_pipe_publish(sides[1].pipe);
    }
    if (i == OPS / 3) tracker_pipe_set_threaded(sides[2].pipe, false);
    if (i == OPS / 2) tracker_pipe_set_threaded(sides[2].pipe, true);
  }
  g_assert_true(tracker_pipe_threaded(sides[2].pipe));
  g_assert_false(tracker_pipe_threaded(sides[1].pipe));
  tracker_pipe_sync(sides[1].pipe);
  tracker_pipe_sync(sides[2].pipe);
  g_assert_cmpuint(queries, >, OPS / 10);
  g_assert_cmpuint(waits, >, 1000);
  g_assert_cmpuint(answer_waits, >, 500);
  for (uint32_t q = 0; q < queries; q++) {
    const TrackerPipeAnswer *a = &sides[0].answers[q];
    answered += a->n > 0;
    for (int k = 1; k < 3; k++) assert_same_answer(a, &sides[k].answers[q]);
  }
  g_assert_cmpuint(answered, >, queries / 4); /* many queries found holders */
  g_assert_cmpuint(resets, >, 2);
  for (int i = 0; i < N_IDX; i++) {
    size_t h = mesh_tracker_holdings(sides[0].trackers[i]);
    g_assert_cmpuint(h, >, 1000);
    for (int k = 0; k < 3; k++) {
      g_assert_true(mesh_tracker_check(sides[k].trackers[i]));
      g_assert_cmpuint(mesh_tracker_holdings(sides[k].trackers[i]), ==, h);
      g_assert_cmpuint(mesh_tracker_online_count(sides[k].trackers[i]), ==,
                       mesh_tracker_online_count(sides[0].trackers[i]));
      g_assert_cmpuint(mesh_tracker_memory_bytes(sides[k].trackers[i]), ==,
                       mesh_tracker_memory_bytes(sides[0].trackers[i]));
    }
  }
  for (int k = 0; k < 3; k++) side_clear(&sides[k]);
}

/* A pipe freed with operations pending applies them first. */
static void test_free_applies_pending(void) {
  MeshTracker *t[1] = {mesh_tracker_new(NULL)};
  gsl_rng *g = rng_stream_new(3, RNG_SELECTION, 1);
  TrackerPipe *p = tracker_pipe_new(t, 1, rng_mesh_view(g), true);
  tracker_pipe_join(p, 0, 1, 10, 2);
  for (uint64_t o = 0; o < 50000; o++) tracker_pipe_announce(p, 0, 1, o, 0);
  tracker_pipe_free(p);
  g_assert_cmpuint(mesh_tracker_holdings(t[0]), ==, 50000);
  g_assert_true(mesh_tracker_check(t[0]));
  mesh_tracker_free(t[0]);
  gsl_rng_free(g);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/tracker-pipe/same-as-direct", test_same_as_direct);
  g_test_add_func("/tracker-pipe/free-applies-pending", test_free_applies_pending);
  return g_test_run();
}
