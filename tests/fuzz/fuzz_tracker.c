/*
 * fuzz_tracker.c: libFuzzer target for the tracker (signaling index) of
 * sim/mesh.
 *
 * Input: one header byte (the allocation that fails, if any) and then 4-byte
 * operations on peers 0..23 (networks 0..7, countries 0..3), objects 0..11
 * at versions 0..1: join, leave, announce, withdraw and query (k 0..7).
 * After each operation mesh_tracker_check() must hold and the tracker must
 * agree with a shadow (who is online where, who holds what); a query must
 * return distinct online holders other than the requester, at most k, as
 * many as it can, with tiers that are right and never get better. The
 * allocator counts bytes: mesh_tracker_memory_bytes() must equal what is
 * live, and all of it is freed. Any disagreement aborts.
 */
#include <string.h>

#include "fuzz_common.h"
#include "mesh/tracker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NPEER 24
#define NNET 8
#define NOBJ 12
#define NVER 2

typedef struct Shadow {
  bool online[NPEER];
  uint32_t net[NPEER], country[NPEER];
  bool net_known[NNET];
  uint32_t net_country[NNET];
  bool holds[NPEER][NOBJ][NVER];
} Shadow;

static uint64_t splitmix_next(void *state) {
  uint64_t *x = state;
  uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static void compare(const MeshTracker *t, const Shadow *s, const FuzzAlloc *fa) {
  FUZZ_CHECK(mesh_tracker_check(t));
  size_t online = 0, holdings = 0;
  for (uint32_t p = 0; p < NPEER; p++) {
    FUZZ_CHECK(mesh_tracker_online(t, p) == s->online[p]);
    online += s->online[p];
    for (uint64_t o = 0; o < NOBJ; o++)
      for (uint32_t v = 0; v < NVER; v++) {
        FUZZ_CHECK(mesh_tracker_holds(t, p, o, v) == s->holds[p][o][v]);
        holdings += s->holds[p][o][v];
      }
  }
  for (uint64_t o = 0; o < NOBJ; o++)
    for (uint32_t v = 0; v < NVER; v++) {
      size_t n = 0;
      for (uint32_t p = 0; p < NPEER; p++) n += s->holds[p][o][v];
      FUZZ_CHECK(mesh_tracker_holders(t, o, v) == n);
    }
  FUZZ_CHECK(mesh_tracker_online_count(t) == online);
  FUZZ_CHECK(mesh_tracker_holdings(t) == holdings);
  FUZZ_CHECK(mesh_tracker_memory_bytes(t) == fa->live);
}

static MeshTier tier_of(const Shadow *s, uint32_t p, uint32_t net, uint32_t country) {
  if (s->net[p] == net) return MESH_TIER_SAME_NETWORK;
  if (s->country[p] == country) return MESH_TIER_SAME_COUNTRY;
  return MESH_TIER_OTHER;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzBytes in = {data, size};
  uint8_t hdr = fuzz_u8(&in);
  FuzzAlloc fa = {.fail_at = (hdr & 1) ? fuzz_u8(&in) : 0, .sticky = (hdr & 2) != 0};
  MeshAllocator alloc = fuzz_allocator(&fa);
  uint64_t rng_state = hdr;
  MeshRng rng = {splitmix_next, &rng_state};
  MeshTracker *t = mesh_tracker_new(&alloc);
  if (!t) {
    FUZZ_CHECK(fa.live == 0);
    return 0;
  }
  static Shadow s;
  memset(&s, 0, sizeof s);
  while (in.n) {
    uint8_t op = fuzz_u8(&in), a = fuzz_u8(&in), b = fuzz_u8(&in), d = fuzz_u8(&in);
    uint32_t peer = a % NPEER;
    uint64_t obj = b % NOBJ;
    uint32_t ver = (b / NOBJ) % NVER;
    switch (op % 5) {
      case 0: {   /* join */
        uint32_t net = d % NNET, country = (d / NNET) % 4;
        MeshStatus st = mesh_tracker_join(t, peer, net, country);
        bool conflict = s.net_known[net] && s.net_country[net] != country;
        if (s.online[peer]) {   /* both errors at once: either may be reported */
          FUZZ_CHECK(st == MESH_EXISTS || (conflict && st == MESH_INVAL));
        } else if (conflict) {
          FUZZ_CHECK(st == MESH_INVAL);
        } else if (st == MESH_OK) {
          s.online[peer] = true;
          s.net[peer] = net;
          s.country[peer] = country;
          s.net_known[net] = true;
          s.net_country[net] = country;
        } else {
          FUZZ_CHECK(st == MESH_NOMEM && fa.fail_at);
        }
        break;
      }
      case 1:   /* leave */
        mesh_tracker_leave(t, peer);
        s.online[peer] = false;
        memset(s.holds[peer], 0, sizeof s.holds[peer]);
        break;
      case 2: {   /* announce */
        MeshStatus st = mesh_tracker_announce(t, peer, obj, ver);
        if (!s.online[peer]) FUZZ_CHECK(st == MESH_INVAL);
        else if (s.holds[peer][obj][ver]) FUZZ_CHECK(st == MESH_EXISTS);
        else if (st == MESH_OK) s.holds[peer][obj][ver] = true;
        else FUZZ_CHECK(st == MESH_NOMEM && fa.fail_at);
        break;
      }
      case 3:   /* withdraw */
        mesh_tracker_withdraw(t, peer, obj, ver);
        s.holds[peer][obj][ver] = false;
        break;
      case 4: {   /* query by peer (online or not) from net/country in d */
        uint32_t net = d % NNET, country = s.net_known[net] ? s.net_country[net] : (d / NNET) % 4;
        size_t k = (op / 5) % 8;
        uint32_t out[8];
        MeshTier tiers[8];
        size_t n = mesh_tracker_query(t, obj, ver, peer, net, country, k, &rng, out, tiers);
        size_t avail = 0;
        for (uint32_t p = 0; p < NPEER; p++) avail += p != peer && s.holds[p][obj][ver];
        FUZZ_CHECK(n == (k < avail ? k : avail));
        size_t best_left[3] = {0, 0, 0};
        for (uint32_t p = 0; p < NPEER; p++)
          if (p != peer && s.holds[p][obj][ver]) best_left[tier_of(&s, p, net, country)]++;
        for (size_t i = 0; i < n; i++) {
          FUZZ_CHECK(out[i] < NPEER && out[i] != peer && s.holds[out[i]][obj][ver]);
          for (size_t j = 0; j < i; j++) FUZZ_CHECK(out[j] != out[i]);
          MeshTier tr = tier_of(&s, out[i], net, country);
          FUZZ_CHECK(tiers[i] == tr);
          if (i) FUZZ_CHECK(tiers[i - 1] <= tr);
          for (int better = 0; better < (int)tr; better++)
            FUZZ_CHECK(best_left[better] == 0);   /* a better tier was not exhausted */
          best_left[tr]--;
        }
        break;
      }
    }
    compare(t, &s, &fa);
  }
  mesh_tracker_free(t);
  FUZZ_CHECK(fa.live == 0);
  return 0;
}
