/*
 * model.c: the host. Peers, their churn and page traffic on the engine;
 * their caches (sim/mesh cache), the tracker (sim/mesh tracker) and peer
 * selection (tracker tiers: same network, same country, any); transfers
 * with the world's latencies; the metrics of a run.
 *
 * Peer lifecycle (one state per peer, two transitions, both EV_CHURN):
 *
 *     OFFLINE --(EV_CHURN: join tracker, re-announce cache)--> ONLINE
 *     ONLINE  --(EV_CHURN: leave tracker)---------------------> OFFLINE
 *
 * While ONLINE a peer issues page views (EV_PAGE, Poisson). A page view
 * requests objects_per_page objects at once; each is a local hit (cache),
 * a mesh fetch (tracker candidates, selection) or a CDN fetch; a fetch
 * completes after its latency (EV_FETCH) and inserts the object into the
 * requester's cache, announcing it if the requester is still online.
 *
 * Invariants:
 *   (1) tracker holdings of peer p == objects in p's cache while p is
 *       ONLINE, none while OFFLINE (evictions withdraw at once);
 *   (2) a page view event lies strictly inside the online period that
 *       scheduled it (next < session_end), so no stale events exist;
 *   (3) requests = local_hits + mesh_fetches + cdn_fetches.
 * Randomness: one stream per purpose (placement, churn, traffic,
 * selection), so that a change of cache or selection cannot shift the
 * visitors and pages a variant is tested on.
 * Events counted in `events`: page views, churn transitions and fetch
 * completions at or before the horizon (REFERENCE_MODEL.md); samples of
 * the time series are not counted. The fetches of a page view that
 * complete at the same instant share one engine event (FETCH_BATCH) but
 * count one each, as their own events would have.
 */
#include "model/model-private.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <string.h>

#include "core/rng.h"
#include "mesh/cache.h"
#include "mesh/select.h"
#include "mesh/tracker.h"
#include "results/histogram.h"

enum EventKind {
  EV_CHURN = 1,  /* a = peer */
  EV_PAGE,       /* a = peer */
  EV_FETCH,      /* a = peer, b = object, or FETCH_BATCH | a batch slot */
  EV_SAMPLE,     /* time-series sample */
};

enum { MAX_CANDIDATES = 64 };
/* traffic.objects_per_page's maximum (keys.c): page_view's arrays */
enum { PAGE_MAX = 1000 };

/* The fetches of one page view that complete at the same instant (the
 * same tier and distance: most of a page at scale) share one event whose
 * b names a batch of their objects, in request order. They were scheduled
 * one after the other, so no other event can fall between them in (time,
 * sequence) order: one event runs them exactly as their own events would,
 * with one pending-set operation instead of several. */
#define FETCH_BATCH (UINT64_C(1) << 63)

typedef struct FetchBatch {
  uint32_t n;         /* objects; the next free slot's index while free */
  uint32_t first;     /* offset of its objects in RefModel.batch_objs */
} FetchBatch;

typedef struct Peer {
  MeshCache *cache;        /* created at first use */
  SimTime session_end;     /* end of the current online period */
  uint16_t network;
  uint8_t online;
} Peer;

typedef struct RefModel {
  Model *base;
  /* parameters */
  SimTime horizon;
  uint64_t seed;
  uint32_t n_peers, n_networks, n_countries;
  SimTime online_mean, offline_mean, page_mean;
  double online_at_start;
  uint32_t objects_per_page, n_objects;
  uint64_t object_size;
  double upload_bps, cdn_bps;
  SimTime cdn_rtt;
  SimTime rtt_net, rtt_country, rtt_base, rtt_step;
  SimTime sample_every;
  uint32_t candidates;
  MeshCacheConfig cache_cfg;

  /* state */
  Engine *engine;
  Peer *peers;
  MeshTracker *tracker;
  gsl_rng *rng_placement, *rng_churn, *rng_traffic, *rng_selection;
  MeshRng sel;
  gsl_ran_discrete_t *zipf;
  SimTime mesh_xfer, cdn_latency;  /* size / bandwidth, and CDN total */
  uint32_t online;
  uint32_t evict_peer;             /* peer whose cache is being mutated */
  bool started;                    /* initial events scheduled */
  uint64_t evicted;                /* evictions reported so far */
  GArray *batches;                 /* FetchBatch slots */
  GArray *batch_objs;              /* objects_per_page objects per slot */
  uint32_t batch_free;             /* free slot list, UINT32_MAX: none */

  /* metrics */
  uint64_t requests, local_hits, mesh_fetches, cdn_fetches, page_views;
  uint64_t mesh_tier[3];
  double latency_sum_s;
  uint64_t bytes_mesh, bytes_cdn;
  uint64_t model_events;
  uint64_t popped0;                /* engine_popped() at the metrics' reset */
  /* per-interval counters for the series */
  uint64_t iv_requests, iv_mesh, iv_cdn;
  MeshSelector *selector;
} RefModel;

/* ---- setup ------------------------------------------------------------- */

static void on_evict(void *ud, uint64_t obj, uint32_t version, uint64_t size) {
  RefModel *m = ud;
  (void)size;
  uint32_t p = m->evict_peer;
  m->evicted++;
  if (m->peers[p].online) mesh_tracker_withdraw(m->tracker, p, obj, version);
}

static void ref_destroy(void *impl);

static void *ref_create(Model *base, const Config *cfg, GError **error) {
  RefModel *m = g_new0(RefModel, 1);
  m->base = base;
  m->horizon = config_duration_ns(cfg, "run", "duration");
  m->seed = (uint64_t)config_int(cfg, "run", "seed");
  m->n_peers = (uint32_t)config_int(cfg, "peers", "count");
  m->n_networks = (uint32_t)config_int(cfg, "world", "networks");
  m->n_countries = (uint32_t)config_int(cfg, "world", "countries");
  if (m->n_countries > m->n_networks) {
    config_fail(cfg, "world", "countries", error,
                "%u countries need at least as many networks (world.networks = %u)",
                m->n_countries, m->n_networks);
    goto fail;
  }
  m->rtt_net = config_duration_ns(cfg, "world", "rtt_same_network");
  m->rtt_country = config_duration_ns(cfg, "world", "rtt_same_country");
  m->rtt_base = config_duration_ns(cfg, "world", "rtt_base");
  m->rtt_step = config_duration_ns(cfg, "world", "rtt_per_country");
  m->online_mean = config_duration_ns(cfg, "churn", "online_mean");
  m->offline_mean = config_duration_ns(cfg, "churn", "offline_mean");
  m->online_at_start = config_double(cfg, "churn", "online_at_start");
  m->page_mean = config_duration_ns(cfg, "traffic", "page_interval");
  m->objects_per_page = (uint32_t)config_int(cfg, "traffic", "objects_per_page");
  g_assert_cmpuint(m->objects_per_page, <=, PAGE_MAX); /* the key's range says so */
  m->n_objects = (uint32_t)config_int(cfg, "traffic", "objects");
  m->object_size = (uint64_t)config_size_bytes(cfg, "traffic", "object_size");
  m->upload_bps = config_rate_bps(cfg, "peers", "upload");
  m->cdn_bps = config_rate_bps(cfg, "cdn", "bandwidth");
  m->cdn_rtt = config_duration_ns(cfg, "cdn", "rtt");
  m->sample_every = config_duration_ns(cfg, "output", "series_interval");
  m->candidates = (uint32_t)config_int(cfg, "selection", "candidates");

  const MeshSelectStrategy *strategy = model_select_strategy(cfg, error);
  if (!strategy) goto fail;
  if (!model_cache_config(cfg, &m->cache_cfg, error)) goto fail;
  m->cache_cfg.on_evict = on_evict;
  m->cache_cfg.on_evict_ud = m;

  m->engine = engine_new();
  m->peers = g_new0(Peer, m->n_peers);
  m->batches = g_array_new(FALSE, FALSE, sizeof(FetchBatch));
  m->batch_objs = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  m->batch_free = UINT32_MAX;
  m->tracker = mesh_tracker_new(NULL);
  g_assert_nonnull(m->tracker);
  MeshSelectParams sp;
  mesh_select_params_default(&sp);
  m->selector = mesh_selector_new(strategy, &sp, NULL);
  g_assert_nonnull(m->selector);
  m->rng_placement = rng_stream_new(m->seed, RNG_PLACEMENT, 0);
  m->rng_churn = rng_stream_new(m->seed, RNG_CHURN, 0);
  m->rng_traffic = rng_stream_new(m->seed, RNG_TRAFFIC, 0);
  m->rng_selection = rng_stream_new(m->seed, RNG_SELECTION, 0);
  m->sel = rng_mesh_view(m->rng_selection);

  double *w = g_new(double, m->n_objects);
  double alpha = config_double(cfg, "traffic", "zipf_alpha");
  for (uint32_t k = 0; k < m->n_objects; k++) w[k] = pow((double)(k + 1), -alpha);
  m->zipf = gsl_ran_discrete_preproc(m->n_objects, w);
  g_free(w);

  m->mesh_xfer = (SimTime)llround((double)m->object_size * 8.0 / m->upload_bps * 1e9);
  m->cdn_latency =
      m->cdn_rtt + (SimTime)llround((double)m->object_size * 8.0 / m->cdn_bps * 1e9);
  return m;
fail:
  ref_destroy(m);
  return NULL;
}

static void ref_destroy(void *impl) {
  RefModel *m = impl;
  if (!m) return;
  if (m->peers)
    for (uint32_t p = 0; p < m->n_peers; p++) mesh_cache_free(m->peers[p].cache);
  g_free(m->peers);
  if (m->batches) g_array_free(m->batches, TRUE);
  if (m->batch_objs) g_array_free(m->batch_objs, TRUE);
  mesh_tracker_free(m->tracker);
  mesh_selector_free(m->selector);
  if (m->engine) engine_free(m->engine);
  if (m->zipf) gsl_ran_discrete_free(m->zipf);
  if (m->rng_placement) gsl_rng_free(m->rng_placement);
  if (m->rng_churn) gsl_rng_free(m->rng_churn);
  if (m->rng_traffic) gsl_rng_free(m->rng_traffic);
  if (m->rng_selection) gsl_rng_free(m->rng_selection);
  g_free(m);
}

/* ---- world ------------------------------------------------------------- */

static inline uint32_t country_of(const RefModel *m, uint32_t net) {
  return net % m->n_countries;
}

static inline SimTime rtt_between(const RefModel *m, uint32_t a, uint32_t b) {
  if (a == b) return m->rtt_net;
  uint32_t ca = country_of(m, a), cb = country_of(m, b);
  if (ca == cb) return m->rtt_country;
  return m->rtt_base + m->rtt_step * (SimTime)(ca > cb ? ca - cb : cb - ca);
}

/* rtt_between() from network a to a holder the tracker placed in tier t:
 * the tier alone gives it (networks nest in countries here) but for
 * another country's holder, whose record (a cache miss at scale) is read
 * only then. */
static inline SimTime rtt_to_holder(const RefModel *m, uint32_t a, MeshTier t, uint32_t holder) {
  if (t == MESH_TIER_SAME_NETWORK) return m->rtt_net;
  if (t == MESH_TIER_SAME_COUNTRY) return m->rtt_country;
  return rtt_between(m, a, m->peers[holder].network);
}

/* ---- peers -------------------------------------------------------------- */

static SimTime draw_exp(gsl_rng *r, SimTime mean) {
  /* gsl_ran_exponential takes the MEAN. Round to ns; never 0. */
  SimTime d = (SimTime)llround(gsl_ran_exponential(r, (double)mean));
  return d > 0 ? d : 1;
}

static MeshCache *peer_cache(RefModel *m, uint32_t p) {
  Peer *peer = &m->peers[p];
  if (!peer->cache) {
    peer->cache = mesh_cache_new(&m->cache_cfg, NULL);
    g_assert_nonnull(peer->cache);
  }
  return peer->cache;
}

typedef struct Announce {
  RefModel *m;
  uint32_t peer;
} Announce;

static void announce_one(void *ud, uint64_t obj, uint32_t version, uint64_t size) {
  Announce *a = ud;
  (void)size;
  MeshStatus st = mesh_tracker_announce(a->m->tracker, a->peer, obj, version);
  g_assert_true(st == MESH_OK);
}

static void schedule_page(RefModel *m, uint32_t p, SimTime now) {
  SimTime next = now + draw_exp(m->rng_traffic, m->page_mean);
  if (next < m->peers[p].session_end) engine_schedule(m->engine, next, EV_PAGE, p, 0);
}

static void go_online(RefModel *m, uint32_t p, SimTime now) {
  Peer *peer = &m->peers[p];
  peer->online = 1;
  m->online++;
  MeshStatus st = mesh_tracker_join(m->tracker, p, peer->network, country_of(m, peer->network));
  g_assert_true(st == MESH_OK);
  if (peer->cache) {
    Announce a = {m, p};
    mesh_cache_foreach(peer->cache, announce_one, &a);
  }
  peer->session_end = now + draw_exp(m->rng_churn, m->online_mean);
  engine_schedule(m->engine, peer->session_end, EV_CHURN, p, 0);
  schedule_page(m, p, now);
}

static void go_offline(RefModel *m, uint32_t p, SimTime now) {
  Peer *peer = &m->peers[p];
  peer->online = 0;
  m->online--;
  mesh_tracker_leave(m->tracker, p);
  /* three peers in four are offline: their caches wait without an index */
  if (peer->cache) mesh_cache_park(peer->cache);
  engine_schedule(m->engine, now + draw_exp(m->rng_churn, m->offline_mean), EV_CHURN, p, 0);
}

/* ---- traffic ------------------------------------------------------------ */

/* Serves one request of a page view: its latency, or -1 for a local hit
 * (the caller schedules the fetch's completion). */
static SimTime request_object(RefModel *m, uint32_t p, uint64_t obj, SimTime now) {
  Peer *peer = &m->peers[p];
  m->requests++;
  m->iv_requests++;
  m->evict_peer = p;
  if (mesh_cache_lookup(peer_cache(m, p), obj, 0, now)) {
    m->local_hits++;
    histogram_add(m->base->latency, 0.0);
    return -1;
  }
  uint32_t cand[MAX_CANDIDATES];
  MeshTier tier[MAX_CANDIDATES];
  size_t n = mesh_tracker_query(m->tracker, obj, 0, p, peer->network,
                                country_of(m, peer->network), m->candidates, &m->sel, cand,
                                tier);
  SimTime latency;
  if (n > 0) {
    /* The tracker returns the best locality tier first, uniformly within
     * it; with more than one candidate the selection strategy chooses. */
    size_t pick = 0;
    if (n > 1) {
      MeshCandidate mc[MAX_CANDIDATES];
      for (size_t i = 0; i < n; i++) {
        uint32_t net = m->peers[cand[i]].network;
        mc[i] = (MeshCandidate){.peer = cand[i], .network = net, .country = country_of(m, net),
                                .rtt_ns = rtt_between(m, peer->network, net),
                                .throughput_bps = m->upload_bps, .upload_slots = 1,
                                .nat_compatible = true};
      }
      MeshRequester req = {p, peer->network, country_of(m, peer->network)};
      uint32_t out;
      if (mesh_selector_choose(m->selector, &req, mc, n, 1, &m->sel, &out) == 1) pick = out;
    }
    latency = rtt_to_holder(m, peer->network, tier[pick], cand[pick]) + m->mesh_xfer;
    m->mesh_fetches++;
    m->iv_mesh++;
    m->mesh_tier[tier[pick]]++;
    m->bytes_mesh += m->object_size;
  } else {
    latency = m->cdn_latency;
    m->cdn_fetches++;
    m->iv_cdn++;
    m->bytes_cdn += m->object_size;
  }
  m->latency_sum_s += (double)latency * 1e-9;
  histogram_add(m->base->latency, (double)latency * 1e-9);
  return latency;
}

static uint32_t batch_alloc(RefModel *m) {
  uint32_t slot = m->batch_free;
  if (slot != UINT32_MAX) {
    m->batch_free = g_array_index(m->batches, FetchBatch, slot).n;
    return slot;
  }
  slot = m->batches->len;
  FetchBatch b = {0, (uint32_t)m->batch_objs->len};
  g_array_append_val(m->batches, b);
  g_array_set_size(m->batch_objs, m->batch_objs->len + m->objects_per_page);
  return slot;
}

/* Starts the memory of peer p's cache slots and tracker groups for n
 * objects it is about to look up, announce or withdraw, so that their
 * misses overlap (a page view's objects, a batch of completions). */
static void prefetch_objects(RefModel *m, uint32_t p, const uint32_t *objs, uint32_t n) {
  uint32_t net = m->peers[p].network, cty = country_of(m, net);
  MeshCache *c = peer_cache(m, p);
  for (uint32_t i = 0; i < n; i++) {
    mesh_cache_prefetch(c, objs[i], false);
    mesh_tracker_prefetch(m->tracker, objs[i], 0, net, cty);
  }
}

static void page_view(RefModel *m, uint32_t p, SimTime now) {
  uint32_t objs[PAGE_MAX];
  SimTime lat[PAGE_MAX];
  uint32_t n = 0;
  uint32_t page[PAGE_MAX];
  m->page_views++;
  /* The page's objects first (the traffic stream draws nothing else in
   * between), so that the memory of all their lookups is on its way
   * before the first is served. */
  for (uint32_t i = 0; i < m->objects_per_page; i++)
    page[i] = (uint32_t)gsl_ran_discrete(m->rng_traffic, m->zipf);
  prefetch_objects(m, p, page, m->objects_per_page);
  for (uint32_t i = 0; i < m->objects_per_page; i++) {
    SimTime l = request_object(m, p, page[i], now);
    if (l >= 0) {
      objs[n] = page[i];
      lat[n++] = l;
    }
  }
  /* One event per distinct latency, at the place of its first fetch in
   * request order (so in the order of the sequence numbers the fetches'
   * own events would have had), listing its fetches in request order. */
  for (uint32_t i = 0; i < n; i++) {
    if (lat[i] < 0) continue; /* taken into an earlier batch */
    uint32_t same = 0;
    for (uint32_t j = i + 1; j < n; j++) same += lat[j] == lat[i];
    if (same == 0) {
      engine_schedule(m->engine, now + lat[i], EV_FETCH, p, objs[i]);
      continue;
    }
    uint32_t slot = batch_alloc(m);
    FetchBatch *b = &g_array_index(m->batches, FetchBatch, slot);
    uint32_t *bo = &g_array_index(m->batch_objs, uint32_t, b->first);
    b->n = 0;
    bo[b->n++] = objs[i];
    for (uint32_t j = i + 1; j < n; j++)
      if (lat[j] == lat[i]) {
        bo[b->n++] = objs[j];
        lat[j] = -1;
      }
    engine_schedule(m->engine, now + lat[i], EV_FETCH, p, FETCH_BATCH | slot);
  }
  schedule_page(m, p, now);
}

static void fetch_done(RefModel *m, uint32_t p, uint64_t obj, SimTime now) {
  Peer *peer = &m->peers[p];
  MeshCache *c = peer_cache(m, p);
  /* Whether the object was new: a new object either grows the cache or
   * evicts (capacity counts objects or bytes, every object has the same
   * size here); one index lookup instead of a contains() and an insert(). */
  size_t count0 = mesh_cache_count(c);
  uint64_t evicted0 = m->evicted;
  m->evict_peer = p;
  MeshStatus st = mesh_cache_insert(c, obj, 0, m->object_size, now);
  g_assert_true(st == MESH_OK || st == MESH_TOOBIG);
  bool added = mesh_cache_count(c) > count0 || m->evicted != evicted0;
  if (st == MESH_OK && added && peer->online) {
    st = mesh_tracker_announce(m->tracker, p, obj, 0);
    g_assert_true(st == MESH_OK);
  }
}

/* A batch of a page's fetches that complete now, in request order (their
 * announces' memory on its way first); each counts as its own event. The
 * slot goes back on the free list. */
static void fetch_batch_done(RefModel *m, uint32_t p, uint32_t slot, SimTime now) {
  FetchBatch *b = &g_array_index(m->batches, FetchBatch, slot);
  const uint32_t *bo = &g_array_index(m->batch_objs, uint32_t, b->first);
  prefetch_objects(m, p, bo, b->n);
  for (uint32_t i = 0; i < b->n; i++) fetch_done(m, p, bo[i], now);
  m->model_events += b->n;
  b->n = m->batch_free;
  m->batch_free = slot;
}

/* ---- metrics ------------------------------------------------------------ */

static void add_sample(RefModel *m, const char *name, SimTime t, double v) {
  model_add_sample(m->base, name, t, v);
}

/* The model's invariants (file header), checked at every sample and at the
 * end of every run, so every regression scenario checks them: requests =
 * local + mesh + CDN; each cache within its capacity; the tracker holds
 * exactly the cached objects of the online peers. A failure is a bug. */
static void check_invariants(const RefModel *m) {
  if (m->requests != m->local_hits + m->mesh_fetches + m->cdn_fetches)
    g_error("invariant: requests %" G_GUINT64_FORMAT " != local + mesh + cdn", m->requests);
  size_t held = 0;
  for (uint32_t p = 0; p < m->n_peers; p++) {
    const MeshCache *c = m->peers[p].cache;
    if (!c) continue;
    if (mesh_cache_used(c) > mesh_cache_capacity(c))
      g_error("invariant: peer %u cache over capacity", p);
    if (m->peers[p].online) held += mesh_cache_count(c);
  }
  if (held != mesh_tracker_holdings(m->tracker))
    g_error("invariant: tracker holds %zu entries, online peers cache %zu objects",
            mesh_tracker_holdings(m->tracker), held);
}

static void sample(RefModel *m, SimTime now) {
  check_invariants(m);
  add_sample(m, "online_peers", now, m->online);
  add_sample(m, "requests_per_s", now, (double)m->iv_requests / ((double)m->sample_every * 1e-9));
  uint64_t fetched = m->iv_mesh + m->iv_cdn;
  add_sample(m, "offload", now, fetched ? (double)m->iv_mesh / (double)fetched : 0.0);
  add_sample(m, "tracker_holdings", now, (double)mesh_tracker_holdings(m->tracker));
  m->iv_requests = m->iv_mesh = m->iv_cdn = 0;
}

static void add_scalar(RefModel *m, const char *name, double v) {
  model_add_scalar(m->base, name, v);
}

/* Memory at the end of the run, by part. Cached-object metadata is the
 * cache entries (count x sizeof(MeshCacheEntry): the object id, size,
 * version and policy links of each cached object); everything else a
 * peer costs is counted per ONLINE peer: the host's peer records and
 * cache headers, indexes and unused slots of every peer (offline peers keep
 * their caches), the whole tracker (its peer table, holdings, groups and
 * keys: mesh_tracker_memory_bytes) and the pending events (timers, and the
 * fetches in flight: this model's open channels) as the engine holds them
 * (engine_memory_bytes), with the slots of batched fetches. */
static void summarise_memory(RefModel *m) {
  size_t caches = 0, objects = 0;
  for (uint32_t p = 0; p < m->n_peers; p++) {
    const MeshCache *c = m->peers[p].cache;
    if (!c) continue;
    caches += mesh_cache_memory(c);
    objects += mesh_cache_count(c) * sizeof(MeshCacheEntry);
  }
  double state = (double)m->n_peers * (double)sizeof(Peer);
  double tracker = (double)mesh_tracker_memory_bytes(m->tracker);
  double events = (double)engine_memory_bytes(m->engine) +
                  (double)m->batches->len * ((double)sizeof(FetchBatch) +
                                             (double)m->objects_per_page * sizeof(uint32_t));
  double index = (double)(caches - objects);
  add_scalar(m, "memory_peer_state_bytes", state);
  add_scalar(m, "memory_cache_index_bytes", index);
  add_scalar(m, "memory_cache_objects_bytes", (double)objects);
  add_scalar(m, "memory_tracker_bytes", tracker);
  add_scalar(m, "memory_events_bytes", events);
  add_scalar(m, "memory_per_online_peer_bytes",
             m->online ? (state + index + tracker + events) / m->online : 0.0);
}

static void summarise(RefModel *m) {
  add_scalar(m, "object_requests", (double)m->requests);
  add_scalar(m, "local_hits", (double)m->local_hits);
  add_scalar(m, "mesh_fetches", (double)m->mesh_fetches);
  add_scalar(m, "cdn_fetches", (double)m->cdn_fetches);
  uint64_t fetched_bytes = m->bytes_mesh + m->bytes_cdn;
  add_scalar(m, "offload", fetched_bytes ? (double)m->bytes_mesh / (double)fetched_bytes : 0.0);
  add_scalar(m, "mean_latency_s", m->requests ? m->latency_sum_s / (double)m->requests : 0.0);
  add_scalar(m, "online_at_end", m->online);
  add_scalar(m, "events", (double)m->model_events);
  /* what the pending-event set handled: fewer, as the fetches of a page
   * that complete at one instant share an event; samples included */
  add_scalar(m, "engine_events", (double)(engine_popped(m->engine) - m->popped0));
  add_scalar(m, "page_views", (double)m->page_views);
  add_scalar(m, "latency_p50_s", histogram_quantile(m->base->latency, 0.50));
  add_scalar(m, "latency_p95_s", histogram_quantile(m->base->latency, 0.95));
  add_scalar(m, "latency_p99_s", histogram_quantile(m->base->latency, 0.99));
  add_scalar(m, "local_hit_ratio",
             m->requests ? (double)m->local_hits / (double)m->requests : 0.0);
  add_scalar(m, "mesh_same_network", (double)m->mesh_tier[MESH_TIER_SAME_NETWORK]);
  add_scalar(m, "mesh_same_country", (double)m->mesh_tier[MESH_TIER_SAME_COUNTRY]);
  add_scalar(m, "mesh_other", (double)m->mesh_tier[MESH_TIER_OTHER]);
  add_scalar(m, "mesh_bytes", (double)m->bytes_mesh);
  add_scalar(m, "cdn_bytes", (double)m->bytes_cdn);
  add_scalar(m, "peers", m->n_peers);
  add_scalar(m, "simulated_s", (double)m->horizon * 1e-9);
  summarise_memory(m);
}

/* ---- the run ------------------------------------------------------------ */

static void ref_start(RefModel *m) {
  /* Placement, then the initial churn state of every peer, in id order. */
  for (uint32_t p = 0; p < m->n_peers; p++)
    m->peers[p].network = (uint16_t)gsl_rng_uniform_int(m->rng_placement, m->n_networks);
  for (uint32_t p = 0; p < m->n_peers; p++) {
    if (gsl_rng_uniform(m->rng_churn) < m->online_at_start) {
      go_online(m, p, 0);
    } else {
      engine_schedule(m->engine, draw_exp(m->rng_churn, m->offline_mean), EV_CHURN, p, 0);
    }
  }
  engine_schedule(m->engine, m->sample_every, EV_SAMPLE, 0, 0);
}

/* Resumable: runs the events at or before stop. */
static void ref_run_until(Model *base, void *impl, SimTime stop, ModelProgressFn progress,
                          void *ud) {
  RefModel *m = impl;
  (void)base;
  if (!m->started) {
    ref_start(m);
    m->started = true;
  }
  SimEvent ev;
  uint64_t until_progress = 1;
  while (engine_pop(m->engine, stop, &ev)) {
    switch ((enum EventKind)ev.kind) {
      case EV_CHURN:
        m->model_events++;
        if (m->peers[ev.a].online) go_offline(m, ev.a, ev.at);
        else go_online(m, ev.a, ev.at);
        break;
      case EV_PAGE:
        m->model_events++;
        page_view(m, ev.a, ev.at);
        break;
      case EV_FETCH:
        if (ev.b & FETCH_BATCH) {
          fetch_batch_done(m, ev.a, (uint32_t)(ev.b & ~FETCH_BATCH), ev.at);
        } else {
          m->model_events++;
          fetch_done(m, ev.a, ev.b, ev.at);
        }
        break;
      case EV_SAMPLE:
        sample(m, ev.at);
        if (ev.at + m->sample_every <= m->horizon)
          engine_schedule(m->engine, ev.at + m->sample_every, EV_SAMPLE, 0, 0);
        break;
    }
    if (progress && --until_progress == 0) {
      progress(ud, ev.at, m->horizon, m->model_events);
      until_progress = 1u << 16;
    }
  }
  if (progress) progress(ud, stop, m->horizon, m->model_events);
}

static void ref_finish(Model *base, void *impl) {
  RefModel *m = impl;
  (void)base;
  engine_advance(m->engine, m->horizon);
  check_invariants(m);
  summarise(m);
}

/* ---- warm-up: algorithm switch and metric reset (model.h) ----------------- */

static void ref_switch(void *impl, const ModelAlgo *from, const ModelAlgo *to, SimTime now) {
  RefModel *m = impl;
  if (to->strategy != from->strategy) {
    mesh_selector_free(m->selector);
    MeshSelectParams sp;
    mesh_select_params_default(&sp);
    m->selector = mesh_selector_new(to->strategy, &sp, NULL);
    g_assert_nonnull(m->selector);
  }
  m->candidates = to->candidates;
  if (to->policy != from->policy) {
    m->cache_cfg.policy = to->policy;
    for (uint32_t p = 0; p < m->n_peers; p++) {
      Peer *peer = &m->peers[p];
      if (!peer->cache) continue;
      m->evict_peer = p; /* an eviction (none expected) withdraws from p */
      MeshCache *c = model_cache_migrate(peer->cache, &m->cache_cfg, now);
      mesh_cache_free(peer->cache);
      peer->cache = c;
    }
  }
}

static void ref_reset_metrics(void *impl) {
  RefModel *m = impl;
  m->requests = m->local_hits = m->mesh_fetches = m->cdn_fetches = m->page_views = 0;
  memset(m->mesh_tier, 0, sizeof m->mesh_tier);
  m->latency_sum_s = 0;
  m->bytes_mesh = m->bytes_cdn = 0;
  m->model_events = 0;
  m->popped0 = engine_popped(m->engine);
  m->iv_requests = m->iv_mesh = m->iv_cdn = 0;
}

const ModelKind model_kind_reference = {
  .name = "reference",
  .create = ref_create,
  .run_until = ref_run_until,
  .finish = ref_finish,
  .destroy = ref_destroy,
  .switch_algo = ref_switch,
  .reset_metrics = ref_reset_metrics,
};
