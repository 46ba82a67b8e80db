/*
 * tracker.h: the signaling index of the mesh. Which ONLINE peers hold which
 * object versions, and a query that returns up to K of them, drawn first
 * from the requester's network, then from the other networks of its
 * country, then from everyone else, uniformly at random within each tier.
 *
 * Ids: peers are dense uint32 below 2^31 (arrays indexed by peer id grow
 * as needed), objects are uint64 with a uint32 version; (object, version)
 * is a "key".
 * A network belongs to one country: the first join that names a network
 * fixes its country, a later join naming another country is MESH_INVAL.
 *
 * Costs (n = holders of the key, h = holdings of the peer):
 *   join O(1) amortised, announce and withdraw O(1) expected,
 *   leave O(h) (it drops every holding of the peer),
 *   query O(k^2) expected, independent of n (see tracker.c).
 * Memory: 31 bytes per (peer, key) holding with 1M peers x 64 objects in
 * 500 networks (tools/bench-tracker.c; mesh_tracker_memory_bytes() counts
 * every byte the tracker holds from its allocator). The per-(key, network)
 * groups cost more per holding when they are small: 47 bytes at 100k peers
 * in 500 networks. Under churn, holes waiting to be refilled (tracker.c)
 * add to that: the reference model at 1M peers ends with about 47 bytes per
 * online holding.
 */
#ifndef MESH_TRACKER_H
#define MESH_TRACKER_H

#include "mesh/mesh.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct MeshTracker MeshTracker;

/* Where a candidate sits relative to the requester, best first. */
typedef enum MeshTier {
  MESH_TIER_SAME_NETWORK = 0,
  MESH_TIER_SAME_COUNTRY = 1, /* another network of the requester's country */
  MESH_TIER_OTHER = 2,
} MeshTier;

/* (transfer full) NULL when out of memory. alloc may be NULL (malloc). The
 * allocator struct is copied. */
MeshTracker *mesh_tracker_new(const MeshAllocator *alloc);
void mesh_tracker_free(MeshTracker *t);

/* A peer comes online in a network of a country. MESH_EXISTS if it is
 * already online; MESH_INVAL if the network is known in another country
 * or an id has its top bit set (ids below 2^31); MESH_NOMEM. */
MeshStatus mesh_tracker_join(MeshTracker *t, uint32_t peer, uint32_t network, uint32_t country);
/* The peer goes offline and all its holdings are dropped (O(holdings)).
 * A peer that is not online is ignored. */
void mesh_tracker_leave(MeshTracker *t, uint32_t peer);
bool mesh_tracker_online(const MeshTracker *t, uint32_t peer);
/* Room for n more holdings of an online peer, so that its next n announces
 * grow and rehash nothing (a browser that re-announces its cache on
 * connecting knows how many). Changes no holding, only the layout of the
 * peer's table, hence the order in which its leave drops its holdings and
 * so the slots later announces take. MESH_INVAL if the peer is not online;
 * MESH_NOMEM. */
MeshStatus mesh_tracker_reserve(MeshTracker *t, uint32_t peer, size_t n);

/* An online peer holds (obj, version). MESH_INVAL if the peer is not online,
 * MESH_EXISTS if already announced, MESH_NOMEM. */
MeshStatus mesh_tracker_announce(MeshTracker *t, uint32_t peer, uint64_t obj, uint32_t version);
/* The peer no longer holds (obj, version); a no-op if it did not. */
void mesh_tracker_withdraw(MeshTracker *t, uint32_t peer, uint64_t obj, uint32_t version);

/* A hint that a peer of this network and country will soon query,
 * announce or withdraw (obj, version): starts bringing the index slots of
 * the key's groups for that network and country into the CPU caches, so
 * that a caller with several operations in hand (the objects of a page)
 * overlaps their memory latency. Changes nothing; harmless for a key the
 * tracker does not hold. */
void mesh_tracker_prefetch(const MeshTracker *t, uint64_t obj, uint32_t version,
                           uint32_t network, uint32_t country);
/* The same hint in two steps for a caller further ahead (a queue of
 * operations): _key starts loading the key's index slot and the peer, whose
 * record is then read without a wait; _holding, some operations later (when
 * they are in the CPU caches), what an announce or a withdraw of the peer
 * reads next: the key, the peer's slot for it and its groups for the peer's
 * network and country. Change nothing; harmless for any key and peer. */
void mesh_tracker_prefetch_key(const MeshTracker *t, uint64_t obj, uint32_t version,
                               uint32_t peer);
void mesh_tracker_prefetch_holding(const MeshTracker *t, uint64_t obj, uint32_t version,
                                   uint32_t peer);

/* Up to k holders of (obj, version), excluding the requester, best tier
 * first: all of them from the requester's network if that tier has no more
 * than what is still needed, else a uniform sample without replacement of
 * it; then likewise from the other networks of req_country, then from all
 * remaining holders. Within a tier the order is uniformly random, so with
 * k = 1 the answer is a uniform pick among the holders of the best
 * non-empty tier. Returns the count, min(k, holders other than the
 * requester). out_tiers may be NULL. The requester need not be online. */
size_t mesh_tracker_query(MeshTracker *t, uint64_t obj, uint32_t version, uint32_t requester,
                          uint32_t req_network, uint32_t req_country, size_t k, MeshRng *rng,
                          uint32_t *out_peers, MeshTier *out_tiers);

/* Number of online holders of (obj, version). */
size_t mesh_tracker_holders(const MeshTracker *t, uint64_t obj, uint32_t version);
/* Whether the peer holds (obj, version) (announced and not withdrawn). */
bool mesh_tracker_holds(const MeshTracker *t, uint32_t peer, uint64_t obj, uint32_t version);
/* Total (peer, key) holdings. */
size_t mesh_tracker_holdings(const MeshTracker *t);
/* Number of online peers. */
size_t mesh_tracker_online_count(const MeshTracker *t);
/* Full consistency check of every index and back-index (O(everything));
 * for tests. true when consistent. */
bool mesh_tracker_check(const MeshTracker *t);
/* Bytes currently obtained from the allocator (capacities, not lengths). */
size_t mesh_tracker_memory_bytes(const MeshTracker *t);

#ifdef __cplusplus
}
#endif
#endif /* MESH_TRACKER_H */
