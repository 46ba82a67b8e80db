/*
 * agent.h: the mesh client agent of one browser peer, sans-I/O.
 *
 * The agent never sees an engine, a socket or a clock. The host (sim/model
 * in the simulator, a socket loop in a real client) feeds it events with
 * the current time and the agent emits actions through a callback table
 * (MeshAgentOps). The host must not call the agent from inside a callback,
 * except mesh_agent_evicted() from inside cache_insert.
 *
 * One object request (a "fetch"):
 *
 *   mesh_agent_request
 *        |
 *        v
 *   cache_lookup --hit--> deliver(LOCAL)                             [done]
 *        | miss
 *        v
 *   smaller than min_object_bytes? --yes--> CDN
 *        | no
 *        v
 *   bowed out? --yes--> CDN
 *        | no
 *        v
 *   TRACKER: tracker_query, timer(tracker_timeout)
 *        | answer: select up to max_attempts peers     timeout: error -> CDN
 *        | (none usable -> CDN)
 *        v
 *   next peer (attempts left?) --no--> CDN
 *        | yes: channel to it OPEN?  yes -> TRANSFER
 *        |                           no  -> open_channel (unless one is
 *        v                                  already being opened)
 *   CONNECT: timer(connect_timeout)
 *        | channel open                  channel failed / timeout: error
 *        v                                   -> next peer
 *   TRANSFER: start_transfer, timer(transfer_timeout)
 *        | done              failed (refused, gone, not found) / timeout
 *        v                   (cancel_transfer): error -> next peer
 *   verify digest --corrupt--> error -> next peer
 *        | ok
 *        v
 *   cache_insert; announce if cached; deliver(MESH)                  [done]
 *
 *   CDN: cdn_fetch -> done: cache_insert; announce if cached;
 *        deliver(CDN)                                                [done]
 *
 * An object smaller than min_object_bytes stays out of the mesh: it is
 * fetched from the CDN without asking the tracker, never announced, and not
 * withdrawn when evicted (mesh_agent_params_shares says which objects the
 * mesh carries, for a host that announces a cache itself).
 *
 * "error" counts a mesh error: the peer's recent failures grow (they feed
 * selection) and the agent's consecutive-error count grows; when it reaches
 * bowout_errors the agent BOWS OUT: the failing request goes to the CDN,
 * and so does every new request until bowout_ns has passed (doubled after
 * each consecutive bow-out, up to bowout_max_ns; reset by a mesh success).
 * Requests already at a peer finish their course. Serving continues.
 *
 * Serving side: mesh_agent_on_upload_request accepts while fewer than
 * upload_slots uploads are active and the object is cached, else refuses
 * (MESH_FULL / MESH_NOTFOUND); mesh_agent_on_upload_done frees the slot.
 *
 * Channels are shared: requests to the same peer use one data channel, kept
 * open when idle for reuse; beyond max_channels the least recently used
 * idle channel is closed. A channel that fails fails every request on it.
 *
 * Handles: every action about a request carries a 64-bit handle that
 * changes at each phase; events and timers carrying an old handle are
 * stale and ignored, so a late answer can never act twice.
 */
#ifndef MESH_AGENT_H
#define MESH_AGENT_H

#include "mesh/mesh.h"
#include "mesh/select.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MESH_AGENT_MAX_ATTEMPTS 16

typedef enum MeshSource {
  MESH_SOURCE_LOCAL = 0, /* the agent's own cache */
  MESH_SOURCE_MESH = 1,  /* another peer */
  MESH_SOURCE_CDN = 2,
} MeshSource;

/* Why a transfer from a peer failed (reported by the host). */
typedef enum MeshTransferError {
  MESH_XFER_REFUSED = 0,  /* the peer had no free upload slot */
  MESH_XFER_GONE = 1,     /* the peer left, or the channel broke */
  MESH_XFER_NOTFOUND = 2, /* the peer no longer holds that version */
} MeshTransferError;

typedef struct MeshAgentParams {
  uint32_t max_attempts;        /* peers tried per request before the CDN; 3 (1..16) */
  MeshTime tracker_timeout_ns;  /* 2 s */
  MeshTime connect_timeout_ns;  /* 3 s */
  MeshTime transfer_timeout_ns; /* 10 s */
  uint32_t upload_slots;        /* concurrent uploads served; 4 */
  uint32_t bowout_errors;       /* consecutive mesh errors to bow out; 5 (0: never) */
  MeshTime bowout_ns;           /* first back-off; 60 s */
  MeshTime bowout_max_ns;       /* back-off cap; 960 s */
  uint32_t max_channels;        /* channels kept open, idle ones closed beyond; 8 (>= 1) */
  MeshTime failure_memory_ns;   /* a peer's failures are forgotten this long after its last; 120 s */
  uint32_t peer_memory;         /* peers whose failures and throughput are remembered; 64 (>= 1) */
  uint64_t min_object_bytes;    /* smaller objects skip the mesh (CDN only, never announced); 0 */
} MeshAgentParams;

void mesh_agent_params_default(MeshAgentParams *p);
/* Whether the mesh carries an object of size_bytes under these parameters:
 * asked of the tracker, announced and withdrawn. */
bool mesh_agent_params_shares(const MeshAgentParams *p, uint64_t size_bytes);

/* Actions. `ud` is the host's pointer given to mesh_agent_new. */
typedef struct MeshAgentOps {
  /* The local cache, bound by the host (the agent knows no cache type).
   * lookup: whether (obj, version) is cached; a hit counts as a use.
   * insert: put it in; true when it is cached afterwards. */
  bool (*cache_lookup)(void *ud, uint64_t obj, uint32_t version);
  bool (*cache_insert)(void *ud, uint64_t obj, uint32_t version, uint64_t size_bytes);
  /* Signaling. */
  void (*tracker_query)(void *ud, uint64_t handle, uint64_t obj, uint32_t version);
  void (*announce)(void *ud, uint64_t obj, uint32_t version);
  void (*withdraw)(void *ud, uint64_t obj, uint32_t version);
  /* Data channels and transfers. */
  void (*open_channel)(void *ud, uint32_t peer);
  void (*close_channel)(void *ud, uint32_t peer);
  void (*start_transfer)(void *ud, uint64_t handle, uint32_t peer, uint64_t obj,
                         uint32_t version);
  void (*cancel_transfer)(void *ud, uint64_t handle, uint32_t peer);
  /* CDN. */
  void (*cdn_fetch)(void *ud, uint64_t handle, uint64_t obj, uint32_t version);
  /* Timers: call mesh_agent_on_timer(timer) at time `at`. cancel_timer may
   * be NULL (a stale timer is ignored anyway). */
  void (*arm_timer)(void *ud, uint64_t timer, MeshTime at);
  void (*cancel_timer)(void *ud, uint64_t timer);
  /* The page gets its object: cookie as given to mesh_agent_request; peer
   * is the serving peer for MESH_SOURCE_MESH, else UINT32_MAX. */
  void (*deliver)(void *ud, uint64_t cookie, MeshSource source, uint32_t peer);
} MeshAgentOps;

typedef struct MeshAgentStats {
  uint64_t requests, local_hits, mesh_fetches, cdn_fetches;
  uint64_t tracker_timeouts, connect_failures, connect_timeouts;
  uint64_t transfer_failures, transfer_timeouts, corrupt;
  uint64_t bowouts, bowout_requests; /* CDN-only requests while bowed out */
  uint64_t small_requests;           /* CDN-only requests below min_object_bytes */
  uint64_t uploads_accepted, uploads_refused;
} MeshAgentStats;

typedef struct MeshAgent MeshAgent;

/* (transfer full) The agent of peer `peer` in (network, country).
 * params/sel_params NULL: defaults. strategy: a registered selection
 * strategy. ops, ud and rng are kept (transfer none) and must outlive the
 * agent. NULL on bad parameters or out of memory. */
MeshAgent *mesh_agent_new(uint32_t peer, uint32_t network, uint32_t country,
                          const MeshAgentParams *params, const MeshSelectStrategy *strategy,
                          const MeshSelectParams *sel_params, const MeshAgentOps *ops, void *ud,
                          MeshRng *rng, const MeshAllocator *alloc);
void mesh_agent_free(MeshAgent *a);

/* The page wants (obj, version) of size_bytes whose content digest must be
 * `digest`. MESH_NOMEM when no request slot can be allocated. */
MeshStatus mesh_agent_request(MeshAgent *a, MeshTime now, uint64_t obj, uint32_t version,
                              uint64_t size_bytes, uint64_t digest, uint64_t cookie);
/* The same for a host that has looked the object up in its cache itself
 * (it needs the answer too: local_hit when it holds (obj, version));
 * ops->cache_lookup is then not called for this request. */
MeshStatus mesh_agent_request_looked_up(MeshAgent *a, MeshTime now, uint64_t obj,
                                        uint32_t version, uint64_t size_bytes, uint64_t digest,
                                        uint64_t cookie, bool local_hit);

/* Events. */
void mesh_agent_on_tracker_answer(MeshAgent *a, MeshTime now, uint64_t handle,
                                  const MeshCandidate *cands, size_t n);
void mesh_agent_on_channel_open(MeshAgent *a, MeshTime now, uint32_t peer);
/* Refused, unreachable, or an open channel that broke (the peer left). */
void mesh_agent_on_channel_failed(MeshAgent *a, MeshTime now, uint32_t peer);
void mesh_agent_on_transfer_done(MeshAgent *a, MeshTime now, uint64_t handle, uint64_t digest);
void mesh_agent_on_transfer_failed(MeshAgent *a, MeshTime now, uint64_t handle,
                                   MeshTransferError why);
void mesh_agent_on_cdn_done(MeshAgent *a, MeshTime now, uint64_t handle);
void mesh_agent_on_timer(MeshAgent *a, MeshTime now, uint64_t timer);

/* Serving side. MESH_OK: the upload is accepted and holds a slot until
 * mesh_agent_on_upload_done; MESH_FULL or MESH_NOTFOUND: refused. */
MeshStatus mesh_agent_on_upload_request(MeshAgent *a, MeshTime now, uint32_t from, uint64_t obj,
                                        uint32_t version);
void mesh_agent_on_upload_done(MeshAgent *a, MeshTime now);

/* The cache evicted (obj, version) of size_bytes: the agent withdraws it
 * from the tracker (unless the mesh does not carry objects of that size). */
void mesh_agent_evicted(MeshAgent *a, uint64_t obj, uint32_t version, uint64_t size_bytes);

/* The tab closes: every request in flight is dropped without delivery
 * (transfers cancelled, channels closed). The agent may be reused. */
void mesh_agent_abort_all(MeshAgent *a, MeshTime now);

bool mesh_agent_bowed_out(const MeshAgent *a, MeshTime now);
size_t mesh_agent_in_flight(const MeshAgent *a);
size_t mesh_agent_channels(const MeshAgent *a);
/* Bytes the agent holds: itself, its requests, peer memory, selector and
 * data-channel table; *channel_bytes (if not NULL) gets the last part. */
size_t mesh_agent_memory_bytes(const MeshAgent *a, size_t *channel_bytes);
uint32_t mesh_agent_active_uploads(const MeshAgent *a);
const MeshAgentStats *mesh_agent_stats(const MeshAgent *a);
/* Zero the counters (the end of a warm-up). */
void mesh_agent_reset_stats(MeshAgent *a);
/* Replace the peer-selection strategy: a new selector (fresh strategy
 * state) with sel_params (NULL: defaults). MESH_NOMEM or MESH_INVAL
 * leave the old one in place. */
MeshStatus mesh_agent_set_strategy(MeshAgent *a, const MeshSelectStrategy *strategy,
                                   const MeshSelectParams *sel_params);

#ifdef __cplusplus
}
#endif
#endif /* MESH_AGENT_H */
