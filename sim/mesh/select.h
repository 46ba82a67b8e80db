/*
 * select.h: peer selection. Given the candidates the tracker returned, with
 * what the requester knows of each, a strategy orders up to k of them: the
 * first choice, then the backups the agent tries after a failure.
 *
 * Strategies plug in through a static const ops table (one file each,
 * select_<name>.c) registered in select.c, selected by name from the
 * scenario ([selection] strategy = ...):
 *   random        uniform random order
 *   locality      same network, then same country, then any; random within
 *   rtt           lowest RTT estimate first
 *   bandwidth     random, weighted by measured throughput, with an
 *                 exploration floor so that unmeasured peers get tried
 *   least-loaded  fewest active uploads relative to upload slots first
 *   two-choices   power of two choices on the load
 *
 * Common rules (select.c enforces them before a strategy runs, and the
 * conformance test checks every strategy against them):
 *   - a candidate is USABLE iff nat_compatible and, when
 *     params.max_failures > 0, recent_failures < params.max_failures;
 *   - the output holds min(k, usable) distinct indexes into the candidate
 *     array, usable ones only, best first;
 *   - the output is a function of the inputs and the RNG's draws only.
 */
#ifndef MESH_SELECT_H
#define MESH_SELECT_H

#include "mesh/mesh.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the requester knows of one candidate. */
typedef struct MeshCandidate {
  uint32_t peer;
  uint32_t network, country;
  MeshTime rtt_ns;         /* RTT estimate; <= 0: unknown */
  double throughput_bps;   /* measured download rate from it; <= 0: never measured */
  uint32_t active_uploads; /* as last advertised by the candidate */
  uint32_t upload_slots;   /* 0: it serves nobody (treated as full) */
  bool nat_compatible;     /* a data channel can be set up (directly or via TURN) */
  uint32_t recent_failures; /* failed transfers from it in the agent's memory */
} MeshCandidate;

typedef struct MeshRequester {
  uint32_t peer, network, country;
} MeshRequester;

/* Tunables; mesh_select_params_default() sets the documented defaults. */
typedef struct MeshSelectParams {
  /* USABLE needs recent_failures < max_failures; 0 disables the rule.
   * Default 3. */
  uint32_t max_failures;
  /* Each recent failure multiplies a candidate's attractiveness by this
   * factor in (0, 1]: bandwidth weights are multiplied by it, RTT
   * estimates divided by it (default 0.5: one failure counts as double
   * the RTT or half the throughput). locality, least-loaded and
   * two-choices rank fewer failures first among equals. */
  double failure_penalty;
  /* bandwidth: the weight of a candidate is max(throughput, floor) where
   * floor = exploration_floor x the mean measured throughput of the
   * candidates (unmeasured ones count as the floor; when none is measured
   * all weigh the same). Default 0.1. */
  double exploration_floor;
  /* rtt: the estimate used for a candidate whose RTT is unknown.
   * Default 100 ms. */
  MeshTime unknown_rtt_ns;
} MeshSelectParams;

void mesh_select_params_default(MeshSelectParams *p);
/* MESH_INVAL when a field is out of range. */
MeshStatus mesh_select_params_check(const MeshSelectParams *p);

/* One usable candidate as a strategy sees it: its index in the caller's
 * array and two sort keys a strategy may fill. */
typedef struct MeshSelectItem {
  uint32_t idx;
  double key1, key2;
} MeshSelectItem;

/* What a strategy receives: the usable candidates (items[i].idx indexes
 * cands), k >= 1 and n_items >= 1. It writes min(k, n_items) distinct
 * indexes to out and returns their count. It may reorder items and use
 * their keys. */
typedef struct MeshSelectCtx {
  const MeshSelectParams *params;
  const MeshRequester *req;
  const MeshCandidate *cands;
  MeshSelectItem *items;
  size_t n_items;
  size_t k;
  MeshRng *rng;
} MeshSelectCtx;

#define MESH_SELECT_ABI 1

/* The ops table of a strategy (SQLite's x-method struct with iVersion). */
typedef struct MeshSelectStrategy {
  const char *name;     /* value of [selection] strategy */
  unsigned abi_version; /* MESH_SELECT_ABI */
  size_t state_size;    /* per-selector private state, zero-filled */
  /* Optional: called once after the state is zero-filled. */
  void (*init)(void *state, const MeshSelectParams *params);
  size_t (*choose)(void *state, const MeshSelectCtx *ctx, uint32_t *out);
} MeshSelectStrategy;

extern const MeshSelectStrategy mesh_select_random;
extern const MeshSelectStrategy mesh_select_locality;
extern const MeshSelectStrategy mesh_select_rtt;
extern const MeshSelectStrategy mesh_select_bandwidth;
extern const MeshSelectStrategy mesh_select_least_loaded;
extern const MeshSelectStrategy mesh_select_two_choices;

/* (transfer none) The strategy of that name, or NULL. */
const MeshSelectStrategy *mesh_select_find(const char *name);
/* The registry, in a fixed order: i < mesh_select_count(). */
size_t mesh_select_count(void);
const MeshSelectStrategy *mesh_select_at(size_t i);

/* A strategy bound to its parameters, state and scratch memory. */
typedef struct MeshSelector MeshSelector;

/* (transfer full) NULL when out of memory or the strategy's ABI differs.
 * params NULL means the defaults; they are copied. */
MeshSelector *mesh_selector_new(const MeshSelectStrategy *s, const MeshSelectParams *params,
                                const MeshAllocator *alloc);
void mesh_selector_free(MeshSelector *sel);
/* Bytes the selector holds (itself, its scratch items, its strategy state). */
size_t mesh_selector_memory_bytes(const MeshSelector *sel);
const MeshSelectStrategy *mesh_selector_strategy(const MeshSelector *sel);

/* Writes up to k indexes into cands (best first) to out; returns their
 * count, min(k, usable candidates). Returns 0 only when k = 0, nothing is
 * usable, or the scratch for n candidates cannot be allocated. */
size_t mesh_selector_choose(MeshSelector *sel, const MeshRequester *req,
                            const MeshCandidate *cands, size_t n, size_t k, MeshRng *rng,
                            uint32_t *out);

/* ---- shared helpers for the strategy files ----------------------------- */

/* Whether candidate c is usable under params (the rule above). */
bool mesh_select_usable(const MeshSelectParams *p, const MeshCandidate *c);
/* Uniform shuffle of items[0..n) (Fisher-Yates). */
void mesh_select_shuffle(MeshSelectItem *items, size_t n, MeshRng *rng);
/* Sorts by (key1, key2, idx) ascending: a total order, so deterministic. */
void mesh_select_sort(MeshSelectItem *items, size_t n);
/* Copies the first min(k, n) item indexes to out; returns the count. */
size_t mesh_select_emit(const MeshSelectItem *items, size_t n, size_t k, uint32_t *out);
/* Load of a candidate: active_uploads / upload_slots, +inf when it has no
 * slot; >= 1 means full (it would refuse). */
double mesh_select_load(const MeshCandidate *c);

#ifdef __cplusplus
}
#endif
#endif /* MESH_SELECT_H */
