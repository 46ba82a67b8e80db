/*
 * agent.c: the client agent's state machine (the diagram is in agent.h).
 *
 * Data: a table of request slots (grown on demand, reused through a free
 * list), a small table of data channels, and a small memory of peers
 * (recent failures, measured throughput) that overlays what the tracker
 * says of a candidate before selection. All three are arrays scanned
 * linearly: their sizes are the requests in flight of one browser tab,
 * its open channels and the peers it remembers, tens at most.
 *
 * Invariants:
 *   1. A request slot is FREE or in exactly one of TRACKER, CONNECT,
 *      TRANSFER, CDN; its handle = (seq << 32) | slot, and seq changes
 *      at every phase, so that stale events and timers are recognised.
 *   2. A request in CONNECT or TRANSFER is counted in the `users` of the
 *      channel to its peer (when that channel still exists).
 *   3. A CONNECTING channel has users > 0 (it is closed when the last
 *      waiting request leaves it).
 */
#include "mesh/agent.h"

#include <string.h>

#define NIL UINT32_MAX

typedef enum ReqState { REQ_FREE, REQ_TRACKER, REQ_CONNECT, REQ_TRANSFER, REQ_CDN } ReqState;

typedef struct Req {
  ReqState state;
  uint32_t seq;
  uint32_t next_free;
  bool timer_armed;
  uint64_t obj, size, digest, cookie;
  uint32_t version;
  uint32_t peer; /* current peer (CONNECT, TRANSFER) */
  uint32_t npeers, next;
  uint32_t peers[MESH_AGENT_MAX_ATTEMPTS];
  MeshTime t_start; /* of the transfer */
} Req;

typedef enum ChanState { CHAN_CONNECTING, CHAN_OPEN } ChanState;

typedef struct Chan {
  uint32_t peer;
  ChanState state;
  uint32_t users;
  MeshTime last_used;
} Chan;

/* What the agent remembers of a peer; the peer's id is mem_peer[i]. */
typedef struct PeerMem {
  uint32_t failures;
  MeshTime last_failure;
  double throughput_bps;
  MeshTime last_used;
} PeerMem;

struct MeshAgent {
  uint32_t peer, network, country;
  MeshAgentParams p;
  const MeshAgentOps *ops;
  void *ud;
  MeshRng *rng;
  MeshAllocator alloc;
  const MeshAllocator *ap;
  MeshSelector *sel;

  Req *reqs;
  uint32_t reqs_cap, req_free, in_flight, seq;

  Chan *chans;
  uint32_t nchans, chans_cap;

  PeerMem *mem;
  uint32_t *mem_peer;   /* [peer_memory] the peer mem[i] is about: scanned, not mem */
  uint32_t nmem;

  MeshCandidate *scratch; /* candidates with the agent's knowledge overlaid */
  size_t scratch_cap;
  uint32_t *picks;

  uint32_t errors;      /* consecutive mesh errors */
  MeshTime bowed_until; /* CDN only before this time */
  MeshTime backoff;     /* the next bow-out's length */
  uint32_t uploads;
  MeshAgentStats stats;
};

void mesh_agent_params_default(MeshAgentParams *p) {
  *p = (MeshAgentParams){
    .max_attempts = 3,
    .tracker_timeout_ns = 2 * MESH_NS_PER_S,
    .connect_timeout_ns = 3 * MESH_NS_PER_S,
    .transfer_timeout_ns = 10 * MESH_NS_PER_S,
    .upload_slots = 4,
    .bowout_errors = 5,
    .bowout_ns = 60 * MESH_NS_PER_S,
    .bowout_max_ns = 960 * MESH_NS_PER_S,
    .max_channels = 8,
    .failure_memory_ns = 120 * MESH_NS_PER_S,
    .peer_memory = 64,
    .min_object_bytes = 0,
  };
}

bool mesh_agent_params_shares(const MeshAgentParams *p, uint64_t size_bytes) {
  return size_bytes >= p->min_object_bytes;
}

MeshAgent *mesh_agent_new(uint32_t peer, uint32_t network, uint32_t country,
                          const MeshAgentParams *params, const MeshSelectStrategy *strategy,
                          const MeshSelectParams *sel_params, const MeshAgentOps *ops, void *ud,
                          MeshRng *rng, const MeshAllocator *alloc) {
  MeshAgentParams def;
  mesh_agent_params_default(&def);
  if (!params) params = &def;
  if (params->max_attempts < 1 || params->max_attempts > MESH_AGENT_MAX_ATTEMPTS ||
      params->tracker_timeout_ns <= 0 || params->connect_timeout_ns <= 0 ||
      params->transfer_timeout_ns <= 0 || params->bowout_ns < 0 ||
      params->bowout_max_ns < params->bowout_ns || params->peer_memory < 1 ||
      params->max_channels < 1 || !ops || !rng ||
      !strategy)
    return NULL;
  MeshAgent *a = mesh_alloc0(alloc, sizeof *a);
  if (!a) return NULL;
  if (alloc) {
    a->alloc = *alloc;
    a->ap = &a->alloc;
  }
  a->peer = peer;
  a->network = network;
  a->country = country;
  a->p = *params;
  a->ops = ops;
  a->ud = ud;
  a->rng = rng;
  a->req_free = NIL;
  a->backoff = params->bowout_ns;
  a->sel = mesh_selector_new(strategy, sel_params, a->ap);
  a->mem = mesh_alloc(a->ap, params->peer_memory * sizeof *a->mem);
  a->mem_peer = mesh_alloc(a->ap, params->peer_memory * sizeof *a->mem_peer);
  a->picks = mesh_alloc(a->ap, MESH_AGENT_MAX_ATTEMPTS * sizeof *a->picks);
  if (!a->sel || !a->mem || !a->mem_peer || !a->picks) {
    mesh_agent_free(a);
    return NULL;
  }
  return a;
}

void mesh_agent_free(MeshAgent *a) {
  if (!a) return;
  MeshAllocator copy = a->alloc;
  const MeshAllocator *ap = a->ap ? &copy : NULL;
  mesh_selector_free(a->sel);
  mesh_free(ap, a->reqs, a->reqs_cap * sizeof *a->reqs);
  mesh_free(ap, a->chans, a->chans_cap * sizeof *a->chans);
  mesh_free(ap, a->mem, a->p.peer_memory * sizeof *a->mem);
  mesh_free(ap, a->mem_peer, a->p.peer_memory * sizeof *a->mem_peer);
  mesh_free(ap, a->scratch, a->scratch_cap * sizeof *a->scratch);
  mesh_free(ap, a->picks, MESH_AGENT_MAX_ATTEMPTS * sizeof *a->picks);
  mesh_free(ap, a, sizeof *a);
}

/* ---- handles and timers ---------------------------------------------- */

static uint64_t handle_of(const MeshAgent *a, const Req *r) {
  return (uint64_t)r->seq << 32 | (uint32_t)(r - a->reqs);
}

static Req *req_of(MeshAgent *a, uint64_t handle, ReqState want) {
  uint32_t slot = (uint32_t)handle;
  if (slot >= a->reqs_cap) return NULL;
  Req *r = &a->reqs[slot];
  if (r->state != want || r->seq != (uint32_t)(handle >> 32)) return NULL;
  return r;
}

static void disarm(MeshAgent *a, Req *r) {
  if (r->timer_armed && a->ops->cancel_timer) a->ops->cancel_timer(a->ud, handle_of(a, r));
  r->timer_armed = false;
}

/* Enters a phase: a new handle, and a timer when timeout > 0. */
static void enter(MeshAgent *a, Req *r, ReqState s, MeshTime now, MeshTime timeout) {
  disarm(a, r);
  r->state = s;
  r->seq = ++a->seq;
  if (timeout > 0) {
    r->timer_armed = true;
    a->ops->arm_timer(a->ud, handle_of(a, r), now + timeout);
  }
}

static void req_release_slot(MeshAgent *a, Req *r) {
  disarm(a, r);
  r->state = REQ_FREE;
  r->seq = ++a->seq;
  r->next_free = a->req_free;
  a->req_free = (uint32_t)(r - a->reqs);
  a->in_flight--;
}

/* ---- peer memory ------------------------------------------------------ */

/* The peers are scanned in a dense array of ids (a few cache lines for 64
 * peers, called for every candidate of every answer); the records only for
 * the match, or for the least recently used one when a new peer replaces it. */
static PeerMem *mem_find(MeshAgent *a, uint32_t peer, MeshTime now, bool create) {
  for (uint32_t i = 0; i < a->nmem; i++) {
    if (a->mem_peer[i] != peer) continue;
    PeerMem *m = &a->mem[i];
    m->last_used = now;
    if (m->failures && now - m->last_failure >= a->p.failure_memory_ns) m->failures = 0;
    return m;
  }
  if (!create) return NULL;
  uint32_t slot;
  if (a->nmem < a->p.peer_memory) {
    slot = a->nmem++;
  } else {
    slot = 0; /* the first of the least recently used */
    for (uint32_t i = 1; i < a->nmem; i++)
      if (a->mem[i].last_used < a->mem[slot].last_used) slot = i;
  }
  a->mem[slot] = (PeerMem){.last_used = now};
  a->mem_peer[slot] = peer;
  return &a->mem[slot];
}

/* ---- channels --------------------------------------------------------- */

static Chan *chan_find(MeshAgent *a, uint32_t peer) {
  for (uint32_t i = 0; i < a->nchans; i++)
    if (a->chans[i].peer == peer) return &a->chans[i];
  return NULL;
}

static void chan_remove(MeshAgent *a, Chan *c) { *c = a->chans[--a->nchans]; }

/* Closes idle channels, least recently used first, while over the cap. */
static void chan_trim(MeshAgent *a, uint32_t cap) {
  while (a->nchans > cap) {
    Chan *lru = NULL;
    for (uint32_t i = 0; i < a->nchans; i++) {
      Chan *c = &a->chans[i];
      if (c->users == 0 && (!lru || c->last_used < lru->last_used)) lru = c;
    }
    if (!lru) return; /* all busy: the cap is soft */
    a->ops->close_channel(a->ud, lru->peer);
    chan_remove(a, lru);
  }
}

/* The request leaves its peer's channel. */
static void chan_leave(MeshAgent *a, Req *r, MeshTime now) {
  Chan *c = chan_find(a, r->peer);
  if (!c) return; /* it failed meanwhile */
  c->users--;
  c->last_used = now;
  if (c->users == 0 && c->state == CHAN_CONNECTING) { /* invariant 3 */
    a->ops->close_channel(a->ud, c->peer);
    chan_remove(a, c);
  } else if (c->users == 0) {
    chan_trim(a, a->p.max_channels);
  }
}

/* ---- the fetch ---------------------------------------------------------- */

static void complete(MeshAgent *a, Req *r, MeshSource src, uint32_t peer) {
  if (a->ops->cache_insert(a->ud, r->obj, r->version, r->size) &&
      mesh_agent_params_shares(&a->p, r->size))
    a->ops->announce(a->ud, r->obj, r->version);
  uint64_t cookie = r->cookie;
  req_release_slot(a, r);
  a->ops->deliver(a->ud, cookie, src, peer);
}

static void go_cdn(MeshAgent *a, Req *r, MeshTime now) {
  enter(a, r, REQ_CDN, now, 0);
  a->stats.cdn_fetches++;
  a->ops->cdn_fetch(a->ud, handle_of(a, r), r->obj, r->version);
}

static void start_transfer(MeshAgent *a, Req *r, MeshTime now) {
  enter(a, r, REQ_TRANSFER, now, a->p.transfer_timeout_ns);
  r->t_start = now;
  a->ops->start_transfer(a->ud, handle_of(a, r), r->peer, r->obj, r->version);
}

static void try_next(MeshAgent *a, Req *r, MeshTime now) {
  if (r->next >= r->npeers) {
    go_cdn(a, r, now);
    return;
  }
  r->peer = r->peers[r->next++];
  Chan *c = chan_find(a, r->peer);
  if (c && c->state == CHAN_OPEN) {
    c->users++;
    c->last_used = now;
    start_transfer(a, r, now);
    return;
  }
  if (!c) {
    if (a->nchans >= a->p.max_channels) chan_trim(a, a->p.max_channels - 1);
    if (a->nchans == a->chans_cap) {
      uint32_t nc = a->chans_cap ? a->chans_cap * 2 : 8;
      Chan *n = a->chans ? mesh_realloc(a->ap, a->chans, a->chans_cap * sizeof *n, nc * sizeof *n)
                         : mesh_alloc(a->ap, nc * sizeof *n);
      if (!n) { /* no memory for a channel: this peer cannot be tried */
        try_next(a, r, now);
        return;
      }
      a->chans = n;
      a->chans_cap = nc;
    }
    c = &a->chans[a->nchans++];
    *c = (Chan){.peer = r->peer, .state = CHAN_CONNECTING, .users = 0, .last_used = now};
    a->ops->open_channel(a->ud, r->peer);
  }
  c->users++;
  enter(a, r, REQ_CONNECT, now, a->p.connect_timeout_ns);
}

/* A mesh error on request r: its peer's failures and the agent's
 * consecutive errors grow; then the next peer, or the CDN when the agent
 * bows out. Call after the request has left its channel. */
static void mesh_error(MeshAgent *a, Req *r, MeshTime now, bool peer_fault) {
  if (peer_fault) {
    PeerMem *m = mem_find(a, r->peer, now, true);
    m->failures++;
    m->last_failure = now;
  }
  a->errors++;
  if (a->p.bowout_errors && a->errors >= a->p.bowout_errors) {
    a->stats.bowouts++;
    a->bowed_until = now + a->backoff;
    a->backoff = a->backoff * 2 > a->p.bowout_max_ns ? a->p.bowout_max_ns : a->backoff * 2;
    a->errors = 0;
    go_cdn(a, r, now);
    return;
  }
  if (r->state == REQ_TRACKER) go_cdn(a, r, now);
  else try_next(a, r, now);
}

bool mesh_agent_bowed_out(const MeshAgent *a, MeshTime now) { return now < a->bowed_until; }

MeshStatus mesh_agent_request(MeshAgent *a, MeshTime now, uint64_t obj, uint32_t version,
                              uint64_t size_bytes, uint64_t digest, uint64_t cookie) {
  return mesh_agent_request_looked_up(a, now, obj, version, size_bytes, digest, cookie,
                                      a->ops->cache_lookup(a->ud, obj, version));
}

MeshStatus mesh_agent_request_looked_up(MeshAgent *a, MeshTime now, uint64_t obj,
                                        uint32_t version, uint64_t size_bytes, uint64_t digest,
                                        uint64_t cookie, bool local_hit) {
  a->stats.requests++;
  if (local_hit) {
    a->stats.local_hits++;
    a->ops->deliver(a->ud, cookie, MESH_SOURCE_LOCAL, NIL);
    return MESH_OK;
  }
  if (a->req_free == NIL) {
    uint32_t nc = a->reqs_cap ? a->reqs_cap * 2 : 8;
    Req *n = a->reqs ? mesh_realloc(a->ap, a->reqs, a->reqs_cap * sizeof *n, nc * sizeof *n)
                     : mesh_alloc(a->ap, nc * sizeof *n);
    if (!n) return MESH_NOMEM;
    for (uint32_t i = nc; i-- > a->reqs_cap;) {
      n[i] = (Req){.state = REQ_FREE, .next_free = a->req_free};
      a->req_free = i;
    }
    a->reqs = n;
    a->reqs_cap = nc;
  }
  Req *r = &a->reqs[a->req_free];
  a->req_free = r->next_free;
  *r = (Req){.state = REQ_FREE, .seq = r->seq, .obj = obj, .size = size_bytes, .digest = digest,
             .cookie = cookie, .version = version, .peer = NIL};
  a->in_flight++;
  if (!mesh_agent_params_shares(&a->p, size_bytes)) {
    a->stats.small_requests++;
    go_cdn(a, r, now);
    return MESH_OK;
  }
  if (mesh_agent_bowed_out(a, now)) {
    a->stats.bowout_requests++;
    go_cdn(a, r, now);
    return MESH_OK;
  }
  enter(a, r, REQ_TRACKER, now, a->p.tracker_timeout_ns);
  a->ops->tracker_query(a->ud, handle_of(a, r), obj, version);
  return MESH_OK;
}

void mesh_agent_on_tracker_answer(MeshAgent *a, MeshTime now, uint64_t handle,
                                  const MeshCandidate *cands, size_t n) {
  Req *r = req_of(a, handle, REQ_TRACKER);
  if (!r) return;
  disarm(a, r);
  if (n > a->scratch_cap) {
    MeshCandidate *s = a->scratch ? mesh_realloc(a->ap, a->scratch,
                                                 a->scratch_cap * sizeof *s, n * sizeof *s)
                                  : mesh_alloc(a->ap, n * sizeof *s);
    if (!s) n = a->scratch_cap; /* consider the candidates that fit */
    else {
      a->scratch = s;
      a->scratch_cap = n;
    }
  }
  for (size_t i = 0; i < n; i++) {
    MeshCandidate *c = &a->scratch[i];
    *c = cands[i];
    if (c->peer == a->peer) c->nat_compatible = false; /* never itself */
    PeerMem *m = mem_find(a, c->peer, now, false);
    c->recent_failures = m ? m->failures : 0;
    c->throughput_bps = m ? m->throughput_bps : 0;
  }
  MeshRequester req = {a->peer, a->network, a->country};
  size_t k = mesh_selector_choose(a->sel, &req, a->scratch, n, a->p.max_attempts, a->rng,
                                  a->picks);
  r->npeers = (uint32_t)k;
  r->next = 0;
  for (size_t i = 0; i < k; i++) r->peers[i] = a->scratch[a->picks[i]].peer;
  try_next(a, r, now);
}

void mesh_agent_on_channel_open(MeshAgent *a, MeshTime now, uint32_t peer) {
  Chan *c = chan_find(a, peer);
  if (!c || c->state != CHAN_CONNECTING) return;
  c->state = CHAN_OPEN;
  c->last_used = now;
  for (uint32_t i = 0; i < a->reqs_cap; i++) {
    Req *r = &a->reqs[i];
    if (r->state == REQ_CONNECT && r->peer == peer) start_transfer(a, r, now);
  }
}

void mesh_agent_on_channel_failed(MeshAgent *a, MeshTime now, uint32_t peer) {
  Chan *c = chan_find(a, peer);
  if (!c) return;
  chan_remove(a, c);
  /* Requests only move to other peers below, so one pass sees them all. */
  for (uint32_t i = 0; i < a->reqs_cap; i++) {
    Req *r = &a->reqs[i];
    if ((r->state != REQ_CONNECT && r->state != REQ_TRANSFER) || r->peer != peer) continue;
    if (r->state == REQ_TRANSFER) a->stats.transfer_failures++;
    else a->stats.connect_failures++;
    disarm(a, r);
    mesh_error(a, r, now, true);
  }
}

void mesh_agent_on_transfer_done(MeshAgent *a, MeshTime now, uint64_t handle, uint64_t digest) {
  Req *r = req_of(a, handle, REQ_TRANSFER);
  if (!r) return;
  disarm(a, r);
  chan_leave(a, r, now);
  if (digest != r->digest) {
    a->stats.corrupt++;
    mesh_error(a, r, now, true);
    return;
  }
  PeerMem *m = mem_find(a, r->peer, now, true);
  m->failures = 0;
  if (now > r->t_start) {
    double bps = (double)r->size * 8.0 * 1e9 / (double)(now - r->t_start);
    m->throughput_bps = m->throughput_bps > 0 ? 0.5 * m->throughput_bps + 0.5 * bps : bps;
  }
  a->errors = 0;
  a->backoff = a->p.bowout_ns;
  a->stats.mesh_fetches++;
  complete(a, r, MESH_SOURCE_MESH, r->peer);
}

void mesh_agent_on_transfer_failed(MeshAgent *a, MeshTime now, uint64_t handle,
                                   MeshTransferError why) {
  Req *r = req_of(a, handle, REQ_TRANSFER);
  if (!r) return;
  (void)why; /* every reason means: try the next peer */
  a->stats.transfer_failures++;
  disarm(a, r);
  chan_leave(a, r, now);
  mesh_error(a, r, now, true);
}

void mesh_agent_on_cdn_done(MeshAgent *a, MeshTime now, uint64_t handle) {
  (void)now;
  Req *r = req_of(a, handle, REQ_CDN);
  if (r) complete(a, r, MESH_SOURCE_CDN, NIL);
}

void mesh_agent_on_timer(MeshAgent *a, MeshTime now, uint64_t timer) {
  uint32_t slot = (uint32_t)timer;
  if (slot >= a->reqs_cap) return;
  Req *r = &a->reqs[slot];
  if (r->state == REQ_FREE || !r->timer_armed || r->seq != (uint32_t)(timer >> 32)) return;
  r->timer_armed = false; /* it fired: nothing to cancel */
  switch (r->state) {
  case REQ_TRACKER:
    a->stats.tracker_timeouts++;
    mesh_error(a, r, now, false);
    break;
  case REQ_CONNECT:
    a->stats.connect_timeouts++;
    chan_leave(a, r, now);
    mesh_error(a, r, now, true);
    break;
  case REQ_TRANSFER:
    a->stats.transfer_timeouts++;
    a->ops->cancel_transfer(a->ud, timer, r->peer);
    chan_leave(a, r, now);
    mesh_error(a, r, now, true);
    break;
  case REQ_FREE:
  case REQ_CDN:
    break;
  }
}

MeshStatus mesh_agent_on_upload_request(MeshAgent *a, MeshTime now, uint32_t from, uint64_t obj,
                                        uint32_t version) {
  (void)now;
  (void)from;
  if (a->uploads >= a->p.upload_slots) {
    a->stats.uploads_refused++;
    return MESH_FULL;
  }
  if (!a->ops->cache_lookup(a->ud, obj, version)) {
    a->stats.uploads_refused++;
    return MESH_NOTFOUND;
  }
  a->uploads++;
  a->stats.uploads_accepted++;
  return MESH_OK;
}

void mesh_agent_on_upload_done(MeshAgent *a, MeshTime now) {
  (void)now;
  if (a->uploads > 0) a->uploads--;
}

void mesh_agent_evicted(MeshAgent *a, uint64_t obj, uint32_t version, uint64_t size_bytes) {
  if (!mesh_agent_params_shares(&a->p, size_bytes)) return; /* never announced */
  a->ops->withdraw(a->ud, obj, version);
}

void mesh_agent_abort_all(MeshAgent *a, MeshTime now) {
  (void)now;
  for (uint32_t i = 0; i < a->reqs_cap; i++) {
    Req *r = &a->reqs[i];
    if (r->state == REQ_FREE) continue;
    if (r->state == REQ_TRANSFER) a->ops->cancel_transfer(a->ud, handle_of(a, r), r->peer);
    req_release_slot(a, r);
  }
  for (uint32_t i = 0; i < a->nchans; i++) a->ops->close_channel(a->ud, a->chans[i].peer);
  a->nchans = 0;
}

size_t mesh_agent_in_flight(const MeshAgent *a) { return a->in_flight; }
size_t mesh_agent_channels(const MeshAgent *a) { return a->nchans; }

size_t mesh_agent_memory_bytes(const MeshAgent *a, size_t *channel_bytes) {
  size_t chans = (size_t)a->chans_cap * sizeof *a->chans;
  if (channel_bytes) *channel_bytes = chans;
  return sizeof *a + chans + (size_t)a->reqs_cap * sizeof *a->reqs +
         a->p.peer_memory * (sizeof *a->mem + sizeof *a->mem_peer) +
         a->scratch_cap * sizeof *a->scratch + MESH_AGENT_MAX_ATTEMPTS * sizeof *a->picks +
         mesh_selector_memory_bytes(a->sel);
}
uint32_t mesh_agent_active_uploads(const MeshAgent *a) { return a->uploads; }
const MeshAgentStats *mesh_agent_stats(const MeshAgent *a) { return &a->stats; }

void mesh_agent_reset_stats(MeshAgent *a) {
  memset(&a->stats, 0, sizeof a->stats);
}

MeshStatus mesh_agent_set_strategy(MeshAgent *a, const MeshSelectStrategy *strategy,
                                   const MeshSelectParams *sel_params) {
  if (!strategy) return MESH_INVAL;
  MeshSelector *sel = mesh_selector_new(strategy, sel_params, a->ap);
  if (!sel) return MESH_NOMEM;
  mesh_selector_free(a->sel);
  a->sel = sel;
  return MESH_OK;
}
