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
 * visitor), RNG_SELECTION (selection; entity 1: tracker sampling), RNG_NETWORK (ICE).
 */
#include "model/model-private.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdalign.h>
#include <string.h>

#include "core/rng.h"
#include "mesh/agent.h"
#include "model/backend.h"
#include "model/tracker_pipe.h"
#include "mesh/tracker.h"
#include "workload/churn.h"
#include "workload/traffic.h"
#include "world/transfer.h"

enum GeoEvent {
  EV_ARRIVAL = 1,   /* next visitor arrival */
  EV_PAGE,          /* a = visitor, b = session: start a page view */
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
  EV_CONNECT,       /* a = visitor, b = its conn_gen: a signaling connection attempt */
  EV_CONN_DONE,     /* a = visitor, b = conn_gen | ok << 32 */
  EV_DETECT,        /* a = visitor, b = conn_gen: a missed heartbeat; reconnect */
  EV_DC_TICK,       /* the datacenters' queues (every second) */
  EV_ROTATION,      /* a = phase, b = datacenter */
  EV_FAULT,         /* a = fault, b = 0 start | 1 end */
  EV_XFER_CLOSE,    /* a = transfer slot, b = its generation: the server closes it */
};

enum { MAX_DC = 8, NO_DC = 0xFF };
enum { CONN_NONE, CONN_CONNECTING, CONN_UP };
enum { DC_UP, DC_REBUILDING, DC_DEAD };
enum { ROT_DEREG, ROT_REBUILD, ROT_REGISTER };
enum { FAULT_DC_OUTAGE, FAULT_PARTITION, FAULT_CHANNEL_FAIL, FAULT_UPLOAD_CLOSE, FAULT_POISON,
       FAULT_EDGE_OUTAGE, FAULT_N_KINDS };
static const char *const fault_key[FAULT_N_KINDS] = {
    "dc_outage", "partition", "channel_fail", "upload_close", "poison", "edge_outage"};
#define DC_TICK_NS INT64_C(1000000000)

enum { MAX_CAND = 32, NO_PEER = UINT32_MAX, MAX_SLOTS = 64, ANSWER_CHUNK = 256 };
_Static_assert((int)MAX_CAND <= (int)TRACKER_PIPE_MAX_CAND, "an answer holds MAX_CAND holders");

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
  uint32_t online_pos;           /* its place in g->online_ids while online */
  uint32_t pages_left;
  uint32_t slots_used;           /* uploads in progress */
  uint32_t *uploads;             /* [upload_slots] their transfer slots; NULL if it never
                                    uploads (most of a day's visitors are offline: not
                                    inline, 256 bytes each) */
  uint32_t *fetches;             /* transfer slots it is the client of (not free) */
  uint32_t n_fetches, fetches_cap;
  uint8_t online, mobile, uploads_ok;
  uint8_t pump_pending;          /* on g->pump_list */
  uint8_t has_html;              /* the page starts with an HTML object (from the CDN) */
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
  /* signaling session (mesh on) */
  uint8_t conn;                  /* CONN_* */
  uint8_t dc;                    /* its datacenter (session or attempt); NO_DC */
  uint8_t idx;                   /* tracker index holding its entries; NO_DC: none */
  uint8_t dns_mask;              /* datacenters of its cached DNS answer */
  uint8_t failed_mask;           /* datacenters that failed it since its last session */
  uint32_t conn_gen;             /* connect/detect events carry it */
  uint32_t dc_epoch;             /* its datacenter's epoch when connected */
  uint32_t attempts;             /* connection attempts this visit */
  SimTime dns_expire;
  uint16_t reports[MAX_DC];      /* corrupt-data reports against it, per index */
  uint32_t report_epoch[MAX_DC]; /* the index epoch those reports belong to */
} Visitor;

/* A signaling datacenter (see backend.h for its queue and autoscaler). */
typedef struct Dc {
  char name[16];
  uint32_t country;
  BackendDc q;
  uint8_t state;                 /* DC_* */
  uint8_t registered;            /* listed in DNS */
  uint32_t epoch;                /* bumps when its sessions are lost */
  uint32_t clients;              /* sessions open (as the clients believe) */
  uint64_t connects, reconnects;
  uint32_t sec_reconnects;       /* this second */
  double peak_reconnects, peak_msgs, iv_peak_reconnects, iv_msgs, iv_peak_delay_s;
  double messages;
} Dc;

typedef struct Fault {
  int kind;                      /* FAULT_* */
  FaultSpec spec;
  uint32_t target;               /* datacenter, edge, or partition id */
  uint32_t ordinal;              /* 1.. within its kind */
} Fault;

/* A period whose effect on offload and latency is reported. */
typedef struct Window {
  const char *name;              /* interned: "dc_outage_1", "rotation_1" */
  SimTime start, end;
} Window;

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

/* Which objects a CDN edge cache holds at their CURRENT version, as a
 * bitset by object id, so that probing the edge for the no-mesh
 * counterfactual is one access to a few tens of KB instead of a hash-chain
 * walk in a cache of ~10^5 entries. Kept in step by the edge cache's
 * on_evict (evictions, invalidations: the bit clears), by cdn_fetch after
 * each insert of a current version (it sets) and by content updates (the
 * object's bit clears on every edge); checked against the caches at the end. */
typedef struct EdgeMirror {
  GeoModel *g;
  uint64_t *bits;                /* [cap / 64] */
  uint32_t cap;                  /* objects covered, a multiple of 64 */
} EdgeMirror;

typedef struct Answer {
  uint32_t v, session;
  uint64_t handle;
  uint64_t ticket;  /* the query's (tracker_pipe.h); 0: no query, no candidates */
  uint32_t n;
  uint32_t next_free;
  uint8_t idx;      /* the index asked */
  TrackerPipeAnswer raw; /* the index's answer, written by the tracker pipe */
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
  MeshAgentOps ops;
  gsl_ran_discrete_t **net_pick;   /* [country] network by market share */
  gsl_rng *rng_traffic, *rng_place, *rng_sel, *rng_net;
  MeshRng sel;
  MeshCache **edges;               /* [edge] */
  EdgeMirror *edge_mirror;         /* [edge] */
  /* entities */
  GArray *visitors;                /* Visitor */
  GArray *online_ids;              /* uint32 visitors online, in no meaningful order:
                                      for per-sample scans that only sum over them */
  GArray *xfers;                   /* Xfer; free list through next_free */
  uint32_t xfer_free;
  /* Answer slots, in chunks of ANSWER_CHUNK that never move (the tracker
   * pipe's worker may be writing a raw answer while slots are added) */
  GPtrArray *answers;
  uint32_t n_answers, answer_free;   /* slots made; free list */
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
  Histogram *lat_nomesh;           /* object latency in the no-mesh counterfactual, s */
  /* per network */
  uint64_t *n_bytes_req, *n_bytes_mesh, *n_pages;
  /* per country */
  uint64_t *c_bytes_req, *c_bytes_mesh, *c_pages;
  double *c_plt_sum, *c_plt_nomesh_sum;
  /* per interval */
  uint64_t iv_origin, iv_cdn, iv_mesh, iv_fetched;
  GArray *origin_bps;              /* double, one per interval */
  GArray *cdn_bps;                 /* double, one per interval */
  GArray *pump_list;               /* uint32 visitors whose page wants requests issued:
                                      drained after each event, in order, so that no
                                      agent is called from inside its own callback */
  bool started;                    /* initial events scheduled (geo_run_until) */
  TrafficChange pending_change;    /* the next content change, across run_until calls */
  /* signaling backend (mesh on) */
  Dc dc[MAX_DC];
  uint32_t n_dc;
  bool per_dc_index;
  MeshTracker *trackers[MAX_DC];   /* [0] only when shared; changed only through pipe,
                                      read only after tracker_pipe_sync() */
  TrackerPipe *pipe;               /* threaded or not at each run_until (model_threads) */
  gsl_rng *rng_tracker;            /* the trackers' sampling (RNG_SELECTION, entity 1) */
  uint32_t idx_epoch[MAX_DC];
  SimTime *dc_rtt;                 /* [network * n_dc + dc] */
  uint8_t dns_registered;          /* mask of datacenters in DNS */
  SimTime dns_ttl, conn_timeout, heartbeat, reconnect_jitter, scale_every;
  double connect_rtts;
  SimTime rot_pause, rot_rebuild;
  GArray *rot_times;               /* SimTime, sorted */
  bool rotating;
  SimTime rot_start;
  uint32_t rotations;
  gsl_rng *rng_faults;
  /* faults */
  GArray *faults;                  /* Fault */
  GArray *windows;                 /* Window */
  uint8_t *net_part;               /* [network] active partition id + 1, 0 = none */
  uint8_t *net_part_backend;       /* [network] its partition cuts signaling */
  uint32_t n_parts;
  double extra_ice, upload_close_p, poison_share;
  uint32_t poison_reports_ban;
  uint32_t *edge_down;             /* [edge] active outages */
  uint32_t origin_country;
  double tp_origin_rate;           /* bit/s of a direct fetch from the origin */
  double recovery_band;
  /* their counters */
  uint64_t queries_unsignaled, queries_lost, announces_dropped, channels_no_signaling;
  uint64_t poison_reports, poison_bans, uploads_closed, partition_blocked;
  uint64_t edge_fallbacks, origin_direct;
  /* per interval, for the windows */
  double iv_plt_sum, iv_lat_sum;
  uint64_t iv_plt_n, iv_lat_n;
  GArray *iv_offload, *iv_plt, *iv_plt_n_arr, *iv_lat, *iv_lat_n_arr; /* double */
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

/* ---- signaling backend ----------------------------------------------------- */

/* The index datacenter d serves; an index id is also its tracker's entry
 * in g->trackers (0 when shared). */
static inline uint8_t index_of_dc(GeoModel *g, uint32_t d) {
  return g->per_dc_index ? (uint8_t)d : 0;
}

static inline SimTime dc_rtt(GeoModel *g, uint32_t v, uint32_t d) {
  return g->dc_rtt[(size_t)vis(g, v)->network * g->n_dc + d];
}

/* The visitor's own signaling is cut (a partition with `backend`). */
static inline bool backend_cut(GeoModel *g, uint32_t v) {
  return g->net_part_backend[vis(g, v)->network] != 0;
}

/* The visitor believes it has a session and its messages reach a live
 * datacenter. */
static bool session_live(GeoModel *g, uint32_t v) {
  Visitor *x = vis(g, v);
  return x->conn == CONN_UP && g->dc[x->dc].state == DC_UP && x->dc_epoch == g->dc[x->dc].epoch &&
         !backend_cut(g, v);
}

/* n messages from v to its datacenter (which must be live): the time to
 * the datacenter's reply (RTT + queueing). */
static SimTime dc_signal(GeoModel *g, uint32_t v, double n) {
  Dc *d = &g->dc[vis(g, v)->dc];
  backend_dc_add(&d->q, n);
  d->messages += n;
  d->iv_msgs += n;
  return dc_rtt(g, v, vis(g, v)->dc) + backend_dc_delay_ns(&d->q);
}

static bool banned(GeoModel *g, uint32_t v, uint32_t idx) {
  Visitor *x = vis(g, v);
  return x->reports[idx] >= g->poison_reports_ban && x->report_epoch[idx] == g->idx_epoch[idx];
}

static void index_leave(GeoModel *g, uint32_t v) {
  Visitor *x = vis(g, v);
  if (x->idx == NO_DC) return;
  tracker_pipe_leave(g->pipe, x->idx, v);
  x->idx = NO_DC;
}

typedef struct AnnounceCtx {
  GeoModel *g;
  uint32_t v;
} AnnounceCtx;

static void announce_cached(void *ud, uint64_t obj, uint32_t version, uint64_t size) {
  AnnounceCtx *a = ud;
  if (!mesh_agent_params_shares(&a->g->agent_params, size)) return; /* not in the mesh */
  Visitor *x = vis(a->g, a->v);
  tracker_pipe_announce(a->g->pipe, x->idx, a->v, obj, version);
}

static void backend_connect(GeoModel *g, uint32_t v, SimTime now);

static void schedule_connect(GeoModel *g, uint32_t v, SimTime at) {
  Visitor *x = vis(g, v);
  x->conn_gen++;
  schedule(g, at, EV_CONNECT, v, x->conn_gen);
}

/* The client's session is over (it knows): close it on its side. */
static void session_drop(GeoModel *g, uint32_t v) {
  Visitor *x = vis(g, v);
  if (x->conn == CONN_UP) g->dc[x->dc].clients--;
  x->conn = CONN_NONE;
  x->conn_gen++;
}

static void backend_connect(GeoModel *g, uint32_t v, SimTime now) {
  Visitor *x = vis(g, v);
  if (now >= x->dns_expire) {
    x->dns_mask = g->dns_registered;
    x->dns_expire = now + g->dns_ttl;
  }
  uint32_t cand = x->dns_mask & ~x->failed_mask;
  if (!cand) {
    /* every listed datacenter failed it: start over after a while */
    x->failed_mask = 0;
    x->conn = CONN_NONE;
    schedule_connect(g, v, now + g->conn_timeout);
    return;
  }
  uint32_t best = NO_DC;
  for (uint32_t d = 0; d < g->n_dc; d++)
    if (cand >> d & 1 && (best == NO_DC || dc_rtt(g, v, d) < dc_rtt(g, v, best))) best = d;
  Dc *dc = &g->dc[best];
  x->conn = CONN_CONNECTING;
  x->dc = (uint8_t)best;
  x->conn_gen++;
  dc->connects++;
  if (x->attempts++ > 0) {
    dc->reconnects++;
    dc->sec_reconnects++;
  }
  SimTime r = dc_rtt(g, v, best);
  if (backend_cut(g, v) || dc->state == DC_DEAD) {
    schedule(g, now + g->conn_timeout, EV_CONN_DONE, v, x->conn_gen); /* silence */
  } else if (dc->state == DC_REBUILDING) {
    schedule(g, now + r, EV_CONN_DONE, v, x->conn_gen); /* refused */
  } else {
    SimTime t = (SimTime)llround(g->connect_rtts * (double)r) + backend_dc_delay_ns(&dc->q);
    backend_dc_add(&dc->q, 1);
    dc->messages += 1;
    dc->iv_msgs += 1;
    g->signaling++;
    schedule(g, now + t, EV_CONN_DONE, v, x->conn_gen | UINT64_C(1) << 32);
  }
}

static void backend_conn_done(GeoModel *g, uint32_t v, bool ok, SimTime now) {
  Visitor *x = vis(g, v);
  Dc *dc = &g->dc[x->dc];
  if (!ok || dc->state != DC_UP || backend_cut(g, v)) {
    x->failed_mask |= (uint8_t)(1u << x->dc);
    backend_connect(g, v, now);
    return;
  }
  x->conn = CONN_UP;
  x->dc_epoch = dc->epoch;
  x->failed_mask = 0;
  dc->clients++;
  /* join the datacenter's index and announce the cache: two messages */
  index_leave(g, v);
  uint8_t idx = index_of_dc(g, x->dc);
  if (banned(g, v, idx)) return;
  dc_signal(g, v, 2);
  g->signaling += 2;
  x->idx = idx;
  tracker_pipe_join(g->pipe, idx, v, x->network, x->country);
  if (x->uploads_ok) {
    tracker_pipe_reserve(g->pipe, idx, v, (uint32_t)mesh_cache_count(x->cache));
    AnnounceCtx ac = {g, v};
    mesh_cache_foreach(x->cache, announce_cached, &ac);
  }
}

/* Index idx is rebuilt from nothing: its entries and reports are lost. */
static void index_reset(GeoModel *g, uint32_t idx) {
  tracker_pipe_reset(g->pipe, idx);
  g->idx_epoch[idx]++;
  for (uint32_t v = 0; v < g->visitors->len; v++)
    if (vis(g, v)->idx == idx) vis(g, v)->idx = NO_DC;
}

/* Datacenter d closes every session (rebuild): its clients learn at once
 * and reconnect after a jitter; in shared mode it removes their entries. */
static void dc_close_sessions(GeoModel *g, uint32_t d, SimTime now) {
  for (uint32_t v = 0; v < g->visitors->len; v++) {
    Visitor *x = vis(g, v);
    if (!x->online || x->dc != d || x->conn == CONN_NONE) continue;
    session_drop(g, v);
    if (!g->per_dc_index) index_leave(g, v);
    SimTime j = (SimTime)(gsl_rng_uniform(g->rng_faults) * (double)g->reconnect_jitter);
    schedule_connect(g, v, now + j);
  }
}

/* Sessions that just became unreachable (a dead datacenter, a cut
 * backend): their clients notice at their next heartbeat's timeout. */
static void sessions_broke(GeoModel *g, SimTime now) {
  for (uint32_t v = 0; v < g->visitors->len; v++) {
    Visitor *x = vis(g, v);
    if (!x->online || x->conn != CONN_UP || session_live(g, v)) continue;
    SimTime at = now + (SimTime)(gsl_rng_uniform(g->rng_faults) * (double)g->heartbeat) +
                 g->conn_timeout;
    schedule(g, at, EV_DETECT, v, x->conn_gen);
  }
}

static void rotation_step(GeoModel *g, uint32_t phase, uint32_t d, SimTime now) {
  Dc *dc = &g->dc[d];
  switch (phase) {
    case ROT_DEREG:
      if (d == 0) {
        if (g->rotating) return; /* the previous rotation still runs */
        g->rotating = true;
        g->rot_start = now;
      }
      dc->registered = 0;
      g->dns_registered &= (uint8_t)~(1u << d);
      schedule(g, now + g->rot_pause, EV_ROTATION, ROT_REBUILD, d);
      break;
    case ROT_REBUILD:
      dc->state = DC_REBUILDING;
      dc->epoch++;
      dc_close_sessions(g, d, now);
      if (g->per_dc_index) index_reset(g, d);
      backend_dc_reset(&dc->q);
      schedule(g, now + g->rot_rebuild, EV_ROTATION, ROT_REGISTER, d);
      break;
    case ROT_REGISTER:
      if (dc->state == DC_REBUILDING) dc->state = DC_UP;
      dc->registered = 1;
      g->dns_registered |= (uint8_t)(1u << d);
      if (d + 1 < g->n_dc) {
        schedule(g, now, EV_ROTATION, ROT_DEREG, d + 1);
      } else {
        g->rotating = false;
        g->rotations++;
        g_autofree char *name = g_strdup_printf("rotation_%u", g->rotations);
        Window w = {g_string_chunk_insert_const(g->base->strings, name), g->rot_start, now};
        g_array_append_val(g->windows, w);
      }
      break;
    default:
      g_assert_not_reached();
  }
}

static void dc_tick(GeoModel *g, SimTime now) {
  for (uint32_t d = 0; d < g->n_dc; d++) {
    Dc *dc = &g->dc[d];
    if (dc->state == DC_UP) {
      double hb = (double)dc->clients * (double)DC_TICK_NS / (double)g->heartbeat;
      backend_dc_add(&dc->q, hb);
      dc->messages += hb;
      dc->iv_msgs += hb;
      g->signaling += (uint64_t)llround(hb);
    }
    double a = backend_dc_tick(&dc->q, now, DC_TICK_NS);
    if (a > dc->peak_msgs) dc->peak_msgs = a;
    if (dc->sec_reconnects > dc->peak_reconnects) dc->peak_reconnects = dc->sec_reconnects;
    if (dc->sec_reconnects > dc->iv_peak_reconnects) dc->iv_peak_reconnects = dc->sec_reconnects;
    double delay = (double)backend_dc_delay_ns(&dc->q) * 1e-9;
    if (delay > dc->iv_peak_delay_s) dc->iv_peak_delay_s = delay;
    dc->sec_reconnects = 0;
    if (now % g->scale_every == 0) backend_dc_autoscale(&dc->q, now);
  }
}

/* Whether a and b are on different sides of an active partition. */
static inline bool partitioned(GeoModel *g, uint32_t a, uint32_t b) {
  return g->net_part[vis(g, a)->network] != g->net_part[vis(g, b)->network];
}

static bool poisoned(GeoModel *g, uint32_t v) {
  if (g->poison_share <= 0) return false;
  uint64_t z = (uint64_t)v * UINT64_C(0x9e3779b97f4a7c15) ^ g->seed * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 31)) * UINT64_C(0x94d049bb133111eb);
  z ^= z >> 29;
  return (double)(z >> 11) * 0x1.0p-53 < g->poison_share;
}

static void fault_apply(GeoModel *g, uint32_t fi, bool start, SimTime now) {
  Fault *f = &g_array_index(g->faults, Fault, fi);
  double sign = start ? 1 : -1;
  switch (f->kind) {
    case FAULT_DC_OUTAGE: {
      Dc *dc = &g->dc[f->target];
      if (start) {
        dc->state = DC_DEAD;
        dc->epoch++;
        sessions_broke(g, now);
      } else {
        /* back from a crash: empty, at the baseline */
        dc->state = DC_UP;
        if (g->per_dc_index) index_reset(g, f->target);
        backend_dc_reset(&dc->q);
      }
      break;
    }
    case FAULT_PARTITION: {
      uint32_t nn = world_n_networks(g->world);
      bool backend = strcmp(f->spec.flag, "backend") == 0;
      for (uint32_t n = 0; n < nn; n++) {
        bool in = f->spec.scope[0] == 'n' && g_ascii_isdigit(f->spec.scope[1])
                      ? n == f->target
                      : world_network(g->world, n)->country == f->target;
        if (!in) continue;
        g->net_part[n] = start ? (uint8_t)(fi + 1) : 0;
        if (backend) g->net_part_backend[n] = start;
      }
      if (start && backend) sessions_broke(g, now);
      break;
    }
    case FAULT_CHANNEL_FAIL:
      g->extra_ice += sign * f->spec.value;
      break;
    case FAULT_UPLOAD_CLOSE:
      g->upload_close_p += sign * f->spec.value;
      break;
    case FAULT_POISON:
      g->poison_share += sign * f->spec.value;
      if (g->poison_share < 1e-12) g->poison_share = 0;
      break;
    case FAULT_EDGE_OUTAGE:
      if (start) g->edge_down[f->target]++;
      else g->edge_down[f->target]--;
      break;
    default:
      g_assert_not_reached();
  }
}

/* ---- CDN ------------------------------------------------------------------ */

static inline void edge_bit_clear(EdgeMirror *m, uint64_t obj) {
  if (obj < m->cap) m->bits[obj >> 6] &= ~(UINT64_C(1) << (obj & 63));
}

static inline bool edge_bit(const EdgeMirror *m, uint64_t obj) {
  return obj < m->cap && (m->bits[obj >> 6] >> (obj & 63) & 1);
}

static void edge_evicted(void *ud, uint64_t obj, uint32_t version, uint64_t size) {
  (void)version;
  (void)size;
  edge_bit_clear(ud, obj); /* a cache holds one version of an object: none now */
}

/* The edge cached (obj, version): its bit sets if that is the current version. */
static void edge_mirror_inserted(GeoModel *g, EdgeMirror *m, uint64_t obj, uint32_t version) {
  if (version != traffic_object_version(g->traffic, (uint32_t)obj)) return;
  if (obj >= m->cap) {
    uint64_t cap = m->cap ? m->cap : 1024;
    while (cap <= obj) cap *= 2;
    uint64_t n_obj = traffic_n_objects(g->traffic);
    if (cap < n_obj) cap = (n_obj + 63) & ~UINT64_C(63);
    g_assert_true(cap <= UINT32_MAX);
    m->bits = g_renew(uint64_t, m->bits, cap / 64);
    memset(m->bits + m->cap / 64, 0, (size_t)(cap - m->cap) / 8);
    m->cap = (uint32_t)cap;
  }
  m->bits[obj >> 6] |= UINT64_C(1) << (obj & 63);
}

/* Whether the edge holds exactly (obj, version), without touching it. */
static inline bool edge_holds(GeoModel *g, uint32_t edge, uint64_t obj, uint32_t version) {
  if (version == traffic_object_version(g->traffic, (uint32_t)obj))
    return edge_bit(&g->edge_mirror[edge], obj);
  uint32_t have;
  return mesh_cache_contains(g->edges[edge], obj, &have) && have == version;
}

/* The mirrors agree with the edge caches (a failure is a bug). */
typedef struct MirrorCheck {
  const GeoModel *g;
  const EdgeMirror *m;
  size_t current, bad;
} MirrorCheck;

static void mirror_check_one(void *ud, uint64_t obj, uint32_t version, uint64_t size) {
  MirrorCheck *mc = ud;
  (void)size;
  if (version != traffic_object_version(mc->g->traffic, (uint32_t)obj)) return;
  mc->current++;
  if (!edge_bit(mc->m, obj)) mc->bad++;
}

static void check_edge_mirrors(const GeoModel *g) {
  for (uint32_t e = 0; e < cdn_n_edges(g->cdn); e++) {
    const EdgeMirror *m = &g->edge_mirror[e];
    MirrorCheck mc = {g, m, 0, 0};
    mesh_cache_foreach(g->edges[e], mirror_check_one, &mc);
    size_t set = 0;
    for (uint32_t w = 0; w < m->cap / 64; w++) set += (size_t)__builtin_popcountll(m->bits[w]);
    if (mc.bad || set != mc.current)
      g_error("invariant: edge %u mirror out of step with its cache", e);
  }
}

/* Time to fetch an object from the visitor's edge now (the edge cache and
 * the egress counters change only when `commit`). */
static SimTime cdn_fetch(GeoModel *g, uint32_t v, uint64_t obj, uint32_t version, uint64_t size,
                         bool commit) {
  Visitor *x = vis(g, v);
  uint32_t edge = cdn_edge_of(g->cdn, x->network);
  double share = x->down_bps / g->tp.download_slots;
  if (g->edge_down[edge]) {
    /* the next nearest edge that is up, else the origin itself */
    uint32_t best = UINT32_MAX;
    for (uint32_t e = 0; e < cdn_n_edges(g->cdn); e++)
      if (!g->edge_down[e] && (best == UINT32_MAX || cdn_rtt_ns(g->cdn, x->network, e) <
                                                         cdn_rtt_ns(g->cdn, x->network, best)))
        best = e;
    if (best == UINT32_MAX) {
      if (commit) {
        g->origin_direct++;
        g->bytes_origin += size;
        g->iv_origin += size;
      }
      const WorldNetwork *n = world_network(g->world, x->network);
      const WorldCountry *oc = world_country(g->world, g->origin_country);
      double km = world_great_circle_km(n->lat, n->lon, oc->lat, oc->lon);
      SimTime r = (SimTime)llround((n->access_rtt_ms + km * world_ms_per_km(g->world)) * 1e6);
      return transfer_time_ns(size, r, fmin(share, g->tp_origin_rate));
    }
    if (commit) g->edge_fallbacks++;
    edge = best;
  }
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
      if (mesh_cache_insert(ec, obj, version, size, engine_now(g->engine)) == MESH_OK)
        edge_mirror_inserted(g, &g->edge_mirror[edge], obj, version);
    }
  } else {
    hit = edge_holds(g, edge, obj, version);
  }
  return cdn_fetch_ns(g->cdn, x->network, edge, size, share, hit);
}

/* The visitor will fetch obj from its edge when an event pending now fires:
 * start loading the edge cache's index slot (a hint, no effect on results). */
static void cdn_prefetch(GeoModel *g, uint32_t v, uint64_t obj) {
  uint32_t edge = cdn_edge_of(g->cdn, vis(g, v)->network);
  mesh_cache_prefetch(g->edges[edge], obj, false);
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
  Visitor *x = vis(c->g, c->v);
  if (x->agent && x->online) mesh_agent_evicted(x->agent, obj, version, size);
}

static inline Answer *answer_at(GeoModel *g, uint32_t slot) {
  return (Answer *)g_ptr_array_index(g->answers, slot / ANSWER_CHUNK) + slot % ANSWER_CHUNK;
}

static uint32_t answer_alloc(GeoModel *g) {
  uint32_t slot = g->answer_free;
  if (slot != UINT32_MAX) {
    g->answer_free = answer_at(g, slot)->next_free;
    return slot;
  }
  if (g->n_answers % ANSWER_CHUNK == 0) /* an answer's raw part starts a cache line */
    g_ptr_array_add(g->answers, g_aligned_alloc(ANSWER_CHUNK, sizeof(Answer), alignof(Answer)));
  return g->n_answers++;
}

static void op_tracker_query(void *ud, uint64_t handle, uint64_t obj, uint32_t version) {
  AgentCtx *c = ud;
  GeoModel *g = c->g;
  Visitor *x = vis(g, c->v);
  SimTime now = engine_now(g->engine);
  bool live = x->conn == CONN_UP && session_live(g, c->v);
  if (x->conn == CONN_UP && !live) {
    g->queries_lost++; /* into a dead session: the agent's tracker_timeout fires */
    return;
  }
  g->signaling += 2;
  uint32_t slot = answer_alloc(g);
  Answer *a = answer_at(g, slot);
  a->v = c->v;
  a->session = x->session;
  a->handle = handle;
  a->n = 0;
  a->ticket = 0;
  if (!live) {
    /* no session: no candidates, at once (the agent goes to the CDN) */
    g->queries_unsignaled++;
    cdn_prefetch(g, c->v, obj);
    schedule(g, now, EV_ANSWER, slot, 0);
    return;
  }
  /* The index answers from its state now; the answer event reads it (and
   * prices the holders as they are then). */
  a->idx = index_of_dc(g, x->dc);
  a->ticket = tracker_pipe_query(g->pipe, a->idx, obj, version, c->v, x->network, x->country,
                                 g->candidates, &a->raw);
  schedule(g, now + dc_signal(g, c->v, 1), EV_ANSWER, slot, 0);
}

/* The candidates of a written answer as its requester receives them: the
 * holders the index named, but banned ones and those beyond max_rtt. */
static void answer_candidates(GeoModel *g, Answer *a) {
  const TrackerPipeAnswer *raw = &a->raw;
  Visitor *x = vis(g, a->v);
  uint32_t kept = 0;
  for (uint32_t i = 0; i < raw->n; i++) {
    uint32_t peer = raw->peers[i];
    Visitor *s = vis(g, peer);
    if (banned(g, peer, a->idx)) continue;
    SimTime r = rtt(g, x->network, s->network);
    if (g->max_rtt > 0 && r > g->max_rtt) continue; /* tiers come best first */
    a->c[kept++] = (MeshCandidate){
        .peer = peer,
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
  a->n = kept;
}

static void op_announce(void *ud, uint64_t obj, uint32_t version) {
  AgentCtx *c = ud;
  GeoModel *g = c->g;
  Visitor *x = vis(g, c->v);
  if (!x->online || !x->uploads_ok) return; /* a browser that never uploads stays unlisted */
  if (x->idx == NO_DC || !session_live(g, c->v)) {
    g->announces_dropped++; /* announced again after the next connect */
    return;
  }
  g->signaling++;
  dc_signal(g, c->v, 1);
  tracker_pipe_announce(g->pipe, x->idx, c->v, obj, version);
}

/* A withdrawal lost with a dead session would leave a stale entry until the
 * client's next connect (which leaves and rejoins); applied at once here. */
static void op_withdraw(void *ud, uint64_t obj, uint32_t version) {
  AgentCtx *c = ud;
  GeoModel *g = c->g;
  Visitor *x = vis(g, c->v);
  if (x->idx == NO_DC) return;
  g->signaling++;
  if (session_live(g, c->v)) dc_signal(g, c->v, 1);
  tracker_pipe_withdraw(g->pipe, x->idx, c->v, obj, version);
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
  /* offer and answer go through signaling */
  if (x->conn != CONN_UP) {
    g->channels_no_signaling++;
    schedule(g, now, EV_CHANNEL, c->v, tag); /* no session: fails at once */
    return;
  }
  if (!session_live(g, c->v)) {
    g->channels_no_signaling++;
    return; /* the offer is lost: the agent's connect_timeout fires */
  }
  g->signaling += 2;
  SimTime srtt = dc_signal(g, c->v, 2);
  if (!s->online || s->conn != CONN_UP || backend_cut(g, peer) ||
      (g->per_dc_index && s->dc != x->dc)) {
    /* signaling tells that the peer is gone or not reachable through it */
    if (s->online) g->channels_no_signaling++;
    schedule(g, now + srtt, EV_CHANNEL, c->v, tag);
    return;
  }
  if (!session_live(g, peer)) {
    g->channels_no_signaling++; /* relayed into a dead datacenter: timeout */
    return;
  }
  bool fail = gsl_rng_uniform(g->rng_net) <
              transfer_ice_fail_prob(&g->tp, nat_of(g, c->v), nat_of(g, peer));
  if (g->extra_ice > 0 && gsl_rng_uniform(g->rng_faults) < g->extra_ice) fail = true;
  if (partitioned(g, c->v, peer)) {
    g->partition_blocked++;
    fail = true;
  }
  schedule(g, now + transfer_setup_ns(&g->tp, r) + backend_dc_delay_ns(&g->dc[x->dc].q),
           EV_CHANNEL, c->v,
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
  Visitor *c = vis(g, t->client);
  for (uint32_t k = 0; k < c->n_fetches; k++)
    if (c->fetches[k] == i) {
      c->fetches[k] = c->fetches[--c->n_fetches];
      break;
    }
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
  if (x->n_fetches == x->fetches_cap) {
    x->fetches_cap = x->fetches_cap ? 2 * x->fetches_cap : 8;
    x->fetches = g_renew(uint32_t, x->fetches, x->fetches_cap);
  }
  x->fetches[x->n_fetches++] = i;
  SimTime r = rtt(g, x->network, s->network);
  if (transfer_needs_turn(nat_of(g, c->v), nat_of(g, peer))) r += g->tp.turn_extra_rtt_ns;
  *t = (Xfer){.client = c->v, .server = peer, .client_session = x->session,
              .server_session = s->session, .handle = handle, .obj = obj, .version = version,
              .size = traffic_object_size(g->traffic, (uint32_t)obj), .rtt = r,
              .state = XFER_REQUESTED, .gen = t->gen + 1, .next_free = UINT32_MAX};
  if (s->cache) mesh_cache_prefetch(s->cache, obj, false); /* looked up when it arrives */
  schedule(g, engine_now(g->engine) + r / 2, EV_XFER_ARRIVE, i, t->gen);
}

static void op_cancel_transfer(void *ud, uint64_t handle, uint32_t peer) {
  AgentCtx *c = ud;
  GeoModel *g = c->g;
  /* the lowest slot among the visitor's transfers that match (a transfer of
   * an earlier visit, still failing, can carry the same handle) */
  Visitor *x = vis(g, c->v);
  uint32_t i = UINT32_MAX;
  for (uint32_t k = 0; k < x->n_fetches; k++) {
    Xfer *t = &g_array_index(g->xfers, Xfer, x->fetches[k]);
    if (t->handle == handle && t->server == peer && x->fetches[k] < i) i = x->fetches[k];
  }
  if (i != UINT32_MAX) {
    Xfer *t = &g_array_index(g->xfers, Xfer, i);
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
  x->done = 0;
  x->page_start = now;
  g->page_views++;
  const uint32_t *objs = traffic_page_objects(g->traffic, x->page, &n);
  x->has_html = traffic_object_class(g->traffic, objs[0]) == TRAFFIC_HTML;
  if (!x->has_html) {
    /* a page of footprint objects: no HTML phase, every object through
     * the agent (issued after this event, like any pump) */
    x->next_obj = 0;
    x->inflight = 0;
    x->html_done_at = now;
    if (!x->pump_pending) {
      x->pump_pending = 1;
      g_array_append_val(g->pump_list, v);
    }
    return;
  }
  x->next_obj = 1;
  x->inflight = 1;
  /* The HTML: from the CDN, in both worlds. */
  uint64_t size = traffic_object_size(g->traffic, objs[0]);
  uint32_t ver = traffic_object_version(g->traffic, objs[0]);
  SimTime d = cdn_fetch(g, v, objs[0], ver, size, true);
  x->req_at[0] = now;
  x->cf_cost[0] = d;
  g->requests++;
  g->bytes_req += size;
  g->bytes_inflight += size;
  g->c_bytes_req[x->country] += size;
  g->n_bytes_req[x->network] += size;
  schedule(g, now + d, EV_HTML_DONE, v, x->session);
}

/* Issue object requests while download slots are free (not from inside an
 * agent callback: g->pump_list is drained after each event). */
static void page_pump(GeoModel *g, uint32_t v, SimTime now) {
  Visitor *x = vis(g, v);
  const uint32_t *objs = traffic_page_objects(g->traffic, x->page, &(uint32_t){0});
  while (x->online && x->html_done_at >= x->page_start && x->next_obj < x->n_obj &&
         x->inflight < g->tp.download_slots) {
    uint32_t idx = x->next_obj++;
    uint32_t obj = objs[idx];
    /* the page's next objects are looked up next (often within this event,
     * after a local hit): start loading their index slots and entries now */
    if (idx + 2 < x->n_obj) mesh_cache_prefetch(x->cache, objs[idx + 2], false);
    if (idx + 1 < x->n_obj) mesh_cache_prefetch(x->cache, objs[idx + 1], true);
    uint64_t size = traffic_object_size(g->traffic, obj);
    uint32_t ver = traffic_object_version(g->traffic, obj);
    x->inflight++;
    x->req_at[idx] = now;
    g->requests++;
    g->bytes_req += size;
    g->bytes_inflight += size;
    g->c_bytes_req[x->country] += size;
    g->n_bytes_req[x->network] += size;
    /* The browser cache is looked up once, here: the lookup (a hit counts
     * as a use; an older version is invalidated) is the one the page makes,
     * whose answer also prices the counterfactual. */
    bool local = mesh_cache_lookup(x->cache, obj, ver, now);
    /* counterfactual cost: browser cache, else the CDN as it is now */
    x->cf_cost[idx] = local ? 0 : cdn_fetch(g, v, obj, ver, size, false);
    if (!g->mesh) {
      if (local) {
        object_delivered(g, v, idx, MESH_SOURCE_LOCAL, NO_PEER);
      } else {
        SimTime d = cdn_fetch(g, v, obj, ver, size, true);
        mesh_cache_insert(x->cache, obj, ver, size, now);
        schedule(g, now + d, EV_CDN_DONE, v, (uint64_t)x->session << 32 | idx);
      }
      continue;
    }
    MeshStatus st = mesh_agent_request_looked_up(x->agent, now, obj, ver, size,
                                                 digest_of(obj, ver),
                                                 (uint64_t)x->session << 32 | idx, local);
    g_assert_true(st == MESH_OK);
  }
}

/* List-schedule the counterfactual: HTML, then the objects in request
 * order on download_slots lanes. */
static SimTime counterfactual_plt(GeoModel *g, Visitor *x) {
  SimTime lanes[MAX_SLOTS];
  uint32_t k = g->tp.download_slots;
  SimTime html = x->has_html ? x->cf_cost[0] : 0;
  for (uint32_t i = 0; i < k; i++) lanes[i] = html;
  SimTime end = html;
  for (uint32_t o = x->has_html; o < x->n_obj; o++) {
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
  for (uint32_t i = 0; i < x->n_obj; i++)
    histogram_add(g->lat_nomesh, (double)x->cf_cost[i] * 1e-9);
  g->n_pages[x->network]++;
  g->iv_plt_sum += plt;
  g->iv_plt_n++;
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
  g->iv_lat_sum += lat;
  g->iv_lat_n++;
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
      g->n_bytes_mesh[x->network] += size;
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
  if (x->done + x->has_html == x->n_obj) page_complete(g, v, now);
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

/* Entries of an uploading visitor's transfer-slot array (at least one). */
static uint32_t upload_slots_alloc(const GeoModel *g) {
  return g->tp.upload_slots ? g->tp.upload_slots : 1;
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
    if (x->uploads_ok) x->uploads = g_new(uint32_t, upload_slots_alloc(g));
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

static void arrival(GeoModel *g, SimTime now) {
  ChurnArrival a = g->next_arrival;
  visitor_setup(g, a.visitor, &a);
  Visitor *x = vis(g, a.visitor);
  x->online = 1;
  x->online_pos = g->online_ids->len;
  g_array_append_val(g->online_ids, a.visitor);
  x->session++;
  x->n_timers = 0;
  x->timer_next = SIM_TIME_MAX;
  x->pages_left = churn_visit_pages(g->churn, a.visitor);
  g->visits++;
  g->online++;
  if (g->online > g->peak_online) g->peak_online = g->online;
  if (g->mesh) {
    /* a signaling session first: join and announce once connected */
    x->attempts = 0;
    x->failed_mask = 0;
    backend_connect(g, a.visitor, now);
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
  sum->small_requests += s->small_requests;
  sum->uploads_accepted += s->uploads_accepted;
  sum->uploads_refused += s->uploads_refused;
}

static void depart(GeoModel *g, uint32_t v, SimTime now) {
  Visitor *x = vis(g, v);
  x->online = 0;
  /* Its page arrays come back with its next page view (page_begin): kept,
   * a day's 157,000 visitors held 190 MB of them, most never returning.
   * Nothing reads them while it is offline (every event checks online). */
  g_free(x->req_at);
  g_free(x->cf_cost);
  x->req_at = x->cf_cost = NULL;
  x->obj_cap = 0;
  uint32_t last = g_array_index(g->online_ids, uint32_t, g->online_ids->len - 1);
  g_array_index(g->online_ids, uint32_t, x->online_pos) = last;
  vis(g, last)->online_pos = x->online_pos;
  g_array_set_size(g->online_ids, g->online_ids->len - 1);
  /* its cache cannot change while it is offline: checked now, not at every sample */
  if (x->cache && mesh_cache_used(x->cache) > mesh_cache_capacity(x->cache))
    g_error("invariant: visitor %u cache over capacity", v);
  g->online--;
  uint32_t gone = churn_visit_end(g->churn, v);
  if (gone != UINT32_MAX) {       /* it will never return: free its cache */
    Visitor *f = vis(g, gone);
    mesh_cache_free(f->cache);
    f->cache = NULL;
    g->forgotten++;
  }
  /* A remembered visitor's cache waits for its return without an index
   * (remembered caches outnumber the online ones, 39 to one at the end of
   * the default day); nothing below touches it. */
  if (x->cache) mesh_cache_park(x->cache);
  if (!g->mesh) return;
  if (x->conn == CONN_UP && session_live(g, v)) {
    g->signaling++;
    dc_signal(g, v, 1);
  }
  session_drop(g, v);
  index_leave(g, v);
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
  /* its agent's timers went with it (arrival starts a new list) */
  g_free(x->timers);
  x->timers = NULL;
  x->n_timers = x->timers_cap = 0;
  x->timer_next = SIM_TIME_MAX;
}

/* ---- transfers ------------------------------------------------------------ */

static void xfer_arrive(GeoModel *g, uint32_t xi, SimTime now) {
  Xfer *t = &g_array_index(g->xfers, Xfer, xi);
  if (t->state == XFER_CANCELLED) {
    xfer_release(g, xi);
    return;
  }
  Visitor *s = vis(g, t->server), *c = vis(g, t->client);
  if (!s->online || s->session != t->server_session || partitioned(g, t->client, t->server)) {
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
  if (g->upload_close_p > 0 && gsl_rng_uniform(g->rng_faults) < g->upload_close_p) {
    /* the server closes it partway (tab closed, navigation, crash) */
    SimTime at = now + (SimTime)(gsl_rng_uniform(g->rng_faults) * (double)d);
    g->uploads_closed++;
    schedule(g, at, EV_XFER_CLOSE, xi, t->gen);
    return;
  }
  schedule(g, now + d + t->rtt / 2, EV_XFER_DONE, xi, t->gen);
}

/* EV_XFER_CLOSE, or a partition that cuts an active transfer: the server's
 * slot is free, the requester learns GONE half an RTT later. */
static void xfer_break(GeoModel *g, uint32_t xi, SimTime now) {
  Xfer *t = &g_array_index(g->xfers, Xfer, xi);
  if (t->state != XFER_ACTIVE) {
    if (t->state == XFER_CANCELLED) xfer_release(g, xi);
    return;
  }
  Visitor *s = vis(g, t->server);
  server_drop(g, t->server, xi);
  if (s->online && s->session == t->server_session) mesh_agent_on_upload_done(s->agent, now);
  t->state = XFER_FAILING;
  t->why = MESH_XFER_GONE;
  schedule(g, now + t->rtt / 2, EV_XFER_FAIL, xi, t->gen);
}

static void xfer_done(GeoModel *g, uint32_t xi, SimTime now) {
  Xfer *t = &g_array_index(g->xfers, Xfer, xi);
  if (t->state != XFER_ACTIVE) {   /* cancelled or failing: released elsewhere */
    if (t->state == XFER_CANCELLED) xfer_release(g, xi);
    return;
  }
  if (partitioned(g, t->client, t->server)) {
    g->partition_blocked++;
    xfer_break(g, xi, now);
    return;
  }
  Visitor *s = vis(g, t->server), *c = vis(g, t->client);
  server_drop(g, t->server, xi);
  mesh_agent_on_upload_done(s->agent, now);
  uint64_t handle = t->handle;
  uint64_t dig = digest_of(t->obj, t->version);
  bool bad = poisoned(g, t->server);
  if (bad) dig ^= 1; /* corrupt bytes: the digest cannot match */
  bool deliver = c->online && c->session == t->client_session;
  uint32_t client = t->client, server = t->server;
  xfer_release(g, xi);
  if (!deliver) return;
  MeshAgent *ca = vis(g, client)->agent;
  uint64_t corrupt_before = mesh_agent_stats(ca)->corrupt;
  mesh_agent_on_transfer_done(ca, now, handle, dig);
  if (mesh_agent_stats(ca)->corrupt > corrupt_before && session_live(g, client)) {
    /* the requester reports the peer to its tracker */
    Visitor *cx = vis(g, client), *sx = vis(g, server);
    uint32_t idx = index_of_dc(g, cx->dc);
    dc_signal(g, client, 1);
    g->signaling++;
    g->poison_reports++;
    if (sx->report_epoch[idx] != g->idx_epoch[idx]) {
      sx->report_epoch[idx] = g->idx_epoch[idx];
      sx->reports[idx] = 0;
    }
    if (sx->reports[idx] < UINT16_MAX) sx->reports[idx]++;
    if (sx->reports[idx] == g->poison_reports_ban) {
      g->poison_bans++;
      if (sx->idx == idx) index_leave(g, server);
    }
  }
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

/* (transfer none) "metric_DCNAME", interned in the model. */
static const char *dc_series(GeoModel *g, uint32_t d, const char *metric) {
  g_autofree char *s = g_strdup_printf("%s_%s", metric, g->dc[d].name);
  return g_string_chunk_insert_const(g->base->strings, s);
}

/* (transfer none) "prefix_metric", interned in the model. */
static const char *dc_series_str(GeoModel *g, const char *prefix, const char *metric) {
  g_autofree char *s = g_strdup_printf("%s_%s", prefix, metric);
  return g_string_chunk_insert_const(g->base->strings, s);
}

static inline double config_band(GeoModel *g) {
  return g->recovery_band;
}

/* Invariants (1) and the caches' capacity, checked at every sample and at
 * the end: every request is served (local, mesh, CDN) or in flight, by
 * requests and by bytes. A failure is a bug. At a sample only the visitors
 * online are looked at (the caches of the others were checked when they
 * left and cannot change; a day holds 10^5-10^6 visitors, most offline);
 * at the end, every visitor. */
static void check_invariants(const GeoModel *g, bool all) {
  uint64_t in_flight = 0;
  uint32_t n = all ? g->visitors->len : g->online_ids->len, online = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t v = all ? i : g_array_index(g->online_ids, uint32_t, i);
    const Visitor *x = &g_array_index(g->visitors, Visitor, v);
    if (x->online) {
      in_flight += x->inflight;
      online++;
    } else if (!all) {
      g_error("invariant: visitor %u listed online", v);
    }
    if (x->cache && mesh_cache_used(x->cache) > mesh_cache_capacity(x->cache))
      g_error("invariant: visitor %u cache over capacity", v);
  }
  if (online != g->online_ids->len || online != g->online)
    g_error("invariant: %u visitors online, %u listed", online, g->online_ids->len);
  if (g->requests != g->local_hits + g->mesh_fetches + g->cdn_fetches + in_flight)
    g_error("invariant: requests %" G_GUINT64_FORMAT " != served + in flight", g->requests);
  if (g->bytes_req != g->bytes_local + g->bytes_mesh + g->bytes_cdn + g->bytes_inflight)
    g_error("invariant: requested bytes != served + in flight");
}

static void sample(GeoModel *g, SimTime now) {
  check_invariants(g, false);
  double secs = (double)g->sample_every * 1e-9;
  model_add_sample(g->base, "online_peers", now, g->online);
  double obps = (double)g->iv_origin * 8.0 / secs;
  model_add_sample(g->base, "origin_egress_bps", now, obps);
  model_add_sample(g->base, "cdn_egress_bps", now, (double)g->iv_cdn * 8.0 / secs);
  model_add_sample(g->base, "mesh_bps", now, (double)g->iv_mesh * 8.0 / secs);
  model_add_sample(g->base, "offload", now,
                   g->iv_fetched ? (double)g->iv_mesh / (double)g->iv_fetched : 0.0);
  size_t holding = 0, channels = 0;
  for (uint32_t i = 0; i < g->online_ids->len; i++) {
    Visitor *x = vis(g, g_array_index(g->online_ids, uint32_t, i));
    if (x->cache && mesh_cache_count(x->cache) > 0) holding++;
    if (x->agent) channels += mesh_agent_channels(x->agent);
  }
  model_add_sample(g->base, "peers_holding_content", now, (double)holding);
  model_add_sample(g->base, "open_channels", now, (double)channels);
  g_array_append_val(g->origin_bps, obps);
  double cbps = (double)g->iv_cdn * 8.0 / secs;
  g_array_append_val(g->cdn_bps, cbps);
  double off = g->iv_fetched ? (double)g->iv_mesh / (double)g->iv_fetched : 0.0;
  double pn = (double)g->iv_plt_n, ln = (double)g->iv_lat_n;
  g_array_append_val(g->iv_offload, off);
  g_array_append_val(g->iv_plt, g->iv_plt_sum);
  g_array_append_val(g->iv_plt_n_arr, pn);
  g_array_append_val(g->iv_lat, g->iv_lat_sum);
  g_array_append_val(g->iv_lat_n_arr, ln);
  model_add_sample(g->base, "page_load_mean_s", now, pn > 0 ? g->iv_plt_sum / pn : 0.0);
  model_add_sample(g->base, "object_latency_mean_s", now, ln > 0 ? g->iv_lat_sum / ln : 0.0);
  g->iv_origin = g->iv_cdn = g->iv_mesh = g->iv_fetched = 0;
  g->iv_plt_sum = g->iv_lat_sum = 0;
  g->iv_plt_n = g->iv_lat_n = 0;
  if (!g->mesh) return;
  for (uint32_t d = 0; d < g->n_dc; d++) {
    Dc *dc = &g->dc[d];
    model_add_sample(g->base, dc_series(g, d, "signaling_msgs_per_s"), now, dc->iv_msgs / secs);
    model_add_sample(g->base, dc_series(g, d, "instances"), now, dc->q.instances);
    model_add_sample(g->base, dc_series(g, d, "clients"), now, dc->clients);
    model_add_sample(g->base, dc_series(g, d, "reconnects_peak_per_s"), now,
                     dc->iv_peak_reconnects);
    model_add_sample(g->base, dc_series(g, d, "queue_delay_peak_s"), now, dc->iv_peak_delay_s);
    dc->iv_msgs = dc->iv_peak_reconnects = dc->iv_peak_delay_s = 0;
  }
}

/* Offload dip and recovery, extra page load and object latency of a
 * window (see README, Faults and the signaling backend). Intervals k cover
 * (k x every, (k + 1) x every]. */
static void window_metrics(GeoModel *g, const Window *w) {
  SimTime every = g->sample_every;
  uint32_t n = g->iv_offload->len;
  const double *off = (const double *)(void *)g->iv_offload->data;
  const double *ps = (const double *)(void *)g->iv_plt->data;
  const double *pn = (const double *)(void *)g->iv_plt_n_arr->data;
  const double *ls = (const double *)(void *)g->iv_lat->data;
  const double *ln = (const double *)(void *)g->iv_lat_n_arr->data;
  SimTime hour = INT64_C(3600000000000);
  double base = 0, bps = 0, bpn = 0, bls = 0, bln = 0, wps = 0, wpn = 0, wls = 0, wln = 0;
  uint32_t nb = 0;
  for (uint32_t k = 0; k < n; k++) {
    SimTime s0 = (SimTime)k * every, s1 = s0 + every;
    if (s0 >= w->start - hour && s1 <= w->start) {
      base += off[k];
      nb++;
      bps += ps[k], bpn += pn[k], bls += ls[k], bln += ln[k];
    }
    if (s1 > w->start && s0 < w->end) wps += ps[k], wpn += pn[k], wls += ls[k], wln += ln[k];
  }
  base = nb ? base / nb : 0;
  double band = config_band(g);
  double lo = base, rec = -1;
  for (uint32_t k = 0; k < n; k++) {
    SimTime s0 = (SimTime)k * every, s1 = s0 + every;
    if (s1 <= w->start) continue;
    if (off[k] < lo) lo = off[k];
    if (s1 >= w->end && off[k] >= base * (1 - band)) {
      rec = (double)(s1 - w->end) * 1e-9;
      break;
    }
  }
  Model *b = g->base;
  model_add_scalar(b, dc_series_str(g, w->name, "offload_baseline"), base);
  model_add_scalar(b, dc_series_str(g, w->name, "offload_dip"), base - lo);
  model_add_scalar(b, dc_series_str(g, w->name, "recovery_s"), rec);
  model_add_scalar(b, dc_series_str(g, w->name, "page_load_extra_s"),
                   (wpn ? wps / wpn : 0) - (bpn ? bps / bpn : 0));
  model_add_scalar(b, dc_series_str(g, w->name, "latency_extra_s"),
                   (wln ? wls / wln : 0) - (bln ? bls / bln : 0));
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

/* Memory at the end of the run, by part, as the reference model reports
 * it (README, Performance). Cached-object metadata is the entries of the
 * browser caches (count x sizeof(MeshCacheEntry)). Everything else a
 * visitor costs is counted per visitor ONLINE at the end: every visitor
 * record of the day (the table keeps them all; remembered visitors keep
 * their caches) with its page, timer and transfer-slot arrays; its agent
 * (requests, peer memory, selector and data-channel table: the open
 * channels, also reported alone); the browser caches' indexes and unused
 * slots; the trackers; the transfers and tracker answers in flight; and
 * the pending events (engine_memory_bytes). The CDN edge caches
 * are the CDN's and reported apart. */
static void summarise_memory(GeoModel *g) {
  size_t state = (size_t)g->visitors->len * sizeof(Visitor), agents = 0, channels = 0;
  size_t index = 0, objects = 0;
  for (uint32_t v = 0; v < g->visitors->len; v++) {
    const Visitor *x = vis(g, v);
    state += (size_t)x->obj_cap * 2 * sizeof(SimTime) + (size_t)x->timers_cap * sizeof *x->timers +
             (size_t)x->fetches_cap * sizeof *x->fetches + (x->ctx ? sizeof *x->ctx : 0);
    if (x->uploads) state += upload_slots_alloc(g) * sizeof *x->uploads;
    if (x->agent) {
      size_t ch = 0;
      agents += mesh_agent_memory_bytes(x->agent, &ch);
      channels += ch;
    }
    if (x->cache) {
      size_t o = mesh_cache_count(x->cache) * sizeof(MeshCacheEntry);
      objects += o;
      index += mesh_cache_memory(x->cache) - o;
    }
  }
  size_t tracker = 0;
  for (uint32_t i = 0; i < MAX_DC; i++)
    if (g->trackers[i]) tracker += mesh_tracker_memory_bytes(g->trackers[i]);
  size_t transfers =
      (size_t)g->xfers->len * sizeof(Xfer) + (size_t)g->n_answers * sizeof(Answer);
  size_t events = engine_memory_bytes(g->engine), cdn = 0;
  for (uint32_t e = 0; e < cdn_n_edges(g->cdn); e++) cdn += mesh_cache_memory(g->edges[e]);
  Model *b = g->base;
  model_add_scalar(b, "memory_visitor_state_bytes", (double)state);
  model_add_scalar(b, "memory_agents_bytes", (double)agents);
  model_add_scalar(b, "memory_channels_bytes", (double)channels);
  model_add_scalar(b, "memory_cache_index_bytes", (double)index);
  model_add_scalar(b, "memory_cache_objects_bytes", (double)objects);
  model_add_scalar(b, "memory_tracker_bytes", (double)tracker);
  model_add_scalar(b, "memory_transfers_bytes", (double)transfers);
  model_add_scalar(b, "memory_events_bytes", (double)events);
  model_add_scalar(b, "memory_cdn_bytes", (double)cdn);
  double per = (double)(state + agents + index + tracker + transfers + events);
  model_add_scalar(b, "memory_per_online_peer_bytes", g->online ? per / g->online : 0.0);
}

static void summarise(GeoModel *g) {
  tracker_pipe_sync(g->pipe); /* the trackers are read below */
  check_invariants(g, true);
  check_edge_mirrors(g);
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
  model_add_scalar(b, "latency_nomesh_mean_s", histogram_mean(g->lat_nomesh));
  model_add_scalar(b, "latency_nomesh_p50_s", histogram_quantile(g->lat_nomesh, 0.50));
  model_add_scalar(b, "latency_nomesh_p95_s", histogram_quantile(g->lat_nomesh, 0.95));
  model_add_scalar(b, "latency_nomesh_p99_s", histogram_quantile(g->lat_nomesh, 0.99));
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
  n = g->cdn_bps->len;
  o = g_memdup2(g->cdn_bps->data, n * sizeof(double));
  qsort(o, n, sizeof(double), cmp_double);
  model_add_scalar(b, "cdn_egress_p95_bps", sorted_quantile(o, n, 0.95));
  model_add_scalar(b, "cdn_egress_peak_bps", n ? o[n - 1] : 0.0);
  g_free(o);
  model_add_scalar(b, "mesh_same_network", (double)g->mesh_tier[MESH_TIER_SAME_NETWORK]);
  model_add_scalar(b, "mesh_same_country", (double)g->mesh_tier[MESH_TIER_SAME_COUNTRY]);
  model_add_scalar(b, "mesh_other", (double)g->mesh_tier[MESH_TIER_OTHER]);
  model_add_scalar(b, "inter_network_bytes", (double)g->bytes_inter_network);
  model_add_scalar(b, "inter_country_bytes", (double)g->bytes_inter_country);
  model_add_scalar(b, "signaling_messages", (double)g->signaling);
  size_t holdings = 0; /* objects the trackers list at the end, one per holder */
  for (uint32_t i = 0; i < MAX_DC; i++)
    if (g->trackers[i]) holdings += mesh_tracker_holdings(g->trackers[i]);
  model_add_scalar(b, "tracker_holdings", (double)holdings);
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
  model_add_scalar(b, "small_requests", (double)as.small_requests);
  model_add_scalar(b, "uploads_refused", (double)as.uploads_refused);
  model_add_scalar(b, "visitors_forgotten", (double)g->forgotten);
  summarise_memory(g);
  /* what users must not see: page views that neither completed nor are
   * still loading (every object comes from the mesh, the CDN or the origin:
   * with no outage of both CDN and origin none can fail, so a non-zero
   * count is a lost page view) */
  uint64_t loading = 0;
  for (uint32_t v = 0; v < g->visitors->len; v++) {
    Visitor *x = vis(g, v);
    if (x->online && x->n_obj > 0 && (x->html_done_at < x->page_start || x->done + x->has_html < x->n_obj))
      loading++;
  }
  model_add_scalar(b, "page_views_loading_at_end", (double)loading);
  model_add_scalar(b, "failed_page_views", (double)(g->page_views - g->pages_done - loading));
  model_add_scalar(b, "edge_fallbacks", (double)g->edge_fallbacks);
  model_add_scalar(b, "origin_direct_fetches", (double)g->origin_direct);
  if (g->mesh) {
    uint64_t connects = 0, reconnects = 0;
    for (uint32_t d = 0; d < g->n_dc; d++) {
      Dc *dc = &g->dc[d];
      connects += dc->connects;
      reconnects += dc->reconnects;
      model_add_scalar(b, dc_series(g, d, "signaling_connects"), (double)dc->connects);
      model_add_scalar(b, dc_series(g, d, "signaling_reconnects"), (double)dc->reconnects);
      model_add_scalar(b, dc_series(g, d, "reconnects_peak_per_s"), dc->peak_reconnects);
      model_add_scalar(b, dc_series(g, d, "signaling_peak_msgs_per_s"), dc->peak_msgs);
      model_add_scalar(b, dc_series(g, d, "signaling_msgs"), dc->messages);
      model_add_scalar(b, dc_series(g, d, "instances_peak"), dc->q.peak_instances);
    }
    model_add_scalar(b, "signaling_connects", (double)connects);
    model_add_scalar(b, "signaling_reconnects", (double)reconnects);
    model_add_scalar(b, "queries_unsignaled", (double)g->queries_unsignaled);
    model_add_scalar(b, "queries_lost", (double)g->queries_lost);
    model_add_scalar(b, "announces_dropped", (double)g->announces_dropped);
    model_add_scalar(b, "channels_no_signaling", (double)g->channels_no_signaling);
    model_add_scalar(b, "poison_reports", (double)g->poison_reports);
    model_add_scalar(b, "poison_bans", (double)g->poison_bans);
    model_add_scalar(b, "uploads_closed", (double)g->uploads_closed);
    model_add_scalar(b, "partition_blocked", (double)g->partition_blocked);
    model_add_scalar(b, "rotations", (double)g->rotations);
  }
  for (uint32_t i = 0; i < g->windows->len; i++)
    window_metrics(g, &g_array_index(g->windows, Window, i));
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
  /* per network: "CC-rank" (rank 1 = the country's largest network) */
  for (uint32_t net = 0; net < world_n_networks(g->world); net++) {
    if (!g->n_pages[net] && !g->n_bytes_req[net]) continue;
    const WorldNetwork *wn = world_network(g->world, net);
    char key[16];
    g_snprintf(key, sizeof key, "%s-%u", world_country(g->world, wn->country)->iso2, wn->rank);
    model_add_breakdown(b, "network", key, "requested_bytes", (double)g->n_bytes_req[net]);
    model_add_breakdown(b, "network", key, "mesh_bytes", (double)g->n_bytes_mesh[net]);
    model_add_breakdown(b, "network", key, "page_views_completed", (double)g->n_pages[net]);
  }
  model_add_histogram(b, "page_load_s", g->plt);
  model_add_histogram(b, "page_load_nomesh_s", g->plt_nomesh);
  model_add_histogram(b, "page_speedup", g->speedup);
  model_add_histogram(b, "latency_nomesh_s", g->lat_nomesh);
  g->plt = g->plt_nomesh = g->speedup = g->lat_nomesh = NULL; /* now owned by the base */
}

/* ---- setup --------------------------------------------------------------- */

static gboolean backend_setup(GeoModel *g, const Config *cfg, int64_t start_unix_s,
                              GError **error) {
  /* datacenters */
  g_auto(GStrv) pairs = g_strsplit_set(config_string(cfg, "tracker", "datacenters"), " \t", -1);
  BackendScaling sc = {
      .instance_capacity = config_double(cfg, "tracker", "instance_capacity"),
      .instances = (uint32_t)config_int(cfg, "tracker", "instances"),
      .min_instances = (uint32_t)config_int(cfg, "tracker", "min_instances"),
      .max_instances = (uint32_t)config_int(cfg, "tracker", "max_instances"),
      .scale_up_delay_ns = config_duration_ns(cfg, "tracker", "scale_up_delay"),
      .scale_every_ns = config_duration_ns(cfg, "tracker", "scale_every"),
      .scale_up = config_double(cfg, "tracker", "scale_up_at"),
      .scale_down = config_double(cfg, "tracker", "scale_down_at")};
  if (sc.min_instances > sc.instances || sc.instances > sc.max_instances)
    return config_fail(cfg, "tracker", "instances", error,
                       "needs min_instances <= instances <= max_instances");
  if (sc.scale_down >= sc.scale_up)
    return config_fail(cfg, "tracker", "scale_down_at", error, "must be below scale_up_at");
  if (sc.scale_every_ns % DC_TICK_NS != 0)
    return config_fail(cfg, "tracker", "scale_every", error, "must be whole seconds");
  for (guint i = 0; pairs[i]; i++) {
    if (!*pairs[i]) continue;
    const char *colon = strchr(pairs[i], ':');
    if (!colon || colon == pairs[i] || (size_t)(colon - pairs[i]) >= sizeof g->dc[0].name)
      return config_fail(cfg, "tracker", "datacenters", error,
                         "'%s' is not NAME:COUNTRY (a name of 1-15 characters)", pairs[i]);
    if (g->n_dc == MAX_DC)
      return config_fail(cfg, "tracker", "datacenters", error, "at most %d datacenters", MAX_DC);
    Dc *dc = &g->dc[g->n_dc];
    memcpy(dc->name, pairs[i], (size_t)(colon - pairs[i]));
    for (uint32_t k = 0; k < g->n_dc; k++)
      if (strcmp(g->dc[k].name, dc->name) == 0)
        return config_fail(cfg, "tracker", "datacenters", error, "datacenter '%s' twice",
                           dc->name);
    if (!world_country_find(g->world, colon + 1, &dc->country)) {
      /* The default sites (US, DE, SG) may lie outside a small world: then
       * the datacenter sits in the world's most-used countries instead.
       * A site the scenario names must exist. */
      if (config_is_set(cfg, "tracker", "datacenters"))
        return config_fail(cfg, "tracker", "datacenters", error,
                           "'%s': country '%s' is not among the world's countries", pairs[i],
                           colon + 1);
      dc->country = g->n_dc % world_n_countries(g->world);
    }
    backend_dc_init(&dc->q, &sc);
    dc->registered = 1;
    g->dns_registered |= (uint8_t)(1u << g->n_dc);
    g->n_dc++;
  }
  if (g->n_dc == 0)
    return config_fail(cfg, "tracker", "datacenters", error, "needs at least one datacenter");
  g->per_dc_index = strcmp(config_string(cfg, "tracker", "index"), "per-datacenter") == 0;
  for (uint32_t i = 0; i < (g->per_dc_index ? g->n_dc : 1); i++)
    g->trackers[i] = mesh_tracker_new(NULL);
  g->dns_ttl = config_duration_ns(cfg, "tracker", "dns_ttl");
  g->connect_rtts = config_double(cfg, "tracker", "connect_rtts");
  g->conn_timeout = config_duration_ns(cfg, "tracker", "connect_timeout");
  g->heartbeat = config_duration_ns(cfg, "tracker", "heartbeat");
  g->reconnect_jitter = config_duration_ns(cfg, "tracker", "reconnect_jitter");
  g->scale_every = sc.scale_every_ns;
  g->rot_pause = config_duration_ns(cfg, "tracker", "rotation_pause");
  g->rot_rebuild = config_duration_ns(cfg, "tracker", "rotation_rebuild");
  /* RTT from every network to every datacenter, as to a CDN edge */
  uint32_t nn = world_n_networks(g->world);
  g->dc_rtt = g_new(SimTime, (size_t)nn * g->n_dc);
  for (uint32_t n = 0; n < nn; n++) {
    const WorldNetwork *wn = world_network(g->world, n);
    for (uint32_t d = 0; d < g->n_dc; d++) {
      const WorldCountry *dc = world_country(g->world, g->dc[d].country);
      double km = wn->country == g->dc[d].country
                      ? world_country(g->world, wn->country)->intra_km / 2
                      : world_great_circle_km(wn->lat, wn->lon, dc->lat, dc->lon);
      g->dc_rtt[(size_t)n * g->n_dc + d] =
          (SimTime)llround((wn->access_rtt_ms + km * world_ms_per_km(g->world)) * 1e6);
    }
  }
  /* rotation schedule */
  const char *rot = config_string(cfg, "tracker", "rotation");
  if (strcmp(rot, "daily") == 0) {
    int64_t at_s;
    if (!backend_parse_time_of_day(config_string(cfg, "tracker", "rotation_at"), &at_s))
      return config_fail(cfg, "tracker", "rotation_at", error, "'%s' is not HH:MM",
                         config_string(cfg, "tracker", "rotation_at"));
    int64_t first = ((at_s - start_unix_s % 86400) % 86400 + 86400) % 86400;
    for (int64_t t = first; t * INT64_C(1000000000) < g->horizon; t += 86400) {
      SimTime ns = t * INT64_C(1000000000);
      g_array_append_val(g->rot_times, ns);
    }
  } else if (strcmp(rot, "times") == 0) {
    g_auto(GStrv) w = g_strsplit_set(config_string(cfg, "tracker", "rotation_times"), " \t", -1);
    for (guint i = 0; w[i]; i++) {
      if (!*w[i]) continue;
      int64_t ns;
      const char *why;
      if (!config_parse_duration(w[i], &ns, &why))
        return config_fail(cfg, "tracker", "rotation_times", error, "'%s': %s", w[i], why);
      if (g->rot_times->len && ns <= g_array_index(g->rot_times, SimTime, g->rot_times->len - 1))
        return config_fail(cfg, "tracker", "rotation_times", error, "times must increase");
      g_array_append_val(g->rot_times, ns);
    }
    if (g->rot_times->len == 0)
      return config_fail(cfg, "tracker", "rotation_times", error,
                         "rotation = times needs at least one time");
  }
  /* faults */
  g->poison_reports_ban = (uint32_t)config_int(cfg, "faults", "poison_reports");
  for (int k = 0; k < FAULT_N_KINDS; k++) {
    g_autoptr(GArray) specs = g_array_new(FALSE, FALSE, sizeof(FaultSpec));
    char why[160];
    if (!fault_specs_parse(config_string(cfg, "faults", fault_key[k]), specs, why, sizeof why))
      return config_fail(cfg, "faults", fault_key[k], error, "%s", why);
    for (guint i = 0; i < specs->len; i++) {
      Fault f = {.kind = k, .spec = g_array_index(specs, FaultSpec, i), .ordinal = i + 1};
      const char *sc_ = f.spec.scope;
      bool prob = k == FAULT_CHANNEL_FAIL || k == FAULT_UPLOAD_CLOSE || k == FAULT_POISON;
      if (prob && !(f.spec.value >= 0 && f.spec.value <= 1))
        return config_fail(cfg, "faults", fault_key[k], error,
                           "fault %u: '%s' is not a probability in [0, 1]", i + 1, sc_);
      if (*f.spec.flag && !(k == FAULT_PARTITION && strcmp(f.spec.flag, "backend") == 0))
        return config_fail(cfg, "faults", fault_key[k], error, "fault %u: unknown flag '%s'",
                           i + 1, f.spec.flag);
      if (k == FAULT_DC_OUTAGE) {
        f.target = UINT32_MAX;
        for (uint32_t d = 0; d < g->n_dc; d++)
          if (strcmp(g->dc[d].name, sc_) == 0) f.target = d;
        if (f.target == UINT32_MAX)
          return config_fail(cfg, "faults", fault_key[k], error,
                             "fault %u: '%s' is not a datacenter of tracker.datacenters", i + 1,
                             sc_);
      } else if (k == FAULT_PARTITION && sc_[0] == 'n' && g_ascii_isdigit(sc_[1])) {
        guint64 net;
        if (!g_ascii_string_to_unsigned(sc_ + 1, 10, 0, world_n_networks(g->world) - 1, &net,
                                        NULL))
          return config_fail(cfg, "faults", fault_key[k], error,
                             "fault %u: '%s' is not a network n0..n%u", i + 1, sc_,
                             world_n_networks(g->world) - 1);
        f.target = (uint32_t)net;
      } else if (k == FAULT_PARTITION || k == FAULT_EDGE_OUTAGE) {
        uint32_t c;
        if (!world_country_find(g->world, sc_, &c))
          return config_fail(cfg, "faults", fault_key[k], error,
                             "fault %u: '%s' is not among the world's countries", i + 1, sc_);
        f.target = k == FAULT_PARTITION ? c : g->cdn ? cdn_edge_of(g->cdn,
                                              world_country(g->world, c)->first_network) : 0;
      }
      if (k == FAULT_PARTITION && g->faults->len >= 254)
        return config_fail(cfg, "faults", fault_key[k], error, "too many faults");
      g_array_append_val(g->faults, f);
      if (f.spec.start_ns < g->horizon) {
        g_autofree char *name = g_strdup_printf("%s_%u", fault_key[k], f.ordinal);
        Window w = {g_string_chunk_insert_const(g->base->strings, name), f.spec.start_ns,
                    f.spec.start_ns + f.spec.duration_ns};
        g_array_append_val(g->windows, w);
      }
    }
  }
  return TRUE;
}

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
  g->agent_params.min_object_bytes = (uint64_t)config_size_bytes(cfg, "agent", "min_object_size");
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
  g->rng_faults = rng_stream_new(g->seed, RNG_FAULTS, 0);
  g->windows = g_array_new(FALSE, FALSE, sizeof(Window));
  g->faults = g_array_new(FALSE, FALSE, sizeof(Fault));
  g->rot_times = g_array_new(FALSE, FALSE, sizeof(SimTime));
  g->iv_offload = g_array_new(FALSE, FALSE, sizeof(double));
  g->iv_plt = g_array_new(FALSE, FALSE, sizeof(double));
  g->iv_plt_n_arr = g_array_new(FALSE, FALSE, sizeof(double));
  g->iv_lat = g_array_new(FALSE, FALSE, sizeof(double));
  g->iv_lat_n_arr = g_array_new(FALSE, FALSE, sizeof(double));
  g->net_part = g_new0(uint8_t, world_n_networks(g->world));
  g->net_part_backend = g_new0(uint8_t, world_n_networks(g->world));
  g->edge_down = g_new0(uint32_t, cdn_n_edges(g->cdn));
  g->tp_origin_rate = cp.origin_rate_bps;
  g->recovery_band = config_double(cfg, "faults", "recovery_band");
  if (!world_country_find(g->world, cp.origin_iso2, &g->origin_country)) g->origin_country = 0;
  if (!backend_setup(g, cfg, chp.start_unix_s, error)) goto fail;
  g->rng_traffic = rng_stream_new(g->seed, RNG_TRAFFIC, 100);
  g->rng_place = rng_stream_new(g->seed, RNG_PLACEMENT, 0);
  g->rng_sel = rng_stream_new(g->seed, RNG_SELECTION, 0);
  g->rng_tracker = rng_stream_new(g->seed, RNG_SELECTION, 1);
  g->pipe = tracker_pipe_new(g->trackers, MAX_DC, rng_mesh_view(g->rng_tracker), false);
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
  g->edge_mirror = g_new0(EdgeMirror, cdn_n_edges(g->cdn));
  for (uint32_t e = 0; e < cdn_n_edges(g->cdn); e++) {
    MeshCacheConfig ec = g->edge_cfg;
    g->edge_mirror[e].g = g;
    ec.on_evict = edge_evicted;
    ec.on_evict_ud = &g->edge_mirror[e];
    g->edges[e] = mesh_cache_new(&ec, NULL);
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
  g->online_ids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  g->xfers = g_array_new(FALSE, TRUE, sizeof(Xfer));
  g->xfer_free = UINT32_MAX;
  g->answers = g_ptr_array_new_with_free_func(g_aligned_free);
  g->answer_free = UINT32_MAX;
  g->plt = histogram_new();
  g->plt_nomesh = histogram_new();
  g->lat_nomesh = histogram_new();
  uint32_t nn = world_n_networks(g->world);
  g->n_bytes_req = g_new0(uint64_t, nn);
  g->n_bytes_mesh = g_new0(uint64_t, nn);
  g->n_pages = g_new0(uint64_t, nn);
  g->speedup = histogram_new();
  g->c_bytes_req = g_new0(uint64_t, nc);
  g->c_bytes_mesh = g_new0(uint64_t, nc);
  g->c_pages = g_new0(uint64_t, nc);
  g->c_plt_sum = g_new0(double, nc);
  g->c_plt_nomesh_sum = g_new0(double, nc);
  g->origin_bps = g_array_new(FALSE, FALSE, sizeof(double));
  g->cdn_bps = g_array_new(FALSE, FALSE, sizeof(double));
  g->pump_list = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  return g;
fail:
  geo_destroy(g);
  return NULL;
}

static void geo_destroy(void *impl) {
  GeoModel *g = impl;
  if (!g) return;
  tracker_pipe_free(g->pipe); /* applies what is pending, stops the worker */
  if (g->visitors) {
    for (uint32_t v = 0; v < g->visitors->len; v++) {
      Visitor *x = vis(g, v);
      if (x->agent) mesh_agent_free(x->agent);
      mesh_cache_free(x->cache);
      g_free(x->ctx);
      g_free(x->req_at);
      g_free(x->cf_cost);
      g_free(x->timers);
      g_free(x->fetches);
      g_free(x->uploads);
    }
    g_array_free(g->visitors, TRUE);
  }
  if (g->xfers) g_array_free(g->xfers, TRUE);
  if (g->answers) g_ptr_array_free(g->answers, TRUE);
  if (g->edges) {
    for (uint32_t e = 0; e < cdn_n_edges(g->cdn); e++) mesh_cache_free(g->edges[e]);
    g_free(g->edges);
  }
  if (g->edge_mirror) {
    for (uint32_t e = 0; e < cdn_n_edges(g->cdn); e++) g_free(g->edge_mirror[e].bits);
    g_free(g->edge_mirror);
  }
  if (g->net_pick) {
    for (uint32_t c = 0; c < world_n_countries(g->world); c++)
      if (g->net_pick[c]) gsl_ran_discrete_free(g->net_pick[c]);
    g_free(g->net_pick);
  }
  for (uint32_t i = 0; i < MAX_DC; i++) mesh_tracker_free(g->trackers[i]);
  g_free(g->dc_rtt);
  if (g->rng_faults) gsl_rng_free(g->rng_faults);
  if (g->windows) g_array_free(g->windows, TRUE);
  if (g->faults) g_array_free(g->faults, TRUE);
  if (g->rot_times) g_array_free(g->rot_times, TRUE);
  if (g->iv_offload) g_array_free(g->iv_offload, TRUE);
  if (g->iv_plt) g_array_free(g->iv_plt, TRUE);
  if (g->iv_plt_n_arr) g_array_free(g->iv_plt_n_arr, TRUE);
  if (g->iv_lat) g_array_free(g->iv_lat, TRUE);
  if (g->iv_lat_n_arr) g_array_free(g->iv_lat_n_arr, TRUE);
  g_free(g->net_part);
  g_free(g->net_part_backend);
  g_free(g->edge_down);
  if (g->engine) engine_free(g->engine);
  if (g->traffic) traffic_free(g->traffic);
  if (g->churn) churn_free(g->churn);
  if (g->cdn) cdn_free(g->cdn);
  if (g->world) world_free(g->world);
  if (g->rng_traffic) gsl_rng_free(g->rng_traffic);
  if (g->rng_place) gsl_rng_free(g->rng_place);
  if (g->rng_sel) gsl_rng_free(g->rng_sel);
  if (g->rng_tracker) gsl_rng_free(g->rng_tracker);
  if (g->rng_net) gsl_rng_free(g->rng_net);
  if (g->plt) histogram_free(g->plt);
  if (g->plt_nomesh) histogram_free(g->plt_nomesh);
  if (g->lat_nomesh) histogram_free(g->lat_nomesh);
  g_free(g->n_bytes_req);
  g_free(g->n_bytes_mesh);
  g_free(g->n_pages);
  if (g->speedup) histogram_free(g->speedup);
  g_free(g->c_bytes_req);
  g_free(g->c_bytes_mesh);
  g_free(g->c_pages);
  g_free(g->c_plt_sum);
  g_free(g->c_plt_nomesh_sum);
  if (g->origin_bps) g_array_free(g->origin_bps, TRUE);
  if (g->cdn_bps) g_array_free(g->cdn_bps, TRUE);
  if (g->pump_list) g_array_free(g->pump_list, TRUE);
  if (g->online_ids) g_array_free(g->online_ids, TRUE);
  g_free(g);
}

/* ---- the run -------------------------------------------------------------- */

/* Resumable (model.h): the first call schedules the initial events. */
static void geo_run_until(Model *base, void *impl, SimTime stop, ModelProgressFn progress,
                          void *ud) {
  GeoModel *g = impl;
  TrafficChange *chp = &g->pending_change;
  bool threaded = g->mesh && model_threads(base) > 1;
  /* the same operations in the same order either way (tracker_pipe.h) */
  tracker_pipe_set_threaded(g->pipe, threaded);
  if (!g->started) {
    g->started = true;
    churn_next_arrival(g->churn, 0, &g->next_arrival);
    schedule(g, g->next_arrival.at_ns, EV_ARRIVAL, 0, 0);
    traffic_next_change(g->traffic, chp);
    if (chp->kind != TRAFFIC_CHANGE_NONE) schedule(g, chp->at_ns, EV_CHANGE, 0, 0);
    schedule(g, g->sample_every, EV_SAMPLE, 0, 0);
    if (g->mesh) {
      schedule(g, DC_TICK_NS, EV_DC_TICK, 0, 0);
      for (uint32_t i = 0; i < g->rot_times->len; i++)
        schedule(g, g_array_index(g->rot_times, SimTime, i), EV_ROTATION, ROT_DEREG, 0);
    }
    for (uint32_t i = 0; i < g->faults->len; i++) {
      const Fault *f = &g_array_index(g->faults, Fault, i);
      schedule(g, f->spec.start_ns, EV_FAULT, i, 0);
      schedule(g, f->spec.start_ns + f->spec.duration_ns, EV_FAULT, i, 1);
    }
  }
  TrafficChange ch = *chp; /* the pending change, kept across calls */

  SimEvent ev;
  uint64_t until_progress = 1;
  while (engine_pop(g->engine, stop, &ev)) {
    tracker_pipe_publish(g->pipe); /* the last event's tracker operations */
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
        Answer *a = answer_at(g, ev.a);
        Visitor *x = vis(g, a->v);
        bool heard = x->online && x->session == a->session;
        if (a->ticket) { /* written before the slot is read or given back */
          tracker_pipe_wait_answer(g->pipe, &a->raw, a->ticket);
          if (heard) answer_candidates(g, a);
        }
        if (heard) mesh_agent_on_tracker_answer(x->agent, now, a->handle, a->c, a->n);
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
        if (ch.kind == TRAFFIC_CHANGE_UPDATE) /* what the edges hold is no longer current */
          for (uint32_t e = 0; e < cdn_n_edges(g->cdn); e++)
            edge_bit_clear(&g->edge_mirror[e], ch.object);
        traffic_next_change(g->traffic, &ch);
        if (ch.kind != TRAFFIC_CHANGE_NONE) schedule(g, ch.at_ns, EV_CHANGE, 0, 0);
        break;
      case EV_SAMPLE:
        sample(g, now);
        if (now + g->sample_every <= g->horizon)
          schedule(g, now + g->sample_every, EV_SAMPLE, 0, 0);
        break;
      case EV_CONNECT: {
        Visitor *x = vis(g, ev.a);
        if (x->online && x->conn_gen == (uint32_t)ev.b) backend_connect(g, ev.a, now);
        break;
      }
      case EV_CONN_DONE: {
        Visitor *x = vis(g, ev.a);
        if (x->online && x->conn == CONN_CONNECTING && x->conn_gen == (uint32_t)ev.b)
          backend_conn_done(g, ev.a, (ev.b >> 32) & 1, now);
        break;
      }
      case EV_DETECT: {
        Visitor *x = vis(g, ev.a);
        if (!x->online || x->conn != CONN_UP || x->conn_gen != (uint32_t)ev.b) break;
        x->failed_mask |= (uint8_t)(1u << x->dc);
        session_drop(g, ev.a);
        backend_connect(g, ev.a, now);
        break;
      }
      case EV_DC_TICK:
        dc_tick(g, now);
        schedule(g, now + DC_TICK_NS, EV_DC_TICK, 0, 0);
        break;
      case EV_ROTATION:
        rotation_step(g, ev.a, (uint32_t)ev.b, now);
        break;
      case EV_FAULT:
        fault_apply(g, ev.a, ev.b == 0, now);
        break;
      case EV_XFER_CLOSE:
        if (g_array_index(g->xfers, Xfer, ev.a).gen == ev.b) xfer_break(g, ev.a, now);
        break;
    }
    /* deferred pumps: a delivery inside an agent callback asked for more
     * requests of its page; issue them now, outside every callback */
    if (g->pump_list->len) { /* most events ask for none: no library call then */
      for (guint i = 0; i < g->pump_list->len; i++) {
        uint32_t v = g_array_index(g->pump_list, uint32_t, i);
        Visitor *x = vis(g, v);
        x->pump_pending = 0;
        if (x->online) page_pump(g, v, now);
      }
      g_array_set_size(g->pump_list, 0);
    }
    if (kind != EV_SAMPLE && kind != EV_DC_TICK) g->model_events++;
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
  /* requests in flight stay requested: requested = served + in flight holds */
  uint64_t in_flight = 0;
  for (uint32_t v = 0; v < g->visitors->len; v++)
    if (vis(g, v)->online) in_flight += vis(g, v)->inflight;
  g->requests = in_flight;
  g->bytes_req = g->bytes_inflight;
  g->local_hits = g->mesh_fetches = g->cdn_fetches = 0;
  g->bytes_local = g->bytes_mesh = g->bytes_cdn = g->bytes_origin = 0;
  memset(g->lat_sum_src, 0, sizeof g->lat_sum_src);
  g->pages_html = 0;
  memset(&g->agent_stats_done, 0, sizeof g->agent_stats_done);
  histogram_reset(g->lat_nomesh);
  uint32_t nn = world_n_networks(g->world);
  memset(g->n_bytes_req, 0, nn * sizeof *g->n_bytes_req);
  memset(g->n_bytes_mesh, 0, nn * sizeof *g->n_bytes_mesh);
  memset(g->n_pages, 0, nn * sizeof *g->n_pages);
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
  g_array_set_size(g->cdn_bps, 0);
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
