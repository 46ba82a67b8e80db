/*
 * test_agent.c: every transition and failure path of the client agent,
 * driven by a tiny fake host that records the agent's actions in a log
 * and keeps a set as the agent's cache.
 */
#include "mesh/agent.h"

#include <glib.h>
#include <string.h>

static uint64_t splitmix(void *state) {
  uint64_t *s = state;
  uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* ---- fake host ------------------------------------------------------- */

typedef enum Act {
  A_QUERY, A_ANNOUNCE, A_WITHDRAW, A_OPEN, A_CLOSE, A_START, A_CANCEL, A_CDN, A_TIMER,
  A_UNTIMER, A_DELIVER, A_INSERT
} Act;

typedef struct Entry {
  Act act;
  uint64_t handle; /* or timer, or cookie */
  uint32_t peer;
  uint64_t obj;
  MeshTime at;
  MeshSource src;
} Entry;

typedef struct Host {
  Entry log[256];
  size_t n, cur;
  uint64_t cached[64];
  size_t ncached;
  uint64_t too_big; /* objects at least this large are not cached */
  MeshAgent *agent;
  uint64_t rng_state;
  MeshRng rng;
} Host;

static Entry *push(Host *h, Act act) {
  g_assert_cmpuint(h->n, <, G_N_ELEMENTS(h->log));
  Entry *e = &h->log[h->n++];
  memset(e, 0, sizeof *e);
  e->act = act;
  return e;
}

static bool h_lookup(void *ud, uint64_t obj, uint32_t version) {
  Host *h = ud;
  for (size_t i = 0; i < h->ncached; i++)
    if (h->cached[i] == (obj << 8 | version)) return true;
  return false;
}
static bool h_insert(void *ud, uint64_t obj, uint32_t version, uint64_t size) {
  Host *h = ud;
  push(h, A_INSERT)->obj = obj;
  if (size >= h->too_big) return false;
  if (!h_lookup(ud, obj, version)) h->cached[h->ncached++] = obj << 8 | version;
  return true;
}
static void h_query(void *ud, uint64_t handle, uint64_t obj, uint32_t version) {
  (void)version;
  Entry *e = push(ud, A_QUERY);
  e->handle = handle;
  e->obj = obj;
}
static void h_announce(void *ud, uint64_t obj, uint32_t version) {
  (void)version;
  push(ud, A_ANNOUNCE)->obj = obj;
}
static void h_withdraw(void *ud, uint64_t obj, uint32_t version) {
  (void)version;
  push(ud, A_WITHDRAW)->obj = obj;
}
static void h_open(void *ud, uint32_t peer) { push(ud, A_OPEN)->peer = peer; }
static void h_close(void *ud, uint32_t peer) { push(ud, A_CLOSE)->peer = peer; }
static void h_start(void *ud, uint64_t handle, uint32_t peer, uint64_t obj, uint32_t version) {
  (void)version;
  Entry *e = push(ud, A_START);
  e->handle = handle;
  e->peer = peer;
  e->obj = obj;
}
static void h_cancel(void *ud, uint64_t handle, uint32_t peer) {
  Entry *e = push(ud, A_CANCEL);
  e->handle = handle;
  e->peer = peer;
}
static void h_cdn(void *ud, uint64_t handle, uint64_t obj, uint32_t version) {
  (void)version;
  Entry *e = push(ud, A_CDN);
  e->handle = handle;
  e->obj = obj;
}
static void h_timer(void *ud, uint64_t timer, MeshTime at) {
  Entry *e = push(ud, A_TIMER);
  e->handle = timer;
  e->at = at;
}
static void h_untimer(void *ud, uint64_t timer) { push(ud, A_UNTIMER)->handle = timer; }
static void h_deliver(void *ud, uint64_t cookie, MeshSource src, uint32_t peer) {
  Entry *e = push(ud, A_DELIVER);
  e->handle = cookie;
  e->src = src;
  e->peer = peer;
}

static const MeshAgentOps OPS = {
  .cache_lookup = h_lookup, .cache_insert = h_insert, .tracker_query = h_query,
  .announce = h_announce,   .withdraw = h_withdraw,   .open_channel = h_open,
  .close_channel = h_close, .start_transfer = h_start, .cancel_transfer = h_cancel,
  .cdn_fetch = h_cdn,       .arm_timer = h_timer,     .cancel_timer = h_untimer,
  .deliver = h_deliver,
};

/* The agent of peer 1 in network 10, country 2; locality selection. */
static Host *host_new(const MeshAgentParams *params, const MeshSelectParams *sp) {
  Host *h = g_new0(Host, 1);
  h->too_big = UINT64_MAX;
  h->rng_state = 5;
  h->rng = (MeshRng){splitmix, &h->rng_state};
  h->agent = mesh_agent_new(1, 10, 2, params, mesh_select_find("locality"), sp, &OPS, h, &h->rng,
                            NULL);
  g_assert_nonnull(h->agent);
  return h;
}

static void host_free(Host *h) {
  mesh_agent_free(h->agent);
  g_free(h);
}

/* The next logged action, which must be `act`. */
static Entry next(Host *h, Act act) {
  g_assert_cmpuint(h->cur, <, h->n);
  Entry e = h->log[h->cur++];
  g_assert_cmpint(e.act, ==, act);
  return e;
}

static void no_more(Host *h) { g_assert_cmpuint(h->cur, ==, h->n); }

/* Candidates: peers in the requester's network come first with locality,
 * so the order of trial is the order given when all are in network 10. */
static MeshCandidate peer_at(uint32_t peer, uint32_t net) {
  return (MeshCandidate){.peer = peer, .network = net, .country = 2, .rtt_ns = MESH_NS_PER_MS,
                         .upload_slots = 4, .nat_compatible = true};
}

#define MS MESH_NS_PER_MS
#define S MESH_NS_PER_S

/* request -> query; returns the query's handle */
static uint64_t ask(Host *h, MeshTime now, uint64_t obj, uint64_t cookie) {
  g_assert_cmpint(mesh_agent_request(h->agent, now, obj, 0, 1000, obj * 7, cookie), ==, MESH_OK);
  Entry q = next(h, A_TIMER);
  g_assert_cmpint(q.at, ==, now + 2 * S); /* tracker timeout */
  Entry e = next(h, A_QUERY);
  g_assert_cmpuint(e.obj, ==, obj);
  g_assert_cmpuint(e.handle, ==, q.handle);
  return e.handle;
}

/* answer with one candidate in the requester's network, expect a connect */
static void answer1(Host *h, MeshTime now, uint64_t q, uint32_t peer) {
  MeshCandidate c = peer_at(peer, 10);
  mesh_agent_on_tracker_answer(h->agent, now, q, &c, 1);
  next(h, A_UNTIMER);
}

/* ---- tests ----------------------------------------------------------- */

static void test_local_hit(void) {
  Host *h = host_new(NULL, NULL);
  h->cached[h->ncached++] = 42 << 8;
  g_assert_cmpint(mesh_agent_request(h->agent, 0, 42, 0, 1000, 1, 77), ==, MESH_OK);
  Entry d = next(h, A_DELIVER);
  g_assert_cmpuint(d.handle, ==, 77);
  g_assert_cmpint(d.src, ==, MESH_SOURCE_LOCAL);
  no_more(h);
  g_assert_cmpuint(mesh_agent_in_flight(h->agent), ==, 0);
  g_assert_cmpuint(mesh_agent_stats(h->agent)->local_hits, ==, 1);
  host_free(h);
}

/* A host that looked the object up itself passes the answer: the agent
 * follows it (here against the host's cache, which holds nothing) and does
 * not look again. */
static void test_looked_up(void) {
  Host *h = host_new(NULL, NULL);
  g_assert_cmpint(mesh_agent_request_looked_up(h->agent, 0, 42, 0, 1000, 1, 77, true), ==,
                  MESH_OK);
  Entry d = next(h, A_DELIVER);
  g_assert_cmpuint(d.handle, ==, 77);
  g_assert_cmpint(d.src, ==, MESH_SOURCE_LOCAL);
  no_more(h);
  g_assert_cmpuint(mesh_agent_stats(h->agent)->local_hits, ==, 1);
  g_assert_cmpuint(mesh_agent_stats(h->agent)->requests, ==, 1);
  h->cached[h->ncached++] = 43 << 8; /* held, but the host says it missed */
  g_assert_cmpint(mesh_agent_request_looked_up(h->agent, 0, 43, 0, 1000, 1, 78, false), ==,
                  MESH_OK);
  g_assert_cmpuint(mesh_agent_stats(h->agent)->local_hits, ==, 1);
  g_assert_cmpuint(mesh_agent_in_flight(h->agent), ==, 1);
  host_free(h);
}

static void test_no_candidate_cdn(void) {
  Host *h = host_new(NULL, NULL);
  uint64_t q = ask(h, 0, 5, 50);
  MeshCandidate self = peer_at(1, 10); /* the agent itself is never chosen */
  mesh_agent_on_tracker_answer(h->agent, 10 * MS, q, &self, 1);
  next(h, A_UNTIMER);
  Entry c = next(h, A_CDN);
  no_more(h);
  mesh_agent_on_cdn_done(h->agent, 90 * MS, c.handle);
  g_assert_cmpuint(next(h, A_INSERT).obj, ==, 5);
  g_assert_cmpuint(next(h, A_ANNOUNCE).obj, ==, 5);
  Entry d = next(h, A_DELIVER);
  g_assert_cmpint(d.src, ==, MESH_SOURCE_CDN);
  g_assert_cmpuint(d.handle, ==, 50);
  no_more(h);
  /* a second completion is stale */
  mesh_agent_on_cdn_done(h->agent, 91 * MS, c.handle);
  no_more(h);
  g_assert_cmpuint(mesh_agent_in_flight(h->agent), ==, 0);
  host_free(h);
}

static void test_mesh_success_and_channel_reuse(void) {
  Host *h = host_new(NULL, NULL);
  uint64_t q = ask(h, 0, 5, 50);
  answer1(h, 10 * MS, q, 9);
  g_assert_cmpuint(next(h, A_OPEN).peer, ==, 9);
  Entry t = next(h, A_TIMER);
  g_assert_cmpint(t.at, ==, 10 * MS + 3 * S); /* connect timeout */
  no_more(h);
  mesh_agent_on_channel_open(h->agent, 60 * MS, 9);
  next(h, A_UNTIMER);
  Entry tt = next(h, A_TIMER);
  g_assert_cmpint(tt.at, ==, 60 * MS + 10 * S); /* transfer timeout */
  Entry s = next(h, A_START);
  g_assert_cmpuint(s.peer, ==, 9);
  g_assert_cmpuint(s.obj, ==, 5);
  g_assert_cmpuint(s.handle, ==, tt.handle);
  mesh_agent_on_transfer_done(h->agent, 260 * MS, s.handle, 5 * 7);
  next(h, A_UNTIMER);
  next(h, A_INSERT);
  next(h, A_ANNOUNCE);
  Entry d = next(h, A_DELIVER);
  g_assert_cmpint(d.src, ==, MESH_SOURCE_MESH);
  g_assert_cmpuint(d.peer, ==, 9);
  no_more(h);
  g_assert_cmpuint(mesh_agent_channels(h->agent), ==, 1); /* kept for reuse */
  /* the next request to peer 9 reuses the channel: no open, straight to
   * the transfer */
  q = ask(h, 1 * S, 6, 51);
  answer1(h, 1 * S, q, 9);
  next(h, A_TIMER);
  s = next(h, A_START);
  g_assert_cmpuint(s.peer, ==, 9);
  no_more(h);
  /* stale: the old transfer's handle does nothing */
  mesh_agent_on_transfer_done(h->agent, 1 * S, tt.handle, 5 * 7);
  no_more(h);
  mesh_agent_on_transfer_done(h->agent, 1200 * MS, s.handle, 6 * 7);
  next(h, A_UNTIMER);
  next(h, A_INSERT);
  next(h, A_ANNOUNCE);
  next(h, A_DELIVER);
  no_more(h);
  g_assert_cmpuint(mesh_agent_stats(h->agent)->mesh_fetches, ==, 2);
  host_free(h);
}

/* One request with candidates 9, 8, 7 (network 10), failing at 9 by
 * `fail`, then succeeding at 8. */
typedef enum Fail { F_CONNECT_TIMEOUT, F_REFUSED_CHANNEL, F_TRANSFER_TIMEOUT, F_TRANSFER_FAILED,
                    F_CORRUPT } Fail;

static void run_failover(Fail fail) {
  Host *h = host_new(NULL, NULL);
  uint64_t q = ask(h, 0, 5, 50);
  MeshCandidate c[3] = {peer_at(9, 10), peer_at(8, 11), peer_at(7, 12)};
  c[2].country = 3; /* locality order: 9 (network), 8 (country), 7 (other) */
  mesh_agent_on_tracker_answer(h->agent, 0, q, c, 3);
  next(h, A_UNTIMER);
  g_assert_cmpuint(next(h, A_OPEN).peer, ==, 9);
  Entry ct = next(h, A_TIMER);
  MeshTime now = 100 * MS;
  if (fail == F_CONNECT_TIMEOUT) {
    mesh_agent_on_timer(h->agent, ct.at, ct.handle);
    g_assert_cmpuint(next(h, A_CLOSE).peer, ==, 9); /* nobody else waits on it */
    now = ct.at;
  } else if (fail == F_REFUSED_CHANNEL) {
    mesh_agent_on_channel_failed(h->agent, now, 9);
    next(h, A_UNTIMER);
  } else {
    mesh_agent_on_channel_open(h->agent, now, 9);
    next(h, A_UNTIMER);
    Entry tt = next(h, A_TIMER);
    Entry s = next(h, A_START);
    if (fail == F_TRANSFER_TIMEOUT) {
      mesh_agent_on_timer(h->agent, tt.at, tt.handle);
      Entry x = next(h, A_CANCEL);
      g_assert_cmpuint(x.handle, ==, s.handle);
      g_assert_cmpuint(x.peer, ==, 9);
      now = tt.at;
      /* a late completion of the cancelled transfer is stale */
      mesh_agent_on_transfer_done(h->agent, now, s.handle, 5 * 7);
    } else if (fail == F_TRANSFER_FAILED) {
      mesh_agent_on_transfer_failed(h->agent, now, s.handle, MESH_XFER_REFUSED);
      next(h, A_UNTIMER);
    } else {
      mesh_agent_on_transfer_done(h->agent, now, s.handle, 12345); /* wrong digest */
      next(h, A_UNTIMER);
    }
  }
  /* next candidate */
  g_assert_cmpuint(next(h, A_OPEN).peer, ==, 8);
  next(h, A_TIMER);
  mesh_agent_on_channel_open(h->agent, now + 50 * MS, 8);
  next(h, A_UNTIMER);
  next(h, A_TIMER);
  Entry s = next(h, A_START);
  g_assert_cmpuint(s.peer, ==, 8);
  mesh_agent_on_transfer_done(h->agent, now + 300 * MS, s.handle, 5 * 7);
  next(h, A_UNTIMER);
  next(h, A_INSERT);
  next(h, A_ANNOUNCE);
  Entry d = next(h, A_DELIVER);
  g_assert_cmpint(d.src, ==, MESH_SOURCE_MESH);
  g_assert_cmpuint(d.peer, ==, 8);
  no_more(h);
  const MeshAgentStats *st = mesh_agent_stats(h->agent);
  g_assert_cmpuint(st->connect_timeouts, ==, fail == F_CONNECT_TIMEOUT);
  g_assert_cmpuint(st->connect_failures, ==, fail == F_REFUSED_CHANNEL);
  g_assert_cmpuint(st->transfer_timeouts, ==, fail == F_TRANSFER_TIMEOUT);
  g_assert_cmpuint(st->transfer_failures, ==, fail == F_TRANSFER_FAILED);
  g_assert_cmpuint(st->corrupt, ==, fail == F_CORRUPT);
  g_assert_cmpuint(st->mesh_fetches, ==, 1);
  host_free(h);
}

static void test_failover_connect_timeout(void) { run_failover(F_CONNECT_TIMEOUT); }
static void test_failover_refused_channel(void) { run_failover(F_REFUSED_CHANNEL); }
static void test_failover_transfer_timeout(void) { run_failover(F_TRANSFER_TIMEOUT); }
static void test_failover_transfer_failed(void) { run_failover(F_TRANSFER_FAILED); }
static void test_failover_corrupt(void) { run_failover(F_CORRUPT); }

static void test_attempt_limit_then_cdn(void) {
  MeshAgentParams p;
  mesh_agent_params_default(&p);
  p.max_attempts = 2;
  Host *h = host_new(&p, NULL);
  uint64_t q = ask(h, 0, 5, 50);
  MeshCandidate c[4] = {peer_at(9, 10), peer_at(8, 10), peer_at(7, 10), peer_at(6, 10)};
  mesh_agent_on_tracker_answer(h->agent, 0, q, c, 4);
  next(h, A_UNTIMER);
  uint32_t first = next(h, A_OPEN).peer;
  next(h, A_TIMER);
  mesh_agent_on_channel_failed(h->agent, 10 * MS, first);
  next(h, A_UNTIMER);
  uint32_t second = next(h, A_OPEN).peer;
  g_assert_cmpuint(second, !=, first);
  next(h, A_TIMER);
  mesh_agent_on_channel_failed(h->agent, 20 * MS, second);
  next(h, A_UNTIMER);
  Entry cdn = next(h, A_CDN); /* two tried: the limit */
  no_more(h);
  mesh_agent_on_cdn_done(h->agent, 100 * MS, cdn.handle);
  next(h, A_INSERT);
  next(h, A_ANNOUNCE);
  g_assert_cmpint(next(h, A_DELIVER).src, ==, MESH_SOURCE_CDN);
  no_more(h);
  host_free(h);
}

static void test_tracker_timeout(void) {
  Host *h = host_new(NULL, NULL);
  uint64_t q = ask(h, 0, 5, 50);
  mesh_agent_on_timer(h->agent, 2 * S, q);
  Entry cdn = next(h, A_CDN);
  no_more(h);
  /* the late answer is stale */
  MeshCandidate c = peer_at(9, 10);
  mesh_agent_on_tracker_answer(h->agent, 3 * S, q, &c, 1);
  mesh_agent_on_timer(h->agent, 3 * S, q); /* a repeated timer too */
  no_more(h);
  mesh_agent_on_cdn_done(h->agent, 3 * S, cdn.handle);
  next(h, A_INSERT);
  next(h, A_ANNOUNCE);
  next(h, A_DELIVER);
  g_assert_cmpuint(mesh_agent_stats(h->agent)->tracker_timeouts, ==, 1);
  host_free(h);
}

static void test_failed_peer_remembered(void) {
  /* with max_failures = 1, a peer that sent corrupt data is not tried again
   * within the failure memory, and is again after it */
  MeshSelectParams sp;
  mesh_select_params_default(&sp);
  sp.max_failures = 1;
  Host *h = host_new(NULL, &sp);
  uint64_t q = ask(h, 0, 5, 50);
  answer1(h, 0, q, 9);
  next(h, A_OPEN);
  next(h, A_TIMER);
  mesh_agent_on_channel_open(h->agent, 0, 9);
  next(h, A_UNTIMER);
  next(h, A_TIMER);
  Entry s = next(h, A_START);
  mesh_agent_on_transfer_done(h->agent, 1 * S, s.handle, 999);
  next(h, A_UNTIMER);
  Entry cdn = next(h, A_CDN); /* no other candidate */
  mesh_agent_on_cdn_done(h->agent, 1 * S, cdn.handle);
  next(h, A_INSERT);
  next(h, A_ANNOUNCE);
  next(h, A_DELIVER);
  /* 10 s later: candidates 9 and 8, 9 is skipped */
  q = ask(h, 10 * S, 6, 51);
  MeshCandidate c[2] = {peer_at(9, 10), peer_at(8, 10)};
  mesh_agent_on_tracker_answer(h->agent, 10 * S, q, c, 2);
  next(h, A_UNTIMER);
  g_assert_cmpuint(next(h, A_OPEN).peer, ==, 8);
  next(h, A_TIMER);
  mesh_agent_abort_all(h->agent, 11 * S);
  next(h, A_UNTIMER);
  g_assert_cmpuint(next(h, A_CLOSE).peer, ==, 9); /* the idle channel to 9 */
  g_assert_cmpuint(next(h, A_CLOSE).peer, ==, 8); /* the one connecting to 8 */
  no_more(h);
  /* after the failure memory (120 s), 9 is usable again (order within
   * the tier is random, so look at what was opened) */
  q = ask(h, 200 * S, 7, 52);
  c[1] = peer_at(8, 20); /* 8 in another network: 9 must come first */
  c[1].country = 3;
  mesh_agent_on_tracker_answer(h->agent, 200 * S, q, c, 2);
  next(h, A_UNTIMER);
  g_assert_cmpuint(next(h, A_OPEN).peer, ==, 9);
  host_free(h);
}

static void fail_one(Host *h, MeshTime now, uint64_t obj, uint32_t peer) {
  uint64_t q = ask(h, now, obj, obj);
  answer1(h, now, q, peer);
  next(h, A_OPEN);
  next(h, A_TIMER);
  mesh_agent_on_channel_failed(h->agent, now, peer);
  next(h, A_UNTIMER);
}

/* The peer memory holds peer_memory peers; a new one replaces the least
 * recently used (a lookup for an answer counts as a use), whose failures
 * are then forgotten. max_failures = 1: a remembered failure excludes. */
static void test_peer_memory_lru(void) {
  MeshAgentParams p;
  mesh_agent_params_default(&p);
  p.peer_memory = 2;
  p.bowout_errors = 0;
  MeshSelectParams sp;
  mesh_select_params_default(&sp);
  sp.max_failures = 1;
  Host *h = host_new(&p, &sp);
  fail_one(h, 0, 5, 9); /* remembers 9 (used at 0 s) */
  next(h, A_CDN);
  fail_one(h, 1 * S, 6, 8); /* and 8 (1 s) */
  next(h, A_CDN);
  /* 9 is excluded; looking it up makes it used at 2 s: 8 is now the oldest */
  uint64_t q = ask(h, 2 * S, 7, 7);
  MeshCandidate c[2] = {peer_at(9, 10), peer_at(7, 10)};
  mesh_agent_on_tracker_answer(h->agent, 2 * S, q, c, 2);
  next(h, A_UNTIMER);
  g_assert_cmpuint(next(h, A_OPEN).peer, ==, 7);
  next(h, A_TIMER);
  mesh_agent_on_channel_failed(h->agent, 3 * S, 7); /* 7 replaces 8, not 9 */
  next(h, A_UNTIMER);
  next(h, A_CDN);
  no_more(h);
  q = ask(h, 4 * S, 8, 8);
  MeshCandidate c8 = peer_at(8, 10);
  mesh_agent_on_tracker_answer(h->agent, 4 * S, q, &c8, 1);
  next(h, A_UNTIMER);
  g_assert_cmpuint(next(h, A_OPEN).peer, ==, 8); /* forgotten: usable */
  next(h, A_TIMER);
  q = ask(h, 4 * S, 9, 9);
  MeshCandidate c9 = peer_at(9, 10);
  mesh_agent_on_tracker_answer(h->agent, 4 * S, q, &c9, 1);
  next(h, A_UNTIMER);
  next(h, A_CDN); /* 9 still remembered */
  q = ask(h, 4 * S, 10, 10);
  MeshCandidate c7 = peer_at(7, 10);
  mesh_agent_on_tracker_answer(h->agent, 4 * S, q, &c7, 1);
  next(h, A_UNTIMER);
  next(h, A_CDN); /* and 7 */
  no_more(h);
  host_free(h);
}

static void test_bowout(void) {
  MeshAgentParams p;
  mesh_agent_params_default(&p);
  p.bowout_errors = 2;
  p.bowout_ns = 60 * S;
  p.bowout_max_ns = 100 * S;
  Host *h = host_new(&p, NULL);
  fail_one(h, 0, 5, 9); /* error 1: then the CDN (no other candidate) */
  Entry cdn1 = next(h, A_CDN);
  g_assert_false(mesh_agent_bowed_out(h->agent, 1 * S));
  fail_one(h, 1 * S, 6, 8); /* error 2: bows out, to the CDN */
  next(h, A_CDN);
  no_more(h);
  g_assert_true(mesh_agent_bowed_out(h->agent, 1 * S));
  g_assert_cmpuint(mesh_agent_stats(h->agent)->bowouts, ==, 1);
  /* while bowed out: straight to the CDN, no tracker query */
  g_assert_cmpint(mesh_agent_request(h->agent, 30 * S, 7, 0, 1000, 49, 7), ==, MESH_OK);
  next(h, A_CDN);
  no_more(h);
  g_assert_cmpuint(mesh_agent_stats(h->agent)->bowout_requests, ==, 1);
  /* serving goes on */
  h->cached[h->ncached++] = 99 << 8;
  g_assert_cmpint(mesh_agent_on_upload_request(h->agent, 30 * S, 4, 99, 0), ==, MESH_OK);
  /* the back-off ends at 1 s + 60 s */
  g_assert_true(mesh_agent_bowed_out(h->agent, 61 * S - 1));
  g_assert_false(mesh_agent_bowed_out(h->agent, 61 * S));
  ask(h, 61 * S, 8, 8);
  mesh_agent_abort_all(h->agent, 61 * S);
  h->cur = h->n;
  /* two more errors: bowed out again for twice as long, capped at 100 s */
  fail_one(h, 62 * S, 10, 9);
  next(h, A_CDN);
  fail_one(h, 63 * S, 11, 8);
  next(h, A_CDN);
  g_assert_true(mesh_agent_bowed_out(h->agent, 63 * S + 100 * S - 1));
  g_assert_false(mesh_agent_bowed_out(h->agent, 63 * S + 100 * S));
  g_assert_cmpuint(mesh_agent_stats(h->agent)->bowouts, ==, 2);
  /* a mesh success resets the consecutive count and the back-off */
  MeshTime now = 200 * S;
  fail_one(h, now, 12, 9);
  next(h, A_CDN);
  uint64_t q = ask(h, now, 13, 13);
  answer1(h, now, q, 7);
  next(h, A_OPEN);
  next(h, A_TIMER);
  mesh_agent_on_channel_open(h->agent, now, 7);
  next(h, A_UNTIMER);
  next(h, A_TIMER);
  Entry s = next(h, A_START);
  mesh_agent_on_transfer_done(h->agent, now + S, s.handle, 13 * 7);
  next(h, A_UNTIMER);
  next(h, A_INSERT);
  next(h, A_ANNOUNCE);
  next(h, A_DELIVER);
  fail_one(h, now + 2 * S, 14, 9); /* only one error since the success */
  next(h, A_CDN);
  g_assert_false(mesh_agent_bowed_out(h->agent, now + 2 * S));
  fail_one(h, now + 3 * S, 15, 8);
  next(h, A_CDN);
  g_assert_true(mesh_agent_bowed_out(h->agent, now + 3 * S + 60 * S - 1)); /* back to 60 s */
  g_assert_false(mesh_agent_bowed_out(h->agent, now + 3 * S + 60 * S));
  (void)cdn1;
  host_free(h);
}

static void test_serving_slots(void) {
  MeshAgentParams p;
  mesh_agent_params_default(&p);
  p.upload_slots = 2;
  Host *h = host_new(&p, NULL);
  h->cached[h->ncached++] = 3 << 8;
  g_assert_cmpint(mesh_agent_on_upload_request(h->agent, 0, 4, 3, 0), ==, MESH_OK);
  g_assert_cmpint(mesh_agent_on_upload_request(h->agent, 0, 5, 3, 0), ==, MESH_OK);
  g_assert_cmpint(mesh_agent_on_upload_request(h->agent, 0, 6, 3, 0), ==, MESH_FULL);
  g_assert_cmpuint(mesh_agent_active_uploads(h->agent), ==, 2);
  mesh_agent_on_upload_done(h->agent, 1);
  g_assert_cmpint(mesh_agent_on_upload_request(h->agent, 0, 6, 4, 0), ==, MESH_NOTFOUND);
  g_assert_cmpint(mesh_agent_on_upload_request(h->agent, 0, 6, 3, 1), ==, MESH_NOTFOUND);
  g_assert_cmpint(mesh_agent_on_upload_request(h->agent, 0, 6, 3, 0), ==, MESH_OK);
  const MeshAgentStats *st = mesh_agent_stats(h->agent);
  g_assert_cmpuint(st->uploads_accepted, ==, 3);
  g_assert_cmpuint(st->uploads_refused, ==, 3);
  no_more(h);
  host_free(h);
}

static void test_shared_channel(void) {
  /* two requests to peer 9 while its channel connects: one open, both
   * transfers start when it opens, and both fail over when it breaks */
  Host *h = host_new(NULL, NULL);
  uint64_t q1 = ask(h, 0, 5, 50);
  uint64_t q2 = ask(h, 0, 6, 51);
  MeshCandidate c[2] = {peer_at(9, 10), peer_at(8, 11)};
  mesh_agent_on_tracker_answer(h->agent, 0, q1, c, 2);
  next(h, A_UNTIMER);
  g_assert_cmpuint(next(h, A_OPEN).peer, ==, 9);
  next(h, A_TIMER);
  mesh_agent_on_tracker_answer(h->agent, 0, q2, c, 2);
  next(h, A_UNTIMER);
  next(h, A_TIMER); /* waits on the same channel, no second open */
  no_more(h);
  g_assert_cmpuint(mesh_agent_channels(h->agent), ==, 1);
  mesh_agent_on_channel_open(h->agent, 10 * MS, 9);
  for (int i = 0; i < 2; i++) {
    next(h, A_UNTIMER);
    next(h, A_TIMER);
    g_assert_cmpuint(next(h, A_START).peer, ==, 9);
  }
  mesh_agent_on_channel_failed(h->agent, 20 * MS, 9); /* peer 9 leaves */
  next(h, A_UNTIMER);
  g_assert_cmpuint(next(h, A_OPEN).peer, ==, 8);
  Entry t1 = next(h, A_TIMER);
  next(h, A_UNTIMER);
  Entry t2 = next(h, A_TIMER); /* the second one waits on the channel to 8 */
  no_more(h);
  g_assert_cmpuint(mesh_agent_stats(h->agent)->transfer_failures, ==, 2);
  /* a connect timeout of one leaves the channel to the other... */
  mesh_agent_on_timer(h->agent, t1.at, t1.handle);
  next(h, A_CDN); /* both peers tried */
  no_more(h);
  g_assert_cmpuint(mesh_agent_channels(h->agent), ==, 1);
  /* ...and the last one waiting closes it */
  mesh_agent_on_timer(h->agent, t2.at, t2.handle);
  g_assert_cmpuint(next(h, A_CLOSE).peer, ==, 8);
  next(h, A_CDN);
  no_more(h);
  g_assert_cmpuint(mesh_agent_channels(h->agent), ==, 0);
  g_assert_cmpuint(mesh_agent_stats(h->agent)->connect_timeouts, ==, 2);
  /* the tab closes with both at the CDN: dropped, nothing delivered */
  g_assert_cmpuint(mesh_agent_in_flight(h->agent), ==, 2);
  mesh_agent_abort_all(h->agent, 30 * MS);
  no_more(h);
  g_assert_cmpuint(mesh_agent_in_flight(h->agent), ==, 0);
  host_free(h);
}

static void test_abort_transfer(void) {
  Host *h = host_new(NULL, NULL);
  uint64_t q = ask(h, 0, 5, 50);
  answer1(h, 0, q, 9);
  next(h, A_OPEN);
  next(h, A_TIMER);
  mesh_agent_on_channel_open(h->agent, 0, 9);
  next(h, A_UNTIMER);
  next(h, A_TIMER);
  Entry s = next(h, A_START);
  mesh_agent_abort_all(h->agent, 1);
  g_assert_cmpuint(next(h, A_CANCEL).handle, ==, s.handle);
  next(h, A_UNTIMER);
  g_assert_cmpuint(next(h, A_CLOSE).peer, ==, 9);
  no_more(h);
  mesh_agent_on_transfer_done(h->agent, 2, s.handle, 5 * 7); /* stale */
  no_more(h);
  host_free(h);
}

static void test_channel_cap(void) {
  MeshAgentParams p;
  mesh_agent_params_default(&p);
  p.max_channels = 1;
  Host *h = host_new(&p, NULL);
  for (uint32_t peer = 9; peer >= 8; peer--) {
    uint64_t q = ask(h, 0, peer, peer);
    answer1(h, 0, q, peer);
    if (peer == 8) g_assert_cmpuint(next(h, A_CLOSE).peer, ==, 9); /* idle, over the cap */
    g_assert_cmpuint(next(h, A_OPEN).peer, ==, peer);
    next(h, A_TIMER);
    mesh_agent_on_channel_open(h->agent, 0, peer);
    next(h, A_UNTIMER);
    next(h, A_TIMER);
    Entry s = next(h, A_START);
    mesh_agent_on_transfer_done(h->agent, 1, s.handle, peer * 7);
    next(h, A_UNTIMER);
    next(h, A_INSERT);
    next(h, A_ANNOUNCE);
    next(h, A_DELIVER);
  }
  no_more(h);
  g_assert_cmpuint(mesh_agent_channels(h->agent), ==, 1);
  host_free(h);
}

static void test_evicted_and_uncacheable(void) {
  Host *h = host_new(NULL, NULL);
  mesh_agent_evicted(h->agent, 33, 0, 1000);
  g_assert_cmpuint(next(h, A_WITHDRAW).obj, ==, 33);
  h->too_big = 500; /* the requests' 1000 bytes do not fit the cache */
  uint64_t q = ask(h, 0, 5, 50);
  mesh_agent_on_tracker_answer(h->agent, 0, q, NULL, 0);
  next(h, A_UNTIMER);
  Entry cdn = next(h, A_CDN);
  mesh_agent_on_cdn_done(h->agent, 1, cdn.handle);
  next(h, A_INSERT);
  next(h, A_DELIVER); /* delivered, not announced */
  no_more(h);
  host_free(h);
}

/* Objects below min_object_bytes skip the mesh: straight to the CDN (not
 * even while the tracker would answer), cached but never announced, and
 * not withdrawn when evicted; an object of exactly that size is meshed. */
static void test_min_object_size(void) {
  MeshAgentParams p;
  mesh_agent_params_default(&p);
  g_assert_true(mesh_agent_params_shares(&p, 0)); /* default: every object */
  p.min_object_bytes = 1000;
  g_assert_false(mesh_agent_params_shares(&p, 999));
  g_assert_true(mesh_agent_params_shares(&p, 1000));
  Host *h = host_new(&p, NULL);
  g_assert_cmpint(mesh_agent_request(h->agent, 0, 7, 0, 999, 70, 700), ==, MESH_OK);
  Entry c = next(h, A_CDN); /* no tracker timer, no query */
  g_assert_cmpuint(c.obj, ==, 7);
  no_more(h);
  mesh_agent_on_cdn_done(h->agent, 80 * MS, c.handle);
  g_assert_cmpuint(next(h, A_INSERT).obj, ==, 7);
  Entry d = next(h, A_DELIVER); /* cached, not announced */
  g_assert_cmpuint(d.handle, ==, 700);
  g_assert_cmpint(d.src, ==, MESH_SOURCE_CDN);
  no_more(h);
  mesh_agent_evicted(h->agent, 7, 0, 999);
  no_more(h);
  const MeshAgentStats *st = mesh_agent_stats(h->agent);
  g_assert_cmpuint(st->small_requests, ==, 1);
  g_assert_cmpuint(st->cdn_fetches, ==, 1);
  g_assert_cmpuint(st->bowout_requests, ==, 0);
  g_assert_cmpuint(mesh_agent_in_flight(h->agent), ==, 0);
  /* the threshold itself goes through the tracker, and is announced */
  uint64_t q = ask(h, 100 * MS, 8, 800);
  mesh_agent_on_tracker_answer(h->agent, 110 * MS, q, NULL, 0);
  next(h, A_UNTIMER);
  c = next(h, A_CDN);
  mesh_agent_on_cdn_done(h->agent, 190 * MS, c.handle);
  next(h, A_INSERT);
  g_assert_cmpuint(next(h, A_ANNOUNCE).obj, ==, 8);
  next(h, A_DELIVER);
  mesh_agent_evicted(h->agent, 8, 0, 1000);
  g_assert_cmpuint(next(h, A_WITHDRAW).obj, ==, 8);
  no_more(h);
  g_assert_cmpuint(st->small_requests, ==, 1);
  host_free(h);
}

static void test_bad_params(void) {
  MeshAgentParams p;
  mesh_agent_params_default(&p);
  uint64_t st = 1;
  MeshRng rng = {splitmix, &st};
  const MeshSelectStrategy *s = mesh_select_find("random");
  p.max_attempts = 0;
  g_assert_null(mesh_agent_new(1, 1, 1, &p, s, NULL, &OPS, NULL, &rng, NULL));
  p.max_attempts = MESH_AGENT_MAX_ATTEMPTS + 1;
  g_assert_null(mesh_agent_new(1, 1, 1, &p, s, NULL, &OPS, NULL, &rng, NULL));
  mesh_agent_params_default(&p);
  p.max_channels = 0;
  g_assert_null(mesh_agent_new(1, 1, 1, &p, s, NULL, &OPS, NULL, &rng, NULL));
  mesh_agent_params_default(&p);
  p.bowout_max_ns = p.bowout_ns - 1;
  g_assert_null(mesh_agent_new(1, 1, 1, &p, s, NULL, &OPS, NULL, &rng, NULL));
  g_assert_null(mesh_agent_new(1, 1, 1, NULL, NULL, NULL, &OPS, NULL, &rng, NULL));
  MeshAgent *a = mesh_agent_new(1, 1, 1, NULL, s, NULL, &OPS, NULL, &rng, NULL);
  g_assert_nonnull(a);
  mesh_agent_free(a);
}

static void test_many_in_flight(void) {
  /* more requests than the initial slot table: slots grow and are reused */
  Host *h = host_new(NULL, NULL);
  uint64_t cdn[40];
  for (int i = 0; i < 40; i++) {
    if (i < 5) { /* signaling down: 5 tracker timeouts (the default) bow out */
      uint64_t q = ask(h, 0, (uint64_t)(100 + i), (uint64_t)i);
      mesh_agent_on_timer(h->agent, 2 * S, q);
    } else { /* then straight to the CDN */
      g_assert_cmpint(mesh_agent_request(h->agent, 2 * S, (uint64_t)(100 + i), 0, 1000, 0,
                                         (uint64_t)i), ==, MESH_OK);
    }
    cdn[i] = next(h, A_CDN).handle;
  }
  g_assert_cmpuint(mesh_agent_stats(h->agent)->bowout_requests, ==, 35);
  g_assert_true(mesh_agent_bowed_out(h->agent, 2 * S));
  g_assert_cmpuint(mesh_agent_in_flight(h->agent), ==, 40);
  for (int i = 39; i >= 0; i--) {
    mesh_agent_on_cdn_done(h->agent, 3 * S, cdn[i]);
    next(h, A_INSERT);
    next(h, A_ANNOUNCE);
    g_assert_cmpuint(next(h, A_DELIVER).handle, ==, (uint64_t)i);
  }
  no_more(h);
  g_assert_cmpuint(mesh_agent_in_flight(h->agent), ==, 0);
  host_free(h);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/agent/local-hit", test_local_hit);
  g_test_add_func("/agent/looked-up", test_looked_up);
  g_test_add_func("/agent/no-candidate-cdn", test_no_candidate_cdn);
  g_test_add_func("/agent/mesh-success-channel-reuse", test_mesh_success_and_channel_reuse);
  g_test_add_func("/agent/failover/connect-timeout", test_failover_connect_timeout);
  g_test_add_func("/agent/failover/refused-channel", test_failover_refused_channel);
  g_test_add_func("/agent/failover/transfer-timeout", test_failover_transfer_timeout);
  g_test_add_func("/agent/failover/transfer-failed", test_failover_transfer_failed);
  g_test_add_func("/agent/failover/corrupt", test_failover_corrupt);
  g_test_add_func("/agent/attempt-limit-then-cdn", test_attempt_limit_then_cdn);
  g_test_add_func("/agent/tracker-timeout", test_tracker_timeout);
  g_test_add_func("/agent/failed-peer-remembered", test_failed_peer_remembered);
  g_test_add_func("/agent/bowout", test_bowout);
  g_test_add_func("/agent/serving-slots", test_serving_slots);
  g_test_add_func("/agent/shared-channel", test_shared_channel);
  g_test_add_func("/agent/channel-cap", test_channel_cap);
  g_test_add_func("/agent/abort-transfer", test_abort_transfer);
  g_test_add_func("/agent/evicted-and-uncacheable", test_evicted_and_uncacheable);
  g_test_add_func("/agent/peer-memory-lru", test_peer_memory_lru);
  g_test_add_func("/agent/min-object-size", test_min_object_size);
  g_test_add_func("/agent/bad-params", test_bad_params);
  g_test_add_func("/agent/many-in-flight", test_many_in_flight);
  return g_test_run();
}
