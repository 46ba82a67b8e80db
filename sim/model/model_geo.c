/*
 * model_geo.c: the geo host (world.model = geo). Visitors from countries of
 * real data arrive in local-time diurnal cycles, view pages of sites made
 * of HTML, CSS, JS, images and fonts, and fetch them through the real
 * client agent (sim/mesh/agent.c): own cache, tracker, WebRTC data channels
 * to other browsers, or a CDN edge (an edge cache, the same cache code, in
 * front of the origin). The host delivers every agent action with the
 * world's delays (sim/world/transfer.h) and records the metrics.
 *
 * Visitor lifecycle:
 *     (new) --EV_ARRIVAL--> ONLINE: join tracker, announce cache, page 1
 *     ONLINE: page view -> objects (HTML first, then the rest, at most
 *             download_slots at once); dwell (from the page's start, at
 *             least until it loaded) -> next page | EV_DEPART
 *     ONLINE --EV_DEPART--> OFFLINE: agent aborts, tracker leave, uploads
 *             in progress fail for their requesters (GONE)
 *     OFFLINE --EV_ARRIVAL (returning)--> ONLINE with its cache (or a
 *             cleared one)
 * A page view: the HTML comes from the CDN (dynamic; browsers do not share
 * it); every other object goes through the agent. Page load time = last
 * object delivered - page start. The no-mesh counterfactual of the same
 * page view uses the same objects, the same browser cache and the same CDN
 * state (edge hit or miss at the moment each object is requested) under
 * the same parallelism rule: each object costs 0 (browser cache) or its
 * CDN fetch time; objects are list-scheduled on download_slots lanes after
 * the HTML. With [peers] mesh = false both are equal (a test).
 *
 * Invariants:
 *   (1) requests = local + mesh + cdn, by requests and by bytes;
 *   (2) a visitor's tracker holdings = its cache contents while ONLINE;
 *   (3) an upload holds one of its server's slots from acceptance until its
 *       completion, cancellation or the server's departure;
 *   (4) events for a visitor carry its session number where a late event
 *       could act on a later visit; the agent ignores stale handles itself.
 * Randomness: RNG_CHURN (arrivals, visits), RNG_TRAFFIC (sites, pages),
 * RNG_CONTENT (catalogue), RNG_PLACEMENT (network, bandwidth draws of a
 * visitor), RNG_SELECTION (tracker sampling, selection), RNG_NETWORK (ICE).
 */
#include "model/model-private.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <string.h>

#include "core/rng.h"
#include "mesh/agent.h"
#include "mesh/tracker.h"
#include "workload/churn.h"
#include "workload/traffic.h"
#include "world/transfer.h"

enum GeoEvent {
  EV_ARRIVAL = 1,   /* next visitor arrival */
  EV_PAGE,          /* a = visitor, b = session: start a page view */
  EV_PUMP,          /* unused: pumps are deferred to the end of the event (pump_list) */
  EV_DEPART,        /* a = visitor, b = session */
  EV_TIMER,         /* a = visitor, b = agent timer id; session in the kind */
  EV_ANSWER,        /* a = answer slot */
  EV_CHANNEL,       /* a = visitor, b = peer | ok << 32 | session << 33 */
  EV_XFER_ARRIVE,   /* a = transfer slot, b = its generation */
  EV_XFER_DONE,     /* a = transfer slot, b = its generation */
  EV_XFER_FAIL,     /* a = transfer slot, b = its generation */
  EV_CDN_DONE,      /* a = visitor, b = agent handle; session in the kind */
  EV_HTML_DONE,     /* a = visitor, b = session */
  EV_CHANGE,        /* content change (publication, update) */
  EV_SAMPLE,        /* time series */
};

enum { MAX_CAND = 32, NO_PEER = UINT32_MAX, MAX_SLOTS = 64 };

/* Events that carry an agent's handle or timer id also carry the visitor's
 * session (low 24 bits) above the kind: a visitor's agent is freed when it
 * leaves and a new one, whose handles start afresh, made when it returns. */
#define KIND_MASK 0xFFu
#define KIND_WITH_SESSION(k, session) ((uint32_t)(k) | ((uint32_t)(session) & 0xFFFFFFu) << 8)
#define SESSION_OF_KIND(kind) ((kind) >> 8)

typedef struct GeoModel GeoModel;

/* Stable per-visitor context handed to the agent and the cache. */
typedef struct AgentCtx {
  GeoModel *g;
  uint32_t v;
} AgentCtx;

typedef struct Visitor {
  MeshCache *cache;
  MeshAgent *agent;
  AgentCtx *ctx;
  double up_bps, down_bps;       /* access rates */
  uint32_t network, country;
  uint32_t session;              /* visits so far */
  uint32_t pages_left;
  uint32_t slots_used;           /* uploads in progress */
  uint32_t uploads[MAX_SLOTS];   /* their transfer slots */
  uint8_t online, mobile, uploads_ok;
  uint8_t pump_pending;          /* on g->pump_list */
  /* the page view in progress */
  uint32_t page;
  uint32_t n_obj, next_obj, inflight, done;
  SimTime page_start, html_done_at;
  SimTime *req_at;               /* [n_obj] request time of each object */
  SimTime *cf_cost;              /* [n_obj] counterfactual cost of each object */
  uint32_t obj_cap;
  /* the agent's timers: armed, not cancelled, not fired; one engine event
   * at the earliest (timer_next), not one per timer (most are cancelled) */
  struct VTimer { uint64_t id; SimTime at; } *timers;
  uint32_t n_timers, timers_cap;
  SimTime timer_next;            /* time of the valid EV_TIMER; SIM_TIME_MAX: none */
  uint64_t uploaded_bytes;
} Visitor;

typedef struct Xfer {
  uint32_t client, server;
  uint32_t client_session, server_session;
  uint64_t handle;
  uint64_t obj;
  uint32_t version;
  uint64_t size;
  SimTime rtt;
  uint8_t state;                 /* XFER_* */
  uint8_t why;                   /* MeshTransferError when failing */
  uint32_t gen;                  /* events carry it: a reused slot ignores old ones */
  uint32_t next_free;
} Xfer;

enum { XFER_FREE, XFER_REQUESTED, XFER_ACTIVE, XFER_CANCELLED, XFER_FAILING };

typedef struct Answer {
  uint32_t v, session;
  uint64_t handle;
  uint32_t n;
  uint32_t next_free;
  MeshCandidate c[MAX_CAND];
} Answer;

struct GeoModel {
  Model *base;
  /* parameters */
  SimTime horizon, sample_every;
  uint64_t seed;
  bool mesh;
  uint32_t candidates, n_sites;
  SimTime max_rtt;                 /* tracker: farthest candidate offered; 0 = any */
  uint64_t cap_desktop, cap_mobile;
  MeshCacheConfig cache_cfg, edge_cfg;
  MeshAgentParams agent_params;
  MeshSelectParams sel_params;
  const MeshSelectStrategy *strategy;
  TransferParams tp;
  /* world and workload */
  Engine *engine;
  World *world;
  Cdn *cdn;
  Churn *churn;
  Traffic *traffic;
  MeshTracker *tracker;
  MeshAgentOps ops;
  gsl_ran_discrete_t **net_pick;   /* [country] network by market share */
  gsl_rng *rng_traffic, *rng_place, *rng_sel, *rng_net;
  MeshRng sel;
  MeshCache **edges;               /* [edge] */
  /* entities */
  GArray *visitors;                /* Visitor */
  GArray *xfers;                   /* Xfer; free list through next_free */
  uint32_t xfer_free;
  GArray *answers;                 /* Answer; free list */
  uint32_t answer_free;
  ChurnArrival next_arrival;
  uint32_t online, peak_online;
  uint64_t forgotten;              /* visitors dropped from the returning pools */
  MeshAgentStats agent_stats_done; /* of the agents of visits that ended */
  /* metrics */
  uint64_t requests, local_hits, mesh_fetches, cdn_fetches;
  uint64_t bytes_req, bytes_local, bytes_mesh, bytes_cdn, bytes_origin, bytes_inflight;
  uint64_t mesh_tier[3];
  uint64_t bytes_inter_network, bytes_inter_country;
  uint64_t page_views, pages_done, visits, pages_html;
  uint64_t signaling;
  uint64_t edge_hits, edge_misses;
  uint64_t model_events;
  double latency_sum_s;
  double lat_sum_src[3];           /* by MeshSource: local, mesh, CDN (objects) */
  Histogram *plt, *plt_nomesh, *speedup;
  /* per country */
  uint64_t *c_bytes_req, *c_bytes_mesh, *c_pages;
  double *c_plt_sum, *c_plt_nomesh_sum;
  /* per interval */
  uint64_t iv_origin, iv_cdn, iv_mesh, iv_fetched;
  GArray *origin_bps;              /* double, one per interval */
  GArray *pump_list;               /* uint32 visitors whose page wants requests issued:
                                      drained after each event, in order, so that no
                                      agent is called from inside its own callback */
  bool started;                    /* initial events scheduled (geo_run_until) */
  TrafficChange pending_change;    /* the next content change, across run_until calls */
};

/* ---- small helpers ------------------------------------------------------- */

static inline Visitor *vis(GeoModel *g, uint32_t v) {
  return &g_array_index(g->visitors, Visitor, v);
}

static inline uint64_t digest_of(uint64_t obj, uint32_t version) {
  uint64_t z = (obj << 32 | version) + UINT64_C(0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static inline SimTime rtt(GeoModel *g, uint32_t na, uint32_t nb) {
  return world_rtt_ns(g->world, na, nb);
}

static void schedule(GeoModel *g, SimTime at, enum GeoEvent kind, uint32_t a, uint64_t b) {
  engine_schedule(g->engine, at, kind, a, b);
}

/* ---- CDN ------------------------------------------------------------------ */

/* Time to fetch an object from the visitor's edge now (the edge cache and
 * the egress counters change only when `commit`). */
static SimTime cdn_fetch(GeoModel *g, uint32_t v, uint64_t obj, uint32_t version, uint64_t size,
                         bool commit) {
  Visitor *x = vis(g, v);
  uint32_t edge = cdn_edge_of(g->cdn, x->network);
  MeshCache *ec = g->edges[edge];
  bool hit;
  if (commit) {
    hit = mesh_cache_lookup(ec, obj, version, engine_now(g->engine));
    if (hit) {
      g->edge_hits++;
    } else {
      g->edge_misses++;
      g->bytes_origin += size;
      g->iv_origin += size;
      mesh_cache_insert(ec, obj, version, size, engine_now(g->engine));
    }
  } else {
    uint32_t have;
    hit = mesh_cache_contains(ec, obj, &have) && have == version;
  }
  double share = x->down_bps / g->tp.download_slots;
  return cdn_fetch_ns(g->cdn, x->network, edge, size, share, hit);
}

/* ---- agent actions (MeshAgentOps) --------------------------------------- */

static bool op_cache_lookup(void *ud, uint64_t obj, uint32_t version) {
  AgentCtx *c = ud;
  Visitor *x = vis(c->g, c->v);
  return mesh_cache_lookup(x->cache, obj, version, engine_now(c->g->engine));
}

static bool op_cache_insert(void *ud, uint64_t obj, uint32_t version, uint64_t size) {
  AgentCtx *c = ud;
  Visitor *x = vis(c->g, c->v);
  MeshStatus st = mesh_cache_insert(x->cache, obj, version, size, engine_now(c->g->engine));
  return st == MESH_OK;
}

static void on_cache_evict(void *ud, uint64_t obj, uint32_t version, uint64_t size) {
  AgentCtx *c = ud;
  (void)size;
  Visitor *x = vis(c->g, c->v);
  if (x->agent && x->online) mesh_agent_evicted(x->agent, obj, version);
}

static void op_tracker_query(void *ud, uint64_t handle, uint64_t obj, uint32_t version) {
  AgentCtx *c = ud;
  GeoModel *g = c->g;
  Visitor *x = vis(g, c->v);
  g->signaling += 2;
  uint32_t slot;
  if (g->answer_free != UINT32_MAX) {
    slot = g->answer_free;
    g->answer_free = g_array_index(g->answers, Answer, slot).next_free;
  } else {
    slot = g->answers->len;
    g_array_set_size(g->answers, slot + 1);
  }
  Answer *a = &g_array_index(g->answers, Answer, slot);
  a->v = c->v;
  a->session = x->session;
  a->handle = handle;
  uint32_t peers[MAX_CAND];
  MeshTier tiers[MAX_CAND];
  size_t n = mesh_tracker_query(g->tracker, obj, version, c->v, x->network, x->country,
                                g->candidates, &g->sel, peers, tiers);
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    Visitor *s = vis(g, peers[i]);
    SimTime r = rtt(g, x->network, s->network);
    if (g->max_rtt > 0 && r > g->max_rtt) continue; /* tiers come best first */
    a->c[kept++] = (MeshCandidate){
        .peer = peers[i],
        .network = s->network,
        .country = s->country,
        .rtt_ns = r,
        .throughput_bps = 0,
        .active_uploads = s->slots_used,
        .upload_slots = s->uploads_ok ? g->tp.upload_slots : 0,
        .nat_compatible = true, /* TURN relays every pair ICE does not fail for */
        .recent_failures = 0,
    };
  }
  a->n = (uint32_t)kept;
  /* The tracker sits with the region's CDN edge (signaling datacenter). */
  SimTime srtt = cdn_rtt_ns(g->cdn, x->network, cdn_edge_of(g->cdn, x->network));
  schedule(g, engine_now(g->engine) + srtt, EV_ANSWER, slot, 0);
}

static void op_announce(void *ud, uint64_t obj, uint32_t version) {
  AgentCtx *c = ud;
  Visitor *x = vis(c->g, c->v);
  if (!x->online || !x->uploads_ok) return; /* a browser that never uploads stays unlisted */
  c->g->signaling++;
  mesh_tracker_announce(c->g->tracker, c->v, obj, version);
}

static void op_withdraw(void *ud, uint64_t obj, uint32_t version) {
  AgentCtx *c = ud;
  c->g->signaling++;
  mesh_tracker_withdraw(c->g->tracker, c->v, obj, version);
}

static WorldNat nat_of(GeoModel *g, uint32_t v) {
  return world_network(g->world, vis(g, v)->network)->nat;
}

static void op_open_channel(void *ud, uint32_t peer) {
  AgentCtx *c = ud;
  GeoModel *g = c->g;
  Visitor *x = vis(g, c->v), *s = vis(g, peer);
  SimTime now = engine_now(g->engine);
  SimTime r = rtt(g, x->network, s->network);
  bool turn = transfer_needs_turn(nat_of(g, c->v), nat_of(g, peer));
  if (turn) r += g->tp.turn_extra_rtt_ns;
  uint64_t tag = (uint64_t)peer | (uint64_t)x->session << 33;
  g->signaling += 2; /* offer and answer through signaling */
  if (!s->online) {
    /* signaling tells at once that the peer is gone */
    SimTime srtt = cdn_rtt_ns(g->cdn, x->network, cdn_edge_of(g->cdn, x->network));
    schedule(g, now + srtt, EV_CHANNEL, c->v, tag);
    return;
  }
  bool fail = gsl_rng_uniform(g->rng_net) <
              transfer_ice_fail_prob(&g->tp, nat_of(g, c->v), nat_of(g, peer));
  schedule(g, now + transfer_setup_ns(&g->tp, r), EV_CHANNEL, c->v,
           tag | (fail ? 0 : UINT64_C(1) << 32));
}

static void op_close_channel(void *ud, uint32_t peer) {
  (void)ud;
  (void)peer;
}

static uint32_t xfer_alloc(GeoModel *g) {
  uint32_t i;
  if (g->xfer_free != UINT32_MAX) {
    i = g->xfer_free;
    g->xfer_free = g_array_index(g->xfers, Xfer, i).next_free;
  } else {
    i = g->xfers->len;
    g_array_set_size(g->xfers, i + 1);
  }
  return i;
}

static void xfer_release(GeoModel *g, uint32_t i) {
  Xfer *t = &g_array_index(g->xfers, Xfer, i);
  t->state = XFER_FREE;
  t->next_free = g->xfer_free;
  g->xfer_free = i;
}

static void server_drop(GeoModel *g, uint32_t server, uint32_t xi) {
  Visitor *s = vis(g, server);
  for (uint32_t k = 0; k < s->slots_used; k++)
    if (s->uploads[k] == xi) {
      s->uploads[k] = s->uploads[--s->slots_used];
      return;
    }
}

static void op_start_transfer(void *ud, uint64_t handle, uint32_t peer, uint64_t obj,
                              uint32_t version) {
  AgentCtx *c = ud;
  GeoModel *g = c->g;
  Visitor *x = vis(g, c->v), *s = vis(g, peer);
  uint32_t i = xfer_alloc(g);
  Xfer *t = &g_array_index(g->xfers, Xfer, i);
  SimTime r = rtt(g, x->network, s->network);
  if (transfer_needs_turn(nat_of(g, c->v), nat_of(g, peer))) r += g->tp.turn_extra_rtt_ns;
  *t = (Xfer){.client = c->v, .server = peer, .client_session = x->session,
              .server_session = s->session, .handle = handle, .obj = obj, .version = version,
              .size = traffic_object_size(g->traffic, (uint32_t)obj), .rtt = r,
              .state = XFER_REQUESTED, .gen = t->gen + 1, .next_free = UINT32_MAX};
  schedule(g, engine_now(g->engine) + r / 2, EV_XFER_ARRIVE, i, t->gen);
}

static void op_cancel_transfer(void *ud, uint64_t handle, uint32_t peer) {
  AgentCtx *c = ud;
  GeoModel *g = c->g;
  for (uint32_t i = 0; i < g->xfers->len; i++) {
    Xfer *t = &g_array_index(g->xfers, Xfer, i);
    if (t->state == XFER_FREE || t->client != c->v || t->handle != handle || t->server != peer)
      continue;
    if (t->state == XFER_ACTIVE) {
      Visitor *s = vis(g, t->server);
      server_drop(g, t->server, i);
      if (s->online && s->session == t->server_session)
        mesh_agent_on_upload_done(s->agent, engine_now(g->engine));
    }
    t->state = XFER_CANCELLED; /* its pending event releases it */
    return;
  }
}

static void op_cdn_fetch(void *ud, uint64_t handle, uint64_t obj, uint32_t version) {
  AgentCtx *c = ud;
  GeoModel *g = c->g;
  uint64_t size = traffic_object_size(g->traffic, (uint32_t)obj);
  SimTime d = cdn_fetch(g, c->v, obj, version, size, true);
  engine_schedule(g->engine, engine_now(g->engine) + d,
                  KIND_WITH_SESSION(EV_CDN_DONE, vis(g, c->v)->session), c->v, handle);
}

static void timer_wake(GeoModel *g, uint32_t v, SimTime at) {
  Visitor *x = vis(g, v);
  x->timer_next = at;
  engine_schedule(g->engine, at, KIND_WITH_SESSION(EV_TIMER, x->session), v, 0);
}

static void op_arm_timer(void *ud, uint64_t timer, MeshTime at) {
  AgentCtx *c = ud;
  Visitor *x = vis(c->g, c->v);
  if (x->n_timers == x->timers_cap) {
    x->timers_cap = x->timers_cap ? 2 * x->timers_cap : 8;
    x->timers = g_renew(struct VTimer, x->timers, x->timers_cap);
  }
  x->timers[x->n_timers++] = (struct VTimer){timer, at};
  if (at < x->timer_next) timer_wake(c->g, c->v, at);
}

static void op_cancel_timer(void *ud, uint64_t timer) {
  AgentCtx *c = ud;
  Visitor *x = vis(c->g, c->v);
  for (uint32_t i = 0; i < x->n_timers; i++)
    if (x->timers[i].id == timer) {
      memmove(&x->timers[i], &x->timers[i + 1], (x->n_timers - i - 1) * sizeof *x->timers);
      x->n_timers--;
      return;
    }
}

/* EV_TIMER: fire the due timers in arming order, then wake at the next. */
static void timers_fire(GeoModel *g, uint32_t v, SimTime now) {
  Visitor *x = vis(g, v);
  x->timer_next = SIM_TIME_MAX;
  uint64_t due[64];
  uint32_t n_due = 0;
  for (uint32_t i = 0; i < x->n_timers && n_due < G_N_ELEMENTS(due);)
    if (x->timers[i].at <= now) {
      due[n_due++] = x->timers[i].id;
      memmove(&x->timers[i], &x->timers[i + 1], (x->n_timers - i - 1) * sizeof *x->timers);
      x->n_timers--;
    } else {
      i++;
    }
  for (uint32_t i = 0; i < n_due && x->online; i++) mesh_agent_on_timer(x->agent, now, due[i]);
  SimTime next = SIM_TIME_MAX;
  for (uint32_t i = 0; i < x->n_timers; i++)
    if (x->timers[i].at < next) next = x->timers[i].at;
  if (next != SIM_TIME_MAX && next < x->timer_next) timer_wake(g, v, next < now ? now : next);
}

static void object_delivered(GeoModel *g, uint32_t v, uint32_t idx, MeshSource src,
                             uint32_t peer);

static void op_deliver(void *ud, uint64_t cookie, MeshSource source, uint32_t peer) {
  AgentCtx *c = ud;
  Visitor *x = vis(c->g, c->v);
  if ((uint32_t)(cookie >> 32) != x->session) return;
  object_delivered(c->g, c->v, (uint32_t)cookie, source, peer);
}

/* ---- pages ---------------------------------------------------------------- */

static void page_begin(GeoModel *g, uint32_t v, SimTime now) {
  Visitor *x = vis(g, v);
  uint32_t site = g->n_sites > 1 ? (uint32_t)gsl_rng_uniform_int(g->rng_traffic, g->n_sites) : 0;
  x->page = traffic_pick_page(g->traffic, site, x->country, now);
  uint32_t n;
  traffic_page_objects(g->traffic, x->page, &n);
  if (n > x->obj_cap) {
    x->obj_cap = n;
    x->req_at = g_renew(SimTime, x->req_at, n);
    x->cf_cost = g_renew(SimTime, x->cf_cost, n);
  }
  x->n_obj = n;
  x->next_obj = 1;
  x->inflight = 1;
  x->done = 0;
  x->page_start = now;
  g->page_views++;
  /* The HTML: from the CDN, in both worlds. */
  const uint32_t *objs = traffic_page_objects(g->traffic, x->page, &n);
  uint64_t size = traffic_object_size(g->traffic, objs[0]);
  uint32_t ver = traffic_object_version(g->traffic, objs[0]);
  SimTime d = cdn_fetch(g, v, objs[0], ver, size, true);
  x->req_at[0] = now;
  x->cf_cost[0] = d;
  g->requests++;
  g->bytes_req += size;
  g->bytes_inflight += size;
  g->c_bytes_req[x->country] += size;
  schedule(g, now + d, EV_HTML_DONE, v, x->session);
}

/* Issue object requests while download slots are free (not from inside an
 * agent callback: EV_PUMP runs from the event loop). */
static void page_pump(GeoModel *g, uint32_t v, SimTime now) {
  Visitor *x = vis(g, v);
  const uint32_t *objs = traffic_page_objects(g->traffic, x->page, &(uint32_t){0});
  while (x->online && x->html_done_at >= x->page_start && x->next_obj < x->n_obj &&
         x->inflight < g->tp.download_slots) {
    uint32_t idx = x->next_obj++;
    uint32_t obj = objs[idx];
    uint64_t size = traffic_object_size(g->traffic, obj);
    uint32_t ver = traffic_object_version(g->traffic, obj);
    x->inflight++;
    x->req_at[idx] = now;
    g->requests++;
    g->bytes_req += size;
    g->bytes_inflight += size;
    g->c_bytes_req[x->country] += size;
    /* counterfactual cost: browser cache, else the CDN as it is now */
    uint32_t have;
    bool local = mesh_cache_contains(x->cache, obj, &have) && have == ver;
    x->cf_cost[idx] = local ? 0 : cdn_fetch(g, v, obj, ver, size, false);
    if (!g->mesh) {
      if (mesh_cache_lookup(x->cache, obj, ver, now)) {
        object_delivered(g, v, idx, MESH_SOURCE_LOCAL, NO_PEER);
      } else {
        SimTime d = cdn_fetch(g, v, obj, ver, size, true);
        mesh_cache_insert(x->cache, obj, ver, size, now);
        schedule(g, now + d, EV_CDN_DONE, v, (uint64_t)x->session << 32 | idx);
      }
      continue;
    }
    MeshStatus st = mesh_agent_request(x->agent, now, obj, ver, size, digest_of(obj, ver),
                                       (uint64_t)x->session << 32 | idx);
    g_assert_true(st == MESH_OK);
  }
}

/* List-schedule the counterfactual: HTML, then the objects in request
 * order on download_slots lanes. */
static SimTime counterfactual_plt(GeoModel *g, Visitor *x) {
  SimTime lanes[MAX_SLOTS];
  uint32_t k = g->tp.download_slots;
  SimTime html = x->cf_cost[0];
  for (uint32_t i = 0; i < k; i++) lanes[i] = html;
  SimTime end = html;
  for (uint32_t o = 1; o < x->n_obj; o++) {
    uint32_t best = 0;
    for (uint32_t i = 1; i < k; i++)
      if (lanes[i] < lanes[best]) best = i;
    lanes[best] += x->cf_cost[o];
    if (lanes[best] > end) end = lanes[best];
  }
  return end;
}

static void page_complete(GeoModel *g, uint32_t v, SimTime now) {
  Visitor *x = vis(g, v);
  double plt = (double)(now - x->page_start) * 1e-9;
  double cf = (double)counterfactual_plt(g, x) * 1e-9;
  histogram_add(g->plt, plt);
  histogram_add(g->plt_nomesh, cf);
  if (plt > 0) histogram_add(g->speedup, cf / plt);
  g->pages_done++;
  g->c_pages[x->country]++;
  g->c_plt_sum[x->country] += plt;
  g->c_plt_nomesh_sum[x->country] += cf;
  /* Time on a page counts from its start (it includes the load, as in the
   * dwell-time data), so the visit lasts pages x E[dwell] (Little's law
   * holds for the configured concurrency); a page still loading when its
   * dwell ends is left at completion. */
  SimTime dwell = churn_dwell_ns(g->churn, x->mobile ? CHURN_MOBILE : CHURN_DESKTOP);
  SimTime next = x->page_start + dwell > now ? x->page_start + dwell : now;
  if (--x->pages_left > 0) schedule(g, next, EV_PAGE, v, x->session);
  else schedule(g, next, EV_DEPART, v, x->session);
}

static void object_delivered(GeoModel *g, uint32_t v, uint32_t idx, MeshSource src,
                             uint32_t peer) {
  Visitor *x = vis(g, v);
  SimTime now = engine_now(g->engine);
  const uint32_t *objs = traffic_page_objects(g->traffic, x->page, &(uint32_t){0});
  uint64_t size = traffic_object_size(g->traffic, objs[idx]);
  double lat = (double)(now - x->req_at[idx]) * 1e-9;
  g->latency_sum_s += lat;
  g->lat_sum_src[src] += lat;
  g->bytes_inflight -= size;
  histogram_add(g->base->latency, lat);
  switch (src) {
    case MESH_SOURCE_LOCAL:
      g->local_hits++;
      g->bytes_local += size;
      break;
    case MESH_SOURCE_MESH: {
      g->mesh_fetches++;
      g->bytes_mesh += size;
      g->iv_mesh += size;
      g->iv_fetched += size;
      g->c_bytes_mesh[x->country] += size;
      Visitor *s = vis(g, peer);
      MeshTier tier = s->network == x->network   ? MESH_TIER_SAME_NETWORK
                      : s->country == x->country ? MESH_TIER_SAME_COUNTRY
                                                 : MESH_TIER_OTHER;
      g->mesh_tier[tier]++;
      if (s->network != x->network) g->bytes_inter_network += size;
      if (s->country != x->country) g->bytes_inter_country += size;
      s->uploaded_bytes += size;
      break;
    }
    case MESH_SOURCE_CDN:
      g->cdn_fetches++;
      g->bytes_cdn += size;
      g->iv_cdn += size;
      g->iv_fetched += size;
      break;
  }
  x->done++;
  x->inflight--;
  if (x->done + 1 == x->n_obj) page_complete(g, v, now);
  else if (!x->pump_pending) {   /* after the current event, outside any callback */
    x->pump_pending = 1;
    g_array_append_val(g->pump_list, v);
  }
}

/* ---- visitors ------------------------------------------------------------- */

static Visitor *visitor_get(GeoModel *g, uint32_t v) {
  if (v >= g->visitors->len) g_array_set_size(g->visitors, v + 1);
  return vis(g, v);
}

static void visitor_setup(GeoModel *g, uint32_t v, const ChurnArrival *a) {
  Visitor *x = visitor_get(g, v);
  if (!x->ctx) {
    /* first visit: a network of the country by market share, access rates */
    x->country = a->country;
    const WorldCountry *wc = world_country(g->world, a->country);
    x->network = wc->first_network +
                 (uint32_t)gsl_ran_discrete(g->rng_place, g->net_pick[a->country]);
    x->mobile = a->device == CHURN_MOBILE;
    x->uploads_ok = a->uploads;
    x->down_bps = transfer_bandwidth_quantile(wc->dl_mbps, gsl_rng_uniform_pos(g->rng_place));
    x->up_bps = transfer_bandwidth_quantile(wc->ul_mbps, gsl_rng_uniform_pos(g->rng_place)) *
                churn_upload_factor(g->churn, a->device);
    x->ctx = g_new(AgentCtx, 1);
    *x->ctx = (AgentCtx){g, v};
  }
  if (g->mesh && !x->agent) {
    /* an agent lives for one visit (its state is the tab's) */
    MeshAgentParams ap = g->agent_params;
    ap.upload_slots = x->uploads_ok ? g->tp.upload_slots : 0;
    if (ap.upload_slots == 0) ap.upload_slots = 1; /* agent needs >= 1; refused below */
    x->agent = mesh_agent_new(v, x->network, x->country, &ap, g->strategy, &g->sel_params,
                              &g->ops, x->ctx, &g->sel, NULL);
    g_assert_nonnull(x->agent);
  }
  if (!x->cache || a->cache_cleared) {
    mesh_cache_free(x->cache);
    MeshCacheConfig cc = g->cache_cfg;
    if (cc.unit == MESH_CACHE_BYTES) cc.capacity = x->mobile ? g->cap_mobile : g->cap_desktop;
    cc.on_evict = on_cache_evict;
    cc.on_evict_ud = x->ctx;
    x->cache = mesh_cache_new(&cc, NULL);
    g_assert_nonnull(x->cache);
  }
}

typedef struct AnnounceCtx {
  GeoModel *g;
  uint32_t v;
} AnnounceCtx;

static void announce_cached(void *ud, uint64_t obj, uint32_t version, uint64_t size) {
  AnnounceCtx *a = ud;
  (void)size;
  a->g->signaling++;
  mesh_tracker_announce(a->g->tracker, a->v, obj, version);
}

static void arrival(GeoModel *g, SimTime now) {
  ChurnArrival a = g->next_arrival;
  visitor_setup(g, a.visitor, &a);
  Visitor *x = vis(g, a.visitor);
  x->online = 1;
  x->session++;
  x->n_timers = 0;
  x->timer_next = SIM_TIME_MAX;
  x->pages_left = churn_visit_pages(g->churn, a.visitor);
  g->visits++;
  g->online++;
  if (g->online > g->peak_online) g->peak_online = g->online;
  if (g->mesh) {
    g->signaling++;
    MeshStatus st = mesh_tracker_join(g->tracker, a.visitor, x->network, x->country);
    g_assert_true(st == MESH_OK);
    if (x->uploads_ok) {
      AnnounceCtx ac = {g, a.visitor};
      mesh_cache_foreach(x->cache, announce_cached, &ac);
    }
  }
  page_begin(g, a.visitor, now);
  churn_next_arrival(g->churn, now, &g->next_arrival);
  schedule(g, g->next_arrival.at_ns, EV_ARRIVAL, 0, 0);
}

static void add_agent_stats(MeshAgentStats *sum, const MeshAgentStats *s) {
  sum->requests += s->requests;
  sum->local_hits += s->local_hits;
  sum->mesh_fetches += s->mesh_fetches;
  sum->cdn_fetches += s->cdn_fetches;
  sum->tracker_timeouts += s->tracker_timeouts;
  sum->connect_failures += s->connect_failures;
  sum->connect_timeouts += s->connect_timeouts;
  sum->transfer_failures += s->transfer_failures;
  sum->transfer_timeouts += s->transfer_timeouts;
  sum->corrupt += s->corrupt;
  sum->bowouts += s->bowouts;
  sum->bowout_requests += s->bowout_requests;
  sum->uploads_accepted += s->uploads_accepted;
  sum->uploads_refused += s->uploads_refused;
}

static void depart(GeoModel *g, uint32_t v, SimTime now) {
  Visitor *x = vis(g, v);
  x->online = 0;
  g->online--;
  uint32_t gone = churn_visit_end(g->churn, v);
  if (gone != UINT32_MAX) {       /* it will never return: free its cache */
    Visitor *f = vis(g, gone);
    mesh_cache_free(f->cache);
    f->cache = NULL;
    g->forgotten++;
  }
  if (!g->mesh) return;
  g->signaling++;
  mesh_tracker_leave(g->tracker, v);
  mesh_agent_abort_all(x->agent, now);
  add_agent_stats(&g->agent_stats_done, mesh_agent_stats(x->agent));
  /* uploads in progress fail for their requesters */
  for (uint32_t k = 0; k < x->slots_used; k++) {
    uint32_t xi = x->uploads[k];
    Xfer *t = &g_array_index(g->xfers, Xfer, xi);
    t->state = XFER_FAILING;
    t->why = MESH_XFER_GONE;
    schedule(g, now + t->rtt / 2, EV_XFER_FAIL, xi, t->gen);
  }
  x->slots_used = 0;
  mesh_agent_free(x->agent);
  x->agent = NULL;
}

/* ---- transfers ------------------------------------------------------------ */

static void xfer_arrive(GeoModel *g, uint32_t xi, SimTime now) {
  Xfer *t = &g_array_index(g->xfers, Xfer, xi);
  if (t->state == XFER_CANCELLED) {
    xfer_release(g, xi);
    return;
  }
  Visitor *s = vis(g, t->server), *c = vis(g, t->client);
  if (!s->online || s->session != t->server_session) {
    t->state = XFER_FAILING;
    t->why = MESH_XFER_GONE;
    schedule(g, now + t->rtt / 2, EV_XFER_FAIL, xi, t->gen);
    return;
  }
  MeshStatus st = s->uploads_ok && s->slots_used < g->tp.upload_slots
                      ? mesh_agent_on_upload_request(s->agent, now, t->client, t->obj, t->version)
                      : MESH_FULL;
  if (st != MESH_OK) {
    t->state = XFER_FAILING;
    t->why = st == MESH_NOTFOUND ? MESH_XFER_NOTFOUND : MESH_XFER_REFUSED;
    schedule(g, now + t->rtt / 2, EV_XFER_FAIL, xi, t->gen);
    return;
  }
  t->state = XFER_ACTIVE;
  s->uploads[s->slots_used++] = xi;
  double rate = transfer_rate_bps(s->up_bps / g->tp.upload_slots,
                                  c->down_bps / g->tp.download_slots, g->tp.window_bytes,
                                  t->rtt);
  if (transfer_needs_turn(nat_of(g, t->client), nat_of(g, t->server)))
    rate = fmin(rate, g->tp.turn_rate_bps);
  SimTime d = (SimTime)llround((double)t->size * 8.0 / rate * 1e9);
  schedule(g, now + d + t->rtt / 2, EV_XFER_DONE, xi, t->gen);
}

static void xfer_done(GeoModel *g, uint32_t xi, SimTime now) {
  Xfer *t = &g_array_index(g->xfers, Xfer, xi);
  if (t->state != XFER_ACTIVE) {   /* cancelled or failing: released elsewhere */
    if (t->state == XFER_CANCELLED) xfer_release(g, xi);
    return;
  }
  Visitor *s = vis(g, t->server), *c = vis(g, t->client);
  server_drop(g, t->server, xi);
  mesh_agent_on_upload_done(s->agent, now);
  uint64_t handle = t->handle;
  uint64_t dig = digest_of(t->obj, t->version);
  bool deliver = c->online && c->session == t->client_session;
  uint32_t client = t->client;
  xfer_release(g, xi);
  if (deliver) mesh_agent_on_transfer_done(vis(g, client)->agent, now, handle, dig);
}

static void xfer_fail(GeoModel *g, uint32_t xi, SimTime now) {
  Xfer *t = &g_array_index(g->xfers, Xfer, xi);
  uint32_t client = t->client;
  uint64_t handle = t->handle;
  MeshTransferError why = (MeshTransferError)t->why;
  bool deliver = t->state == XFER_FAILING && vis(g, client)->online &&
                 vis(g, client)->session == t->client_session;
  xfer_release(g, xi);
  if (deliver) mesh_agent_on_transfer_failed(vis(g, client)->agent, now, handle, why);
}

/* ---- metrics --------------------------------------------------------------- */

static void sample(GeoModel *g, SimTime now) {
  double secs = (double)g->sample_every * 1e-9;
  model_add_sample(g->base, "online_peers", now, g->online);
  double obps = (double)g->iv_origin * 8.0 / secs;
  model_add_sample(g->base, "origin_egress_bps", now, obps);
  model_add_sample(g->base, "cdn_egress_bps", now, (double)g->iv_cdn * 8.0 / secs);
  model_add_sample(g->base, "mesh_bps", now, (double)g->iv_mesh * 8.0 / secs);
  model_add_sample(g->base, "offload", now,
                   g->iv_fetched ? (double)g->iv_mesh / (double)g->iv_fetched : 0.0);
  size_t holding = 0, channels = 0;
  for (uint32_t v = 0; v < g->visitors->len; v++) {
    Visitor *x = vis(g, v);
    if (!x->online) continue;
    if (x->cache && mesh_cache_count(x->cache) > 0) holding++;
    if (x->agent) channels += mesh_agent_channels(x->agent);
  }
  model_add_sample(g->base, "peers_holding_content", now, (double)holding);
  model_add_sample(g->base, "open_channels", now, (double)channels);
  g_array_append_val(g->origin_bps, obps);
  g->iv_origin = g->iv_cdn = g->iv_mesh = g->iv_fetched = 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank quantile of a sorted array. */
static double sorted_quantile(const double *v, size_t n, double q) {
  if (n == 0) return 0;
  size_t r = (size_t)ceil(q * (double)n);
  if (r < 1) r = 1;
  return v[r - 1];
}

static void summarise(GeoModel *g) {
  Model *b = g->base;
  model_add_scalar(b, "object_requests", (double)g->requests);
  model_add_scalar(b, "local_hits", (double)g->local_hits);
  model_add_scalar(b, "mesh_fetches", (double)g->mesh_fetches);
  model_add_scalar(b, "cdn_fetches", (double)g->cdn_fetches);
  uint64_t fetched = g->bytes_mesh + g->bytes_cdn;
  model_add_scalar(b, "offload", fetched ? (double)g->bytes_mesh / (double)fetched : 0.0);
  uint64_t freq = g->mesh_fetches + g->cdn_fetches;
  model_add_scalar(b, "offload_requests", freq ? (double)g->mesh_fetches / (double)freq : 0.0);
  model_add_scalar(b, "mean_latency_s", g->requests ? g->latency_sum_s / (double)g->requests : 0);
  model_add_scalar(b, "online_at_end", g->online);
  uint64_t in_flight = 0;
  for (uint32_t v = 0; v < g->visitors->len; v++)
    if (vis(g, v)->online) in_flight += vis(g, v)->inflight;
  model_add_scalar(b, "in_flight_at_end", (double)in_flight);
  model_add_scalar(b, "in_flight_bytes_at_end", (double)g->bytes_inflight);
  model_add_scalar(b, "events", (double)g->model_events);
  model_add_scalar(b, "countries", world_n_countries(g->world));
  model_add_scalar(b, "networks", world_n_networks(g->world));
  model_add_scalar(b, "visitors", churn_n_visitors(g->churn));
  model_add_scalar(b, "visits", (double)g->visits);
  model_add_scalar(b, "peak_online", g->peak_online);
  model_add_scalar(b, "page_views", (double)g->page_views);
  model_add_scalar(b, "page_views_completed", (double)g->pages_done);
  model_add_scalar(b, "page_load_mean_s", histogram_mean(g->plt));
  model_add_scalar(b, "page_load_p50_s", histogram_quantile(g->plt, 0.50));
  model_add_scalar(b, "page_load_p95_s", histogram_quantile(g->plt, 0.95));
  model_add_scalar(b, "page_load_p99_s", histogram_quantile(g->plt, 0.99));
  model_add_scalar(b, "page_load_nomesh_mean_s", histogram_mean(g->plt_nomesh));
  model_add_scalar(b, "page_load_nomesh_p50_s", histogram_quantile(g->plt_nomesh, 0.50));
  model_add_scalar(b, "page_load_nomesh_p95_s", histogram_quantile(g->plt_nomesh, 0.95));
  model_add_scalar(b, "page_load_nomesh_p99_s", histogram_quantile(g->plt_nomesh, 0.99));
  model_add_scalar(b, "mesh_latency_mean_s",
                   g->mesh_fetches ? g->lat_sum_src[MESH_SOURCE_MESH] / (double)g->mesh_fetches : 0);
  uint64_t cdn_obj = g->cdn_fetches - g->pages_html;
  model_add_scalar(b, "cdn_latency_mean_s",
                   cdn_obj ? g->lat_sum_src[MESH_SOURCE_CDN] / (double)cdn_obj : 0);
  model_add_scalar(b, "latency_p50_s", histogram_quantile(b->latency, 0.50));
  model_add_scalar(b, "latency_p95_s", histogram_quantile(b->latency, 0.95));
  model_add_scalar(b, "latency_p99_s", histogram_quantile(b->latency, 0.99));
  model_add_scalar(b, "requested_bytes", (double)g->bytes_req);
  model_add_scalar(b, "local_bytes", (double)g->bytes_local);
  model_add_scalar(b, "mesh_bytes", (double)g->bytes_mesh);
  model_add_scalar(b, "cdn_bytes", (double)g->bytes_cdn);
  model_add_scalar(b, "origin_bytes", (double)g->bytes_origin);
  model_add_scalar(b, "edge_hit_ratio",
                   g->edge_hits + g->edge_misses
                       ? (double)g->edge_hits / (double)(g->edge_hits + g->edge_misses)
                       : 0.0);
  size_t n = g->origin_bps->len;
  double *o = g_memdup2(g->origin_bps->data, n * sizeof(double));
  qsort(o, n, sizeof(double), cmp_double);
  model_add_scalar(b, "origin_egress_p95_bps", sorted_quantile(o, n, 0.95));
  model_add_scalar(b, "origin_egress_peak_bps", n ? o[n - 1] : 0.0);
  g_free(o);
  model_add_scalar(b, "mesh_same_network", (double)g->mesh_tier[MESH_TIER_SAME_NETWORK]);
  model_add_scalar(b, "mesh_same_country", (double)g->mesh_tier[MESH_TIER_SAME_COUNTRY]);
  model_add_scalar(b, "mesh_other", (double)g->mesh_tier[MESH_TIER_OTHER]);
  model_add_scalar(b, "inter_network_bytes", (double)g->bytes_inter_network);
  model_add_scalar(b, "inter_country_bytes", (double)g->bytes_inter_country);
  model_add_scalar(b, "signaling_messages", (double)g->signaling);
  /* agents' error counters: ended visits, then the visits in progress */
  MeshAgentStats as = g->agent_stats_done;
  /* per-visitor upload: mean, p99, Gini over visitors seen */
  size_t nv = g->visitors->len;
  double *up = g_new(double, nv ? nv : 1);
  double up_sum = 0;
  for (uint32_t v = 0; v < nv; v++) {
    Visitor *x = vis(g, v);
    up[v] = (double)x->uploaded_bytes;
    up_sum += up[v];
    if (x->agent) add_agent_stats(&as, mesh_agent_stats(x->agent));
  }
  qsort(up, nv, sizeof(double), cmp_double);
  double gini = 0;
  if (nv > 0 && up_sum > 0) {
    double acc = 0;
    for (size_t i = 0; i < nv; i++) acc += (2.0 * (double)(i + 1) - (double)nv - 1.0) * up[i];
    gini = acc / ((double)nv * up_sum);
  }
  model_add_scalar(b, "upload_bytes_mean", nv ? up_sum / (double)nv : 0.0);
  model_add_scalar(b, "upload_bytes_p99", sorted_quantile(up, nv, 0.99));
  model_add_scalar(b, "upload_gini", gini);
  g_free(up);
  model_add_scalar(b, "errors_connect", (double)as.connect_failures);
  model_add_scalar(b, "errors_transfer", (double)as.transfer_failures);
  model_add_scalar(b, "errors_corrupt", (double)as.corrupt);
  model_add_scalar(b, "timeouts_tracker", (double)as.tracker_timeouts);
  model_add_scalar(b, "timeouts_connect", (double)as.connect_timeouts);
  model_add_scalar(b, "timeouts_transfer", (double)as.transfer_timeouts);
  model_add_scalar(b, "bowouts", (double)as.bowouts);
  model_add_scalar(b, "bowout_requests", (double)as.bowout_requests);
  model_add_scalar(b, "uploads_refused", (double)as.uploads_refused);
  model_add_scalar(b, "visitors_forgotten", (double)g->forgotten);
  model_add_scalar(b, "simulated_s", (double)g->horizon * 1e-9);
  /* per country */
  for (uint32_t c = 0; c < world_n_countries(g->world); c++) {
    const char *cc = world_country(g->world, c)->iso2;
    if (!g->c_pages[c] && !g->c_bytes_req[c]) continue;
    model_add_breakdown(b, "country", cc, "requested_bytes", (double)g->c_bytes_req[c]);
    model_add_breakdown(b, "country", cc, "mesh_bytes", (double)g->c_bytes_mesh[c]);
    model_add_breakdown(b, "country", cc, "page_views_completed", (double)g->c_pages[c]);
    if (g->c_pages[c]) {
      model_add_breakdown(b, "country", cc, "page_load_mean_s",
                          g->c_plt_sum[c] / (double)g->c_pages[c]);
      model_add_breakdown(b, "country", cc, "page_load_nomesh_mean_s",
                          g->c_plt_nomesh_sum[c] / (double)g->c_pages[c]);
    }
  }
  model_add_histogram(b, "page_load_s", g->plt);
  model_add_histogram(b, "page_load_nomesh_s", g->plt_nomesh);
  model_add_histogram(b, "page_speedup", g->speedup);
  g->plt = g->plt_nomesh = g->speedup = NULL; /* now owned by the base */
}

/* ---- setup --------------------------------------------------------------- */

static void geo_destroy(void *impl);

static void *geo_create(Model *base, const Config *cfg, GError **error) {
  g_autofree char *footprint = NULL; /* before any goto: cleaned up on every path */
  GeoModel *g = g_new0(GeoModel, 1);
  g->base = base;
  g->horizon = config_duration_ns(cfg, "run", "duration");
  g->sample_every = config_duration_ns(cfg, "output", "series_interval");
  g->seed = (uint64_t)config_int(cfg, "run", "seed");
  g->mesh = config_bool(cfg, "peers", "mesh");
  g->candidates = (uint32_t)config_int(cfg, "selection", "candidates");
  g->max_rtt = config_duration_ns(cfg, "tracker", "max_rtt");
  if (g->candidates > MAX_CAND) g->candidates = MAX_CAND;
  g->n_sites = (uint32_t)config_int(cfg, "traffic", "sites");

  if (strcmp(config_string(cfg, "churn", "model"), "visits") != 0) {
    config_fail(cfg, "churn", "model", error, "world.model = geo needs churn.model = visits");
    goto fail;
  }
  const char *catalogue = config_string(cfg, "traffic", "catalogue");
  if (strcmp(catalogue, "objects") == 0) {
    config_fail(cfg, "traffic", "catalogue", error,
                "world.model = geo needs traffic.catalogue = pages or footprint");
    goto fail;
  }
  g->strategy = model_select_strategy(cfg, error);
  if (!g->strategy) goto fail;
  if (!model_cache_config(cfg, &g->cache_cfg, error)) goto fail;
  g->cap_desktop = (uint64_t)config_size_bytes(cfg, "cache", "capacity");
  g->cap_mobile = (uint64_t)config_size_bytes(cfg, "cache", "capacity_mobile");
  g->edge_cfg.policy = mesh_cache_policy_find(config_string(cfg, "cdn", "edge_policy"));
  if (!g->edge_cfg.policy) {
    config_fail(cfg, "cdn", "edge_policy", error, "unknown policy '%s'",
                config_string(cfg, "cdn", "edge_policy"));
    goto fail;
  }
  g->edge_cfg.unit = MESH_CACHE_BYTES;
  g->edge_cfg.capacity = (uint64_t)config_size_bytes(cfg, "cdn", "edge_capacity");

  transfer_params_init_defaults(&g->tp);
  g->tp.setup_rtts = config_double(cfg, "peers", "channel_setup_rtts");
  g->tp.ice_fail_direct = config_double(cfg, "peers", "ice_fail_direct");
  g->tp.ice_fail_relay = config_double(cfg, "peers", "ice_fail_relay");
  g->tp.turn_extra_rtt_ns = config_duration_ns(cfg, "peers", "turn_extra_rtt");
  g->tp.turn_rate_bps = config_rate_bps(cfg, "peers", "turn_rate");
  g->tp.window_bytes = (double)config_size_bytes(cfg, "peers", "window");
  g->tp.upload_slots = (uint32_t)config_int(cfg, "peers", "upload_slots");
  g->tp.download_slots = (uint32_t)config_int(cfg, "peers", "download_slots");

  mesh_agent_params_default(&g->agent_params);
  g->agent_params.max_attempts = (uint32_t)config_int(cfg, "agent", "max_attempts");
  g->agent_params.tracker_timeout_ns = config_duration_ns(cfg, "agent", "tracker_timeout");
  g->agent_params.connect_timeout_ns = config_duration_ns(cfg, "agent", "connect_timeout");
  g->agent_params.transfer_timeout_ns = config_duration_ns(cfg, "agent", "transfer_timeout");
  g->agent_params.bowout_errors = (uint32_t)config_int(cfg, "agent", "bowout_errors");
  g->agent_params.bowout_ns = config_duration_ns(cfg, "agent", "bowout");
  g->agent_params.bowout_max_ns = config_duration_ns(cfg, "agent", "bowout_max");
  g->agent_params.max_channels = (uint32_t)config_int(cfg, "peers", "max_channels");
  if (g->agent_params.bowout_max_ns < g->agent_params.bowout_ns) {
    config_fail(cfg, "agent", "bowout_max", error, "must be at least agent.bowout");
    goto fail;
  }
  mesh_select_params_default(&g->sel_params);

  g->world = model_load_world(cfg, error);
  if (!g->world) goto fail;
  CdnParams cp;
  cdn_params_init_defaults(&cp);
  cp.edge_rtt_extra_ns = config_duration_ns(cfg, "cdn", "edge_rtt_extra");
  cp.edge_rate_bps = config_rate_bps(cfg, "cdn", "edge_rate");
  cp.origin_iso2 = config_string(cfg, "cdn", "origin");
  cp.origin_rate_bps = config_rate_bps(cfg, "cdn", "origin_rate");
  {
    g_autoptr(GError) local = NULL;
    g->cdn = cdn_new(g->world, &cp, &local);
    if (!g->cdn) {
      config_fail(cfg, "cdn", "origin", error, "%s", local->message);
      goto fail;
    }
  }

  ChurnParams chp;
  churn_params_init_defaults(&chp);
  {
    g_autoptr(GDateTime) start =
        g_date_time_new_from_iso8601(config_string(cfg, "run", "start"), NULL);
    if (!start) {
      config_fail(cfg, "run", "start", error,
                  "'%s' is not an ISO 8601 date and time (e.g. 2024-06-12T00:00:00Z)",
                  config_string(cfg, "run", "start"));
      goto fail;
    }
    chp.start_unix_s = g_date_time_to_unix(start);
  }
  chp.target_concurrent = config_double(cfg, "churn", "concurrent");
  chp.peak_trough_ratio = config_double(cfg, "churn", "peak_trough");
  chp.pages_mean = config_double(cfg, "churn", "pages_per_visit");
  chp.dwell_shape = config_double(cfg, "churn", "dwell_shape");
  chp.dwell_scale_s[CHURN_DESKTOP] = chp.dwell_scale_s[CHURN_MOBILE] =
      (double)config_duration_ns(cfg, "churn", "dwell_scale") * 1e-9;
  chp.mobile_share = config_double(cfg, "churn", "mobile_share");
  chp.mobile_upload_share = config_double(cfg, "churn", "mobile_upload_share");
  chp.upload_factor[CHURN_MOBILE] = config_double(cfg, "churn", "mobile_upload_factor");
  chp.returning_prob = config_double(cfg, "churn", "returning");
  chp.cache_clear_prob = config_double(cfg, "churn", "cache_clear");
  chp.remembered = config_double(cfg, "churn", "remembered") * chp.target_concurrent;
  {
    g_autoptr(GError) local = NULL;
    g->churn = churn_new_for_world(g->world, &chp, g->seed, &local);
    if (!g->churn) {
      config_fail(cfg, "churn", "concurrent", error, "%s", local->message);
      goto fail;
    }
  }

  TrafficParams trp;
  traffic_params_init_defaults(&trp);
  trp.n_sites = g->n_sites;
  trp.n_countries = world_n_countries(g->world);
  trp.pages_per_site = (uint32_t)config_int(cfg, "traffic", "pages");
  trp.zipf_alpha = config_double(cfg, "traffic", "zipf_alpha");
  trp.publish_per_day = config_double(cfg, "traffic", "publish_per_day");
  trp.new_page_rank = config_double(cfg, "traffic", "new_page_rank");
  trp.new_page_decay_ns = config_duration_ns(cfg, "traffic", "new_page_decay");
  if (!config_bool(cfg, "traffic", "updates"))
    for (int k = 0; k < TRAFFIC_N_CLASSES; k++) trp.cls[k].updates_per_day = 0;
  if (strcmp(catalogue, "footprint") == 0) {
    const char *fp = config_string(cfg, "traffic", "footprint");
    if (!*fp) {
      config_fail(cfg, "traffic", "footprint", error,
                  "traffic.catalogue = footprint needs a footprint file");
      goto fail;
    }
    const char *origin = config_origin(cfg, "traffic", "footprint", NULL);
    if (g_path_is_absolute(fp) || !origin || strcmp(origin, "--set") == 0) {
      footprint = g_strdup(fp);
    } else {
      g_autofree char *dir = g_path_get_dirname(origin);
      footprint = g_build_filename(dir, fp, NULL);
    }
    trp.footprint_path = footprint;
    trp.footprint_objects = (uint32_t)config_int(cfg, "traffic", "footprint_objects");
  }
  TrafficFlash flash;
  const char *fc = config_string(cfg, "traffic", "flash_country");
  if (*fc) {
    uint32_t ci;
    if (!world_country_find(g->world, fc, &ci)) {
      config_fail(cfg, "traffic", "flash_country", error,
                  "'%s' is not among the world's countries", fc);
      goto fail;
    }
    flash = (TrafficFlash){.site = 0,
                           .page_rank = (uint32_t)config_int(cfg, "traffic", "flash_page"),
                           .country = ci,
                           .start_ns = config_duration_ns(cfg, "traffic", "flash_start"),
                           .rise_ns = config_duration_ns(cfg, "traffic", "flash_rise"),
                           .decay_ns = config_duration_ns(cfg, "traffic", "flash_decay"),
                           .factor = config_double(cfg, "traffic", "flash_factor")};
    trp.flash = &flash;
    trp.n_flash = 1;
  }
  {
    g_autoptr(GError) local = NULL;
    g->traffic = traffic_new(&trp, g->seed, &local);
    if (!g->traffic) {
      if (g_error_matches(local, TRAFFIC_ERROR, TRAFFIC_ERROR_PARAM))
        config_fail(cfg, "traffic", "catalogue", error, "%s", local->message);
      else
        g_propagate_error(error, g_steal_pointer(&local));
      goto fail;
    }
  }

  g->engine = engine_new();
  g->tracker = mesh_tracker_new(NULL);
  g->rng_traffic = rng_stream_new(g->seed, RNG_TRAFFIC, 100);
  g->rng_place = rng_stream_new(g->seed, RNG_PLACEMENT, 0);
  g->rng_sel = rng_stream_new(g->seed, RNG_SELECTION, 0);
  g->rng_net = rng_stream_new(g->seed, RNG_NETWORK, 0);
  g->sel = rng_mesh_view(g->rng_sel);
  uint32_t nc = world_n_countries(g->world);
  g->net_pick = g_new0(gsl_ran_discrete_t *, nc);
  for (uint32_t c = 0; c < nc; c++) {
    const WorldCountry *wc = world_country(g->world, c);
    double *w = g_new(double, wc->n_networks);
    for (uint32_t k = 0; k < wc->n_networks; k++)
      w[k] = world_network(g->world, wc->first_network + k)->share;
    g->net_pick[c] = gsl_ran_discrete_preproc(wc->n_networks, w);
    g_free(w);
  }
  g->edges = g_new0(MeshCache *, cdn_n_edges(g->cdn));
  for (uint32_t e = 0; e < cdn_n_edges(g->cdn); e++) {
    g->edges[e] = mesh_cache_new(&g->edge_cfg, NULL);
    g_assert_nonnull(g->edges[e]);
  }
  g->ops = (MeshAgentOps){
      .cache_lookup = op_cache_lookup, .cache_insert = op_cache_insert,
      .tracker_query = op_tracker_query, .announce = op_announce, .withdraw = op_withdraw,
      .open_channel = op_open_channel, .close_channel = op_close_channel,
      .start_transfer = op_start_transfer, .cancel_transfer = op_cancel_transfer,
      .cdn_fetch = op_cdn_fetch, .arm_timer = op_arm_timer, .cancel_timer = op_cancel_timer,
      .deliver = op_deliver};
  g->visitors = g_array_new(FALSE, TRUE, sizeof(Visitor));
  g->xfers = g_array_new(FALSE, TRUE, sizeof(Xfer));
  g->xfer_free = UINT32_MAX;
  g->answers = g_array_new(FALSE, TRUE, sizeof(Answer));
  g->answer_free = UINT32_MAX;
  g->plt = histogram_new();
  g->plt_nomesh = histogram_new();
  g->speedup = histogram_new();
  g->c_bytes_req = g_new0(uint64_t, nc);
  g->c_bytes_mesh = g_new0(uint64_t, nc);
  g->c_pages = g_new0(uint64_t, nc);
  g->c_plt_sum = g_new0(double, nc);
  g->c_plt_nomesh_sum = g_new0(double, nc);
  g->origin_bps = g_array_new(FALSE, FALSE, sizeof(double));
  g->pump_list = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  return g;
fail:
  geo_destroy(g);
  return NULL;
}

static void geo_destroy(void *impl) {
  GeoModel *g = impl;
  if (!g) return;
  if (g->visitors) {
    for (uint32_t v = 0; v < g->visitors->len; v++) {
      Visitor *x = vis(g, v);
      if (x->agent) mesh_agent_free(x->agent);
      mesh_cache_free(x->cache);
      g_free(x->ctx);
      g_free(x->req_at);
      g_free(x->cf_cost);
      g_free(x->timers);
    }
    g_array_free(g->visitors, TRUE);
  }
  if (g->xfers) g_array_free(g->xfers, TRUE);
  if (g->answers) g_array_free(g->answers, TRUE);
  if (g->edges) {
    for (uint32_t e = 0; e < cdn_n_edges(g->cdn); e++) mesh_cache_free(g->edges[e]);
    g_free(g->edges);
  }
  if (g->net_pick) {
    for (uint32_t c = 0; c < world_n_countries(g->world); c++)
      if (g->net_pick[c]) gsl_ran_discrete_free(g->net_pick[c]);
    g_free(g->net_pick);
  }
  mesh_tracker_free(g->tracker);
  if (g->engine) engine_free(g->engine);
  if (g->traffic) traffic_free(g->traffic);
  if (g->churn) churn_free(g->churn);
  if (g->cdn) cdn_free(g->cdn);
  if (g->world) world_free(g->world);
  if (g->rng_traffic) gsl_rng_free(g->rng_traffic);
  if (g->rng_place) gsl_rng_free(g->rng_place);
  if (g->rng_sel) gsl_rng_free(g->rng_sel);
  if (g->rng_net) gsl_rng_free(g->rng_net);
  if (g->plt) histogram_free(g->plt);
  if (g->plt_nomesh) histogram_free(g->plt_nomesh);
  if (g->speedup) histogram_free(g->speedup);
  g_free(g->c_bytes_req);
  g_free(g->c_bytes_mesh);
  g_free(g->c_pages);
  g_free(g->c_plt_sum);
  g_free(g->c_plt_nomesh_sum);
  if (g->origin_bps) g_array_free(g->origin_bps, TRUE);
  if (g->pump_list) g_array_free(g->pump_list, TRUE);
  g_free(g);
}

/* ---- the run -------------------------------------------------------------- */

/* Resumable (model.h): the first call schedules the initial events. */
static void geo_run_until(Model *base, void *impl, SimTime stop, ModelProgressFn progress,
                          void *ud) {
  (void)base;
  GeoModel *g = impl;
  TrafficChange *chp = &g->pending_change;
  if (!g->started) {
    g->started = true;
    churn_next_arrival(g->churn, 0, &g->next_arrival);
    schedule(g, g->next_arrival.at_ns, EV_ARRIVAL, 0, 0);
    traffic_next_change(g->traffic, chp);
    if (chp->kind != TRAFFIC_CHANGE_NONE) schedule(g, chp->at_ns, EV_CHANGE, 0, 0);
    schedule(g, g->sample_every, EV_SAMPLE, 0, 0);
  }
  TrafficChange ch = *chp; /* the pending change, kept across calls */

  SimEvent ev;
  uint64_t until_progress = 1;
  while (engine_pop(g->engine, stop, &ev)) {
    SimTime now = ev.at;
    uint32_t kind = ev.kind & KIND_MASK;
    switch ((enum GeoEvent)kind) {
      case EV_ARRIVAL:
        arrival(g, now);
        break;
      case EV_PAGE:
        if (vis(g, ev.a)->online && vis(g, ev.a)->session == ev.b) page_begin(g, ev.a, now);
        break;
      case EV_HTML_DONE: {
        Visitor *x = vis(g, ev.a);
        if (!x->online || x->session != ev.b) break;
        x->html_done_at = now;
        double lat = (double)(now - x->page_start) * 1e-9;
        g->latency_sum_s += lat;
        histogram_add(g->base->latency, lat);
        const uint32_t *objs = traffic_page_objects(g->traffic, x->page, &(uint32_t){0});
        uint64_t size = traffic_object_size(g->traffic, objs[0]);
        g->cdn_fetches++;
        g->pages_html++;
        g->bytes_cdn += size;
        g->bytes_inflight -= size;
        g->iv_cdn += size;
        g->iv_fetched += size;
        x->done = 0;
        x->inflight = 0;
        if (x->n_obj == 1) page_complete(g, ev.a, now);
        else page_pump(g, ev.a, now);
        break;
      }
      case EV_PUMP: /* never scheduled */
        g_assert_not_reached();
        break;
      case EV_DEPART:
        if (vis(g, ev.a)->online && vis(g, ev.a)->session == ev.b) depart(g, ev.a, now);
        break;
      case EV_TIMER: {
        Visitor *x = vis(g, ev.a);
        if (x->online && (x->session & 0xFFFFFFu) == SESSION_OF_KIND(ev.kind) &&
            ev.at == x->timer_next)
          timers_fire(g, ev.a, now);
        break;
      }
      case EV_ANSWER: {
        Answer *a = &g_array_index(g->answers, Answer, ev.a);
        Visitor *x = vis(g, a->v);
        if (x->online && x->session == a->session)
          mesh_agent_on_tracker_answer(x->agent, now, a->handle, a->c, a->n);
        a = &g_array_index(g->answers, Answer, ev.a);
        a->next_free = g->answer_free;
        g->answer_free = ev.a;
        break;
      }
      case EV_CHANNEL: {
        Visitor *x = vis(g, ev.a);
        uint32_t peer = (uint32_t)ev.b;
        bool ok = (ev.b >> 32) & 1;
        if (!x->online || x->session != (uint32_t)(ev.b >> 33)) break;
        if (ok && vis(g, peer)->online) mesh_agent_on_channel_open(x->agent, now, peer);
        else mesh_agent_on_channel_failed(x->agent, now, peer);
        break;
      }
      case EV_XFER_ARRIVE:
        if (g_array_index(g->xfers, Xfer, ev.a).gen == ev.b) xfer_arrive(g, ev.a, now);
        break;
      case EV_XFER_DONE:
        if (g_array_index(g->xfers, Xfer, ev.a).gen == ev.b) xfer_done(g, ev.a, now);
        break;
      case EV_XFER_FAIL:
        if (g_array_index(g->xfers, Xfer, ev.a).gen == ev.b) xfer_fail(g, ev.a, now);
        break;
      case EV_CDN_DONE: {
        Visitor *x = vis(g, ev.a);
        if (!x->online) break;
        if (!g->mesh) {
          if ((uint32_t)(ev.b >> 32) == x->session)
            object_delivered(g, ev.a, (uint32_t)ev.b, MESH_SOURCE_CDN, NO_PEER);
        } else if ((x->session & 0xFFFFFFu) == SESSION_OF_KIND(ev.kind)) {
          mesh_agent_on_cdn_done(x->agent, now, ev.b);
        }
        break;
      }
      case EV_CHANGE:
        traffic_apply_change(g->traffic, &ch);
        traffic_next_change(g->traffic, &ch);
        if (ch.kind != TRAFFIC_CHANGE_NONE) schedule(g, ch.at_ns, EV_CHANGE, 0, 0);
        break;
      case EV_SAMPLE:
        sample(g, now);
        if (now + g->sample_every <= g->horizon)
          schedule(g, now + g->sample_every, EV_SAMPLE, 0, 0);
        break;
    }
    /* deferred pumps: a delivery inside an agent callback asked for more
     * requests of its page; issue them now, outside every callback */
    for (guint i = 0; i < g->pump_list->len; i++) {
      uint32_t v = g_array_index(g->pump_list, uint32_t, i);
      Visitor *x = vis(g, v);
      x->pump_pending = 0;
      if (x->online) page_pump(g, v, now);
    }
    g_array_set_size(g->pump_list, 0);
    if (kind != EV_SAMPLE) g->model_events++;
    if (progress && --until_progress == 0) {
      progress(ud, now, g->horizon, g->model_events);
      until_progress = 1u << 14;
    }
  }
  *chp = ch;
  if (progress) progress(ud, stop, g->horizon, g->model_events);
}

static void geo_finish(Model *base, void *impl) {
  (void)base;
  GeoModel *g = impl;
  engine_advance(g->engine, g->horizon);
  summarise(g);
}


/* ---- warm-up: algorithm switch and metric reset (model.h) ----------------- */

static void geo_switch(void *impl, const ModelAlgo *from, const ModelAlgo *to, SimTime now) {
  GeoModel *g = impl;
  g->candidates = to->candidates > MAX_CAND ? MAX_CAND : to->candidates;
  if (to->strategy != from->strategy) {
    g->strategy = to->strategy;
    for (uint32_t v = 0; v < g->visitors->len; v++) {
      Visitor *x = vis(g, v);
      if (!x->agent) continue;
      MeshStatus st = mesh_agent_set_strategy(x->agent, to->strategy, &g->sel_params);
      g_assert_true(st == MESH_OK);
    }
  }
  if (to->policy != from->policy) {
    g->cache_cfg.policy = to->policy;
    for (uint32_t v = 0; v < g->visitors->len; v++) {
      Visitor *x = vis(g, v);
      if (!x->cache) continue;
      MeshCacheConfig cc = g->cache_cfg; /* as visitor_setup builds it */
      if (cc.unit == MESH_CACHE_BYTES) cc.capacity = x->mobile ? g->cap_mobile : g->cap_desktop;
      cc.on_evict = on_cache_evict;
      cc.on_evict_ud = x->ctx;
      MeshCache *c = model_cache_migrate(x->cache, &cc, now);
      mesh_cache_free(x->cache);
      x->cache = c;
    }
  }
}

static void geo_reset_metrics(void *impl) {
  GeoModel *g = impl;
  g->requests = g->local_hits = g->mesh_fetches = g->cdn_fetches = 0;
  g->bytes_req = g->bytes_local = g->bytes_mesh = g->bytes_cdn = g->bytes_origin = 0;
  memset(g->mesh_tier, 0, sizeof g->mesh_tier);
  g->bytes_inter_network = g->bytes_inter_country = 0;
  g->page_views = g->pages_done = g->visits = g->signaling = 0;
  g->edge_hits = g->edge_misses = 0;
  g->model_events = 0;
  g->latency_sum_s = 0;
  g->peak_online = g->online;
  histogram_reset(g->plt);
  histogram_reset(g->plt_nomesh);
  histogram_reset(g->speedup);
  uint32_t nc = world_n_countries(g->world);
  memset(g->c_bytes_req, 0, nc * sizeof *g->c_bytes_req);
  memset(g->c_bytes_mesh, 0, nc * sizeof *g->c_bytes_mesh);
  memset(g->c_pages, 0, nc * sizeof *g->c_pages);
  memset(g->c_plt_sum, 0, nc * sizeof *g->c_plt_sum);
  memset(g->c_plt_nomesh_sum, 0, nc * sizeof *g->c_plt_nomesh_sum);
  g->iv_origin = g->iv_cdn = g->iv_mesh = g->iv_fetched = 0;
  g_array_set_size(g->origin_bps, 0);
  for (uint32_t v = 0; v < g->visitors->len; v++) {
    Visitor *x = vis(g, v);
    x->uploaded_bytes = 0;
    if (x->agent) mesh_agent_reset_stats(x->agent);
  }
}

const ModelKind model_kind_geo = {
  .name = "geo",
  .create = geo_create,
  .run_until = geo_run_until,
  .finish = geo_finish,
  .destroy = geo_destroy,
  .switch_algo = geo_switch,
  .reset_metrics = geo_reset_metrics,
};
