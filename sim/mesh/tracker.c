/*
 * tracker.c: the signaling index (see tracker.h for the contract).
 *
 * Layout. A "key" is (object, version), interned to a dense key id (the
 * key index holds the identity beside the id, so a lookup reads one slot
 * of it and no Key). For every key there are two kinds of arrays of the
 * peer ids that hold it:
 *   - one per (key, network) of the holders there    (Group, tag = network)
 *   - one per (key, country) of the holders there    (Group, tag = country|TOP)
 * and the key keeps the list of its countries with their groups' extents
 * (Key.ctys, inline up to two countries; a country group names its entry
 * there: Group.ci). Each peer owns a
 * small open-addressing table of Rec {key, pos_net, pos_cty}: its holdings,
 * with the back-indexes of its slot in those two arrays, so that a withdraw
 * finds its two slots in O(1). Slots are stable: a withdraw leaves a hole
 * (HOLE | the next hole: a free list through the array) that the next
 * announce to the group fills, so that no other holder moves and no other
 * peer's table is touched (moving the last item into the hole would cost
 * one more cache miss per group on every withdraw: a Rec of another peer).
 * A hole in the last slot shortens the array instead. A group whose holes
 * outnumber its holders is compacted (its holders' Recs updated), so holes
 * cost at most one slot per holder and a sampled slot is a holder with
 * probability at least 1/2.
 *
 * Solo keys. A key announced for the first time keeps its holder in the
 * Key (Key.u.solo: peer, network, country) and gets no groups; the second
 * holder promotes it, and the first takes slot 0 of both new groups, the
 * slots its Rec has named all along. Most keys of web traffic never see a
 * second holder while the first is online (85% in the default day), so
 * most group creations and deletions never happen. A promoted key keeps
 * its groups down to its last holder.
 *
 * Invariants (mesh_tracker_check verifies all of them):
 *   1. Peer p is online iff peers[p].online; only online peers hold keys.
 *   2. For every Rec r of peer p, the (r.key, network(p)) and
 *      (r.key, country(p)) groups hold p at r.pos_net and r.pos_cty, or
 *      r.key is solo (count 1, no country: key_solo), its Solo is p with
 *      p's network and country, r.pos_net = r.pos_cty = 0 and no group of
 *      r.key exists.
 *   3. Every group item that is not a hole maps back to such a Rec (so
 *      items and the Recs of keys that are not solo are in bijection: the
 *      sums of the groups' live counts equal the number of those
 *      holdings); a group's holes are exactly the slots
 *      on its free list, len - live of them, and len - live <= max(live, 4)
 *      after every operation.
 *   4. No empty key and no empty group exists (they are freed at live 0);
 *      for a key that is not solo, Key.ctys lists exactly the countries
 *      with a group of the key, with that group's len (once per country);
 *      each country group's ci is the index of its entry (CI_NONE past
 *      65,534), each network group's CI_NONE; and Key.count is the sum of
 *      their live counts.
 *   5. A network has one country: net_country[network(p)] == country(p).
 *   6. mem equals the bytes of every live allocation.
 *
 * Query. Tier 1 is sampled from the requester's network group, tier 2 from
 * its country group skipping holders of its network, tier 3 from the
 * key's other country groups (a pick is an index into their concatenation,
 * found by walking the counts of Key.ctys, then one group lookup: O(the
 * countries holding the key), at most the number of countries, never the
 * number of holders). A tier is taken whole
 * when it has no more eligible holders than still needed (then shuffled);
 * otherwise picks are drawn uniformly over the slots by rejection (a hole,
 * ineligible or already picked). A lower tier is reached only when the tiers above held fewer
 * than k, so at most k + 1 ineligible items sit among those sampled: the
 * expected cost is O(k) draws per pick, O(k^2) per query with the
 * duplicate check, whatever the number of holders.
 *
 * Memory: Recs (12 bytes) live in per-peer tables filled to 62-80 %,
 * group arrays grow by x1.25 and shrink below half full: a holding costs
 * about 12 / 0.75 + 2 x 4 / fill bytes plus the groups, shared by the
 * holders of a key in a network (tools/bench-tracker.c measures it).
 * A flat array of all holders per key would be faster for tier 3 but cost
 * 8 more bytes per holding (its slot and a back-index), over the budget.
 */
#include "mesh/tracker.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX
#define COUNTRY_TAG UINT32_C(0x80000000)
#define GROUP_INLINE 2
/* A hole in a group's items: HOLE | the next hole's slot (HOLE_END: none). */
#define HOLE UINT32_C(0x80000000)
#define HOLE_END UINT32_C(0x7fffffff)
#define IS_HOLE(item) (((item) & HOLE) != 0)

typedef struct Rec {
  uint32_t key; /* NIL: empty slot */
  uint32_t pos_net, pos_cty;
} Rec;

typedef struct Peer {
  Rec *recs;
  uint32_t cap, count;
  uint32_t network, country;
  bool online;
} Peer;

typedef struct CtyEnt {
  uint32_t country, len; /* len: the country group's slots (its extent) */
} CtyEnt;

#define KEY_INLINE 2

/* The one holder of a solo key, kept in the Key instead of two groups. */
typedef struct Solo {
  uint32_t peer, network, country;
} Solo;

typedef struct Key {
  uint64_t obj;
  uint32_t version;
  uint32_t count;    /* holders */
  uint32_t nctys;    /* countries with a group of this key */
  uint32_t ctys_cap; /* KEY_INLINE: in u.inl; 0: a free id */
  union {
    CtyEnt *heap;            /* ctys_cap > KEY_INLINE */
    CtyEnt inl[KEY_INLINE];  /* most keys reach one or two countries */
    Solo solo;               /* key_solo() */
    uint32_t next_free;      /* ctys_cap == 0 */
  } u;
} Key;

/* A key born with one holder stays solo, without groups, until a second
 * holder arrives: most keys of a day of web traffic live and die with one
 * holder (85% in the default scenario), and two group creations and
 * deletions per such key were a third of the tracker's group traffic. */
static bool key_solo(const Key *k) { return k->nctys == 0 && k->count == 1; }

/* A key's countries, inline while they fit (no allocation for the many
 * keys held in one or two countries: most keys live and die with one
 * holder). */
static CtyEnt *kctys(Key *k) { return k->ctys_cap > KEY_INLINE ? k->u.heap : k->u.inl; }
static const CtyEnt *kctys_c(const Key *k) {
  return k->ctys_cap > KEY_INLINE ? k->u.heap : k->u.inl;
}

/* An entry of the key index: the key's identity inline, so that a lookup
 * (and the backward shift of a deletion) reads no Key. */
typedef struct KeySlot {
  uint64_t obj;
  uint32_t version;
  uint32_t id; /* NIL: empty */
} KeySlot;

/* A country group's entry in Key.ctys when the index does not fit (more
 * than 65,534 countries hold the key): found by a scan instead. */
#define CI_NONE UINT16_MAX

typedef struct Group {
  uint32_t key; /* NIL: empty slot */
  uint32_t tag; /* network, or country | COUNTRY_TAG */
  uint32_t len;  /* slots in use (holders and holes) */
  uint32_t live; /* holders: len minus the holes */
  uint32_t hole; /* the first hole of the free list, HOLE_END if none */
  uint8_t capc;  /* capacity class: GROUP_CAPS[capc] slots allocated */
  uint8_t pad_;
  uint16_t ci;   /* a country group's index in its Key.ctys; CI_NONE */
  union {
    uint32_t *heap;                   /* capc > 0 */
    uint32_t inl[GROUP_INLINE];       /* capc == 0: most groups */
  } u;
} Group;

/* The capacities a group's items array takes: class 0 is the inline pair,
 * then each is the last + a quarter + 2 (mesh_tracker_check verifies the
 * rule), up to past 2^31 holders. A class number fits in a byte where a
 * count would take four: the room a country group's ci needs, so that a
 * withdraw finds the key's entry for its country without scanning the
 * key's countries (up to 50 entries for a popular key). */
static const uint32_t GROUP_CAPS[] = {
    2, 5, 8, 12, 17, 23, 30, 39, 50, 64, 82, 104, 132, 167, 210, 264, 332, 417, 523, 655, 820,
    1027, 1285, 1608, 2012, 2517, 3148, 3937, 4923, 6155, 7695, 9620, 12027, 15035, 18795, 23495,
    29370, 36714, 45894, 57369, 71713, 89643, 112055, 140070, 175089, 218863, 273580, 341977,
    427473, 534343, 667930, 834914, 1043644, 1304557, 1630698, 2038374, 2547969, 3184963, 3981205,
    4976508, 6220637, 7775798, 9719749, 12149688, 15187112, 18983892, 23729867, 29662335,
    37077920, 46347402, 57934254, 72417819, 90522275, 113152845, 141441058, 176801324, 221001657,
    276252073, 345315093, 431643868, 539554837, 674443548, 843054437, 1053818048, 1317272562,
    1646590704, 2058238382, 2572797979,
};
enum { GROUP_CLASSES = sizeof GROUP_CAPS / sizeof GROUP_CAPS[0] };

static uint32_t gcap(const Group *g) { return GROUP_CAPS[g->capc]; }

/* A group's items, inline while they fit (no allocation for the many
 * groups of one or two holders). */
static uint32_t *gitems(Group *g) { return g->capc ? g->u.heap : g->u.inl; }
static const uint32_t *gitems_c(const Group *g) { return g->capc ? g->u.heap : g->u.inl; }

struct MeshTracker {
  MeshAllocator alloc;
  const MeshAllocator *ap; /* &alloc or NULL */
  size_t mem;
  size_t holdings, online;

  Peer *peers;
  uint32_t peers_cap;
  uint32_t *net_country; /* NIL: network not seen yet */
  uint32_t nets_cap;

  Key *keys;
  uint32_t keys_cap, keys_used, key_free, key_count;
  KeySlot *key_index; /* power-of-two size */
  uint32_t key_index_cap;

  Group *groups; /* open addressing, power-of-two size */
  uint32_t group_cap, group_count; /* group_cap: 0 or a power of two */
};

/* ---- memory ----------------------------------------------------------- */

static void *t_alloc(MeshTracker *t, size_t size) {
  void *p = mesh_alloc(t->ap, size);
  if (p) t->mem += size;
  return p;
}

static void *t_realloc(MeshTracker *t, void *p, size_t old_size, size_t new_size) {
  void *q = p ? mesh_realloc(t->ap, p, old_size, new_size) : mesh_alloc(t->ap, new_size);
  if (q) t->mem = t->mem - old_size + new_size;
  return q;
}

static void t_free(MeshTracker *t, void *p, size_t size) {
  if (!p) return;
  mesh_free(t->ap, p, size);
  t->mem -= size;
}

/* ---- hashing ---------------------------------------------------------- */

/* The home slot of a pair (a key's (obj, version), a group's (key, tag))
 * in a table of cap slots: two independent Fibonacci products, xored, the
 * top half scaled to cap (for a power of two, the hash's top log2(cap)
 * bits). Two multiplies where the full mixer it replaces chained five
 * steps (it was 7% of the reference model's instructions at 10k peers);
 * where a key or a group lives changes no result. One product of the pair
 * alone was cheaper still but maps the dense lattice of keys and networks
 * of 1M peers to clusters (mean displacement 0.64 at load 0.46, against
 * 0.43 for a random hash); this one measured 0.35, 0.66 and 0.44 at 10k,
 * 100k and 1M peers, where the mixer gave 0.35, 0.67 and 0.43. */
static uint32_t pair_home(uint64_t a, uint64_t b, uint32_t cap) {
  uint64_t h = a * UINT64_C(0x9e3779b97f4a7c15) ^ b * UINT64_C(0xc2b2ae3d27d4eb4f);
  return (uint32_t)(((h >> 32) * cap) >> 32);
}

/* Home slot of a key id in a peer's table of any size (fastrange). */
static uint32_t rec_home(uint32_t key, uint32_t cap) {
  return (uint32_t)(((uint64_t)(uint32_t)(key * UINT32_C(0x9e3779b1)) * cap) >> 32);
}

/* Whether home h lies cyclically in (i, j]: the entry at j may not move to i. */
static bool cyclic_between(uint32_t i, uint32_t h, uint32_t j) {
  return i <= j ? (i < h && h <= j) : (i < h || h <= j);
}

/* ---- group items ------------------------------------------------------ */

/* Moves a group's items to capacity class c (heap to heap). */
static bool group_resize(MeshTracker *t, Group *g, uint32_t c) {
  uint32_t *n = t_realloc(t, g->u.heap, (size_t)gcap(g) * sizeof(uint32_t),
                          (size_t)GROUP_CAPS[c] * sizeof(uint32_t));
  if (!n) return false;
  g->u.heap = n;
  g->capc = (uint8_t)c;
  return true;
}

/* Gives memory back when less than half is used (keeps amortised O(1)):
 * the smallest class with a quarter to spare. */
static void group_shrink(MeshTracker *t, Group *g) {
  uint32_t cap = gcap(g);
  if (g->capc == 0 || g->len == 0 || cap < 16 || g->len >= cap / 2) return;
  uint32_t want = g->len + g->len / 4 + 2, c = 1;
  while (GROUP_CAPS[c] < want) c++;
  (void)group_resize(t, g, c); /* on failure keeping the larger block is harmless */
}

/* ---- per-peer holding tables ----------------------------------------- */

static Rec *rec_find(const Peer *p, uint32_t key) {
  if (p->count == 0) return NULL;
  uint32_t i = rec_home(key, p->cap);
  for (;;) {
    if (p->recs[i].key == key) return &p->recs[i];
    if (p->recs[i].key == NIL) return NULL;
    if (++i == p->cap) i = 0;
  }
}

static Rec *rec_insert_slot(Rec *recs, uint32_t cap, uint32_t key) {
  uint32_t i = rec_home(key, cap);
  while (recs[i].key != NIL)
    if (++i == cap) i = 0;
  return &recs[i];
}

/* Room for one more Rec at a load of at most 80 % (linear probing: about
 * 13 probes for a miss, 3 for a hit); a grown table is filled to 62 %. */
static bool rec_reserve_n(MeshTracker *t, Peer *p, uint32_t more) {
  uint64_t need = (uint64_t)p->count + more;
  if (need * 5 <= (uint64_t)p->cap * 4) return true;
  if (need > UINT32_MAX / 2) return false;
  uint32_t nc = (uint32_t)(need + need * 3 / 5);
  if (nc < 4) nc = 4;
  while (need * 5 > (uint64_t)nc * 4) nc++;
  Rec *n = t_alloc(t, (size_t)nc * sizeof *n);
  if (!n) return false;
  for (uint32_t i = 0; i < nc; i++) n[i].key = NIL;
  for (uint32_t i = 0; i < p->cap; i++)
    if (p->recs[i].key != NIL) *rec_insert_slot(n, nc, p->recs[i].key) = p->recs[i];
  t_free(t, p->recs, (size_t)p->cap * sizeof *p->recs);
  p->recs = n;
  p->cap = nc;
  return true;
}

static bool rec_reserve(MeshTracker *t, Peer *p) { return rec_reserve_n(t, p, 1); }

/* Backward-shift deletion (linear probing, no tombstones). */
static void rec_delete(Peer *p, Rec *r) {
  uint32_t i = (uint32_t)(r - p->recs), j = i;
  for (;;) {
    if (++j == p->cap) j = 0;
    if (p->recs[j].key == NIL) break;
    uint32_t h = rec_home(p->recs[j].key, p->cap);
    if (!cyclic_between(i, h, j)) {
      p->recs[i] = p->recs[j];
      i = j;
    }
  }
  p->recs[i].key = NIL;
  p->count--;
}

/* ---- keys ------------------------------------------------------------- */

static uint32_t key_find(const MeshTracker *t, uint64_t obj, uint32_t version) {
  if (t->key_count == 0) return NIL;
  uint32_t mask = t->key_index_cap - 1;
  for (uint32_t i = pair_home(obj, version, t->key_index_cap);; i = (i + 1) & mask) {
    const KeySlot *e = &t->key_index[i];
    if (e->id == NIL) return NIL;
    if (e->obj == obj && e->version == version) return e->id;
  }
}

static void key_index_put(KeySlot *index, uint32_t cap, KeySlot e) {
  uint32_t mask = cap - 1;
  uint32_t i = pair_home(e.obj, e.version, cap);
  while (index[i].id != NIL) i = (i + 1) & mask;
  index[i] = e;
}

/* Creates a key with room for one holder; NIL when out of memory. */
static uint32_t key_create(MeshTracker *t, uint64_t obj, uint32_t version) {
  if ((uint64_t)(t->key_count + 1) * 2 > t->key_index_cap) { /* load <= 1/2 */
    uint32_t nc = t->key_index_cap ? t->key_index_cap * 2 : 16;
    KeySlot *n = t_alloc(t, (size_t)nc * sizeof *n);
    if (!n) return NIL;
    for (uint32_t i = 0; i < nc; i++) n[i] = (KeySlot){.id = NIL};
    for (uint32_t i = 0; i < t->key_index_cap; i++)
      if (t->key_index[i].id != NIL) key_index_put(n, nc, t->key_index[i]);
    t_free(t, t->key_index, (size_t)t->key_index_cap * sizeof *n);
    t->key_index = n;
    t->key_index_cap = nc;
  }
  if (t->key_free == NIL && t->keys_used == t->keys_cap) {
    uint32_t nc = t->keys_cap ? t->keys_cap + t->keys_cap / 2 : 16;
    Key *n = t_realloc(t, t->keys, (size_t)t->keys_cap * sizeof *n, (size_t)nc * sizeof *n);
    if (!n) return NIL;
    t->keys = n;
    t->keys_cap = nc;
  }
  uint32_t id;
  if (t->key_free != NIL) {
    id = t->key_free;
    t->key_free = t->keys[id].u.next_free;
  } else {
    id = t->keys_used++;
  }
  t->keys[id] = (Key){.obj = obj, .version = version, .count = 0, .nctys = 0,
                      .ctys_cap = KEY_INLINE};
  key_index_put(t->key_index, t->key_index_cap,
                (KeySlot){.obj = obj, .version = version, .id = id});
  t->key_count++;
  return id;
}

static void key_delete(MeshTracker *t, uint32_t id) {
  Key *k = &t->keys[id];
  uint32_t mask = t->key_index_cap - 1;
  uint32_t i = pair_home(k->obj, k->version, t->key_index_cap);
  while (t->key_index[i].id != id) i = (i + 1) & mask;
  for (uint32_t j = i;;) { /* backward shift */
    j = (j + 1) & mask;
    const KeySlot *o = &t->key_index[j];
    if (o->id == NIL) break;
    uint32_t h = pair_home(o->obj, o->version, t->key_index_cap);
    if (!cyclic_between(i, h, j)) {
      t->key_index[i] = *o;
      i = j;
    }
  }
  t->key_index[i].id = NIL;
  if (k->ctys_cap > KEY_INLINE) t_free(t, k->u.heap, (size_t)k->ctys_cap * sizeof(CtyEnt));
  k->count = k->nctys = k->ctys_cap = 0;
  k->u.next_free = t->key_free;
  t->key_free = id;
  t->key_count--;
}

/* ---- groups ----------------------------------------------------------- */

static uint32_t group_find(const MeshTracker *t, uint32_t key, uint32_t tag) {
  if (t->group_count == 0) return NIL;
  uint32_t mask = t->group_cap - 1;
  for (uint32_t i = pair_home(key, tag, t->group_cap);; i = (i + 1) & mask) {
    const Group *g = &t->groups[i];
    if (g->key == key && g->tag == tag) return i;
    if (g->key == NIL) return NIL;
  }
}

static Group *group_slot(Group *groups, uint32_t cap, uint32_t key, uint32_t tag) {
  uint32_t mask = cap - 1;
  uint32_t i = pair_home(key, tag, cap);
  while (groups[i].key != NIL) i = (i + 1) & mask;
  return &groups[i];
}

/* Finds or creates the group, with room for one more item; NIL on NOMEM.
 * The index is valid until the next group creation or deletion. */
static uint32_t group_reserve(MeshTracker *t, uint32_t key, uint32_t tag, bool *created) {
  uint32_t gi = group_find(t, key, tag);
  *created = gi == NIL;
  if (gi == NIL) {
    if ((uint64_t)(t->group_count + 1) * 4 > (uint64_t)t->group_cap * 3) { /* load <= 3/4 */
      if (t->group_cap > UINT32_C(1) << 30) return NIL;
      uint32_t nc = t->group_cap ? t->group_cap * 2 : 64;
      Group *n = t_alloc(t, (size_t)nc * sizeof *n);
      if (!n) return NIL;
      for (uint32_t i = 0; i < nc; i++) n[i].key = NIL;
      for (uint32_t i = 0; i < t->group_cap; i++)
        if (t->groups[i].key != NIL)
          *group_slot(n, nc, t->groups[i].key, t->groups[i].tag) = t->groups[i];
      t_free(t, t->groups, (size_t)t->group_cap * sizeof *n);
      t->groups = n;
      t->group_cap = nc;
    }
    Group *g = group_slot(t->groups, t->group_cap, key, tag);
    *g = (Group){.key = key, .tag = tag, .len = 0, .live = 0, .hole = HOLE_END, .capc = 0,
                 .ci = CI_NONE};
    t->group_count++;
    gi = (uint32_t)(g - t->groups);
  }
  Group *g = &t->groups[gi];
  if (g->hole != HOLE_END || g->len < gcap(g)) return gi;
  if (g->capc == 0) { /* inline -> heap */
    uint32_t *n = t_alloc(t, GROUP_CAPS[1] * sizeof *n);
    if (!n) return NIL;
    memcpy(n, g->u.inl, sizeof g->u.inl);
    g->u.heap = n;
    g->capc = 1;
    return gi;
  }
  if (g->capc + 1u == GROUP_CLASSES) return NIL;
  return group_resize(t, g, g->capc + 1u) ? gi : NIL;
}

static void group_delete(MeshTracker *t, uint32_t gi) {
  uint32_t mask = t->group_cap - 1, i = gi;
  if (t->groups[gi].capc)
    t_free(t, t->groups[gi].u.heap, (size_t)gcap(&t->groups[gi]) * sizeof(uint32_t));
  for (uint32_t j = i;;) {
    j = (j + 1) & mask;
    if (t->groups[j].key == NIL) break;
    uint32_t h = pair_home(t->groups[j].key, t->groups[j].tag, t->group_cap);
    if (!cyclic_between(i, h, j)) {
      t->groups[i] = t->groups[j];
      i = j;
    }
  }
  t->groups[i].key = NIL;
  t->group_count--;
}

/* Drops an empty group left by a failed announce. */
static void drop_group_if_empty(MeshTracker *t, uint32_t key, uint32_t tag) {
  uint32_t gi = group_find(t, key, tag);
  if (gi != NIL && t->groups[gi].live == 0) group_delete(t, gi);
}

/* ---- lifecycle ---------------------------------------------------------- */

MeshTracker *mesh_tracker_new(const MeshAllocator *alloc) {
  MeshTracker *t = mesh_alloc0(alloc, sizeof *t);
  if (!t) return NULL;
  if (alloc) {
    t->alloc = *alloc;
    t->ap = &t->alloc;
  }
  t->key_free = NIL;
  return t;
}

void mesh_tracker_free(MeshTracker *t) {
  if (!t) return;
  for (uint32_t p = 0; p < t->peers_cap; p++)
    t_free(t, t->peers[p].recs, (size_t)t->peers[p].cap * sizeof(Rec));
  for (uint32_t k = 0; k < t->keys_used; k++)
    if (t->keys[k].ctys_cap > KEY_INLINE)
      t_free(t, t->keys[k].u.heap, (size_t)t->keys[k].ctys_cap * sizeof(CtyEnt));
  for (uint32_t g = 0; g < t->group_cap; g++)
    if (t->groups[g].key != NIL && t->groups[g].capc)
      t_free(t, t->groups[g].u.heap, (size_t)gcap(&t->groups[g]) * sizeof(uint32_t));
  t_free(t, t->peers, (size_t)t->peers_cap * sizeof(Peer));
  t_free(t, t->net_country, (size_t)t->nets_cap * sizeof(uint32_t));
  t_free(t, t->keys, (size_t)t->keys_cap * sizeof(Key));
  t_free(t, t->key_index, (size_t)t->key_index_cap * sizeof(KeySlot));
  t_free(t, t->groups, (size_t)t->group_cap * sizeof(Group));
  const MeshAllocator *ap = t->ap;
  MeshAllocator copy = t->alloc;
  mesh_free(ap ? &copy : NULL, t, sizeof *t);
}

/* Grows an array indexed by id to hold index `need`, by x1.5. */
static bool grow_ids(MeshTracker *t, void **arr, uint32_t *cap, uint32_t need, size_t elem,
                     int fill) {
  if (need < *cap) return true;
  uint64_t nc = (uint64_t)*cap + *cap / 2;
  if (nc <= need) nc = (uint64_t)need + 1;
  if (nc < 16) nc = 16;
  if (nc > UINT32_MAX) nc = UINT32_MAX;
  unsigned char *n = t_realloc(t, *arr, (size_t)*cap * elem, (size_t)nc * elem);
  if (!n) return false;
  memset(n + (size_t)*cap * elem, fill, (size_t)(nc - *cap) * elem);
  *arr = n;
  *cap = (uint32_t)nc;
  return true;
}

MeshStatus mesh_tracker_join(MeshTracker *t, uint32_t peer, uint32_t network, uint32_t country) {
  if (peer >= HOLE || network >= COUNTRY_TAG || country >= COUNTRY_TAG) return MESH_INVAL;
  if (network < t->nets_cap && t->net_country[network] != NIL &&
      t->net_country[network] != country)
    return MESH_INVAL;
  if (peer < t->peers_cap && t->peers[peer].online) return MESH_EXISTS;
  void *pa = t->peers, *na = t->net_country;
  if (!grow_ids(t, &pa, &t->peers_cap, peer, sizeof(Peer), 0)) return MESH_NOMEM;
  t->peers = pa;
  if (!grow_ids(t, &na, &t->nets_cap, network, sizeof(uint32_t), 0xff)) return MESH_NOMEM;
  t->net_country = na;
  t->net_country[network] = country;
  Peer *p = &t->peers[peer];
  p->network = network;
  p->country = country;
  p->online = true;
  t->online++;
  return MESH_OK;
}

MeshStatus mesh_tracker_reserve(MeshTracker *t, uint32_t peer, size_t n) {
  if (!mesh_tracker_online(t, peer)) return MESH_INVAL;
  if (n > UINT32_MAX / 2) return MESH_NOMEM;
  return rec_reserve_n(t, &t->peers[peer], (uint32_t)n) ? MESH_OK : MESH_NOMEM;
}

bool mesh_tracker_online(const MeshTracker *t, uint32_t peer) {
  return peer < t->peers_cap && t->peers[peer].online;
}

/* The Rec of (peer q, key), which must exist. */
static Rec *rec_of(MeshTracker *t, uint32_t q, uint32_t key) {
  Rec *r = rec_find(&t->peers[q], key);
  if (!r) abort(); /* invariant 3 broken: a bug, never bad input */
  return r;
}

/* The index of country group g's entry in its key's country list: the
 * group's ci, or a scan when the index did not fit in it. */
static uint32_t cty_index(const Key *k, const Group *g) {
  if (g->ci != CI_NONE) return g->ci;
  uint32_t country = g->tag & ~COUNTRY_TAG;
  const CtyEnt *ctys = kctys_c(k);
  for (uint32_t i = 0;; i++)
    if (ctys[i].country == country) return i;
}

static uint16_t ci_of(uint32_t i) { return i < CI_NONE ? (uint16_t)i : CI_NONE; }

/* A slot for one more item (group_reserve made room): the first hole, else
 * the end. */
static uint32_t group_take_slot(Group *g) {
  if (g->hole == HOLE_END) return g->len++;
  uint32_t pos = g->hole;
  g->hole = gitems(g)[pos] & HOLE_END;
  return pos;
}

/* Rewrites a group's holders densely, in slot order, and moves their Recs'
 * back-indexes along (w: 0 network group, 1 country group). */
static void group_compact(MeshTracker *t, Group *g, int w) {
  uint32_t *items = gitems(g);
  uint32_t n = 0;
  for (uint32_t i = 0; i < g->len; i++) {
    if (IS_HOLE(items[i])) continue;
    if (i != n) {
      items[n] = items[i];
      Rec *o = rec_of(t, items[n], g->key);
      if (w == 0) o->pos_net = n;
      else o->pos_cty = n;
    }
    n++;
  }
  g->len = n;
  g->hole = HOLE_END;
}

/* Removes p's holding r from the two groups of its key (not from p's
 * table): leaves a hole, or shortens the array when the slot is the last;
 * compacts a group whose holes outnumber its holders; frees the groups and
 * the key that become empty. */
static void unlink_holding(MeshTracker *t, uint32_t peer, const Rec *r) {
  const Peer *p = &t->peers[peer];
  uint32_t key = r->key;
  if (key_solo(&t->keys[key])) {
    key_delete(t, key);
    t->holdings--;
    return;
  }
  uint32_t tags[2] = {p->network, p->country | COUNTRY_TAG};
  for (int w = 0; w < 2; w++) {
    uint32_t gi = group_find(t, key, tags[w]);
    Group *g = &t->groups[gi];
    uint32_t pos = w == 0 ? r->pos_net : r->pos_cty;
    uint32_t *items = gitems(g);
    g->live--;
    if (g->live > 0) {
      if (pos + 1 == g->len) {
        g->len--;
      } else {
        items[pos] = HOLE | g->hole;
        g->hole = pos;
      }
      uint32_t holes = g->len - g->live;
      if (holes > 4 && holes > g->live) group_compact(t, g, w);
      group_shrink(t, g);
      if (w == 1) kctys(&t->keys[key])[cty_index(&t->keys[key], g)].len = g->len;
      continue;
    }
    if (w == 1) { /* the key no longer reaches this country: the last entry moves in */
      Key *k = &t->keys[key];
      uint32_t ci = cty_index(k, g), last = --k->nctys;
      if (ci != last) {
        CtyEnt *ctys = kctys(k);
        ctys[ci] = ctys[last];
        t->groups[group_find(t, key, ctys[ci].country | COUNTRY_TAG)].ci = ci_of(ci);
      }
    }
    group_delete(t, gi);
  }
  if (--t->keys[key].count == 0) key_delete(t, key);
  t->holdings--;
}

void mesh_tracker_leave(MeshTracker *t, uint32_t peer) {
  if (!mesh_tracker_online(t, peer)) return;
  Peer *p = &t->peers[peer];
  for (uint32_t i = 0; i < p->cap; i++)
    if (p->recs[i].key != NIL) {
      Rec r = p->recs[i];
      p->recs[i].key = NIL; /* so that rec_of never sees it again */
      unlink_holding(t, peer, &r);
    }
  t_free(t, p->recs, (size_t)p->cap * sizeof(Rec));
  p->recs = NULL;
  p->cap = p->count = 0;
  p->online = false;
  t->online--;
}

/* Room for one more entry in a key's country list. */
static bool ctys_reserve(MeshTracker *t, Key *k) {
  if (k->nctys < k->ctys_cap) return true;
  uint32_t nc = k->ctys_cap + k->ctys_cap / 2 + 1;
  CtyEnt *n;
  if (k->ctys_cap == KEY_INLINE) { /* inline -> heap */
    if ((n = t_alloc(t, (size_t)nc * sizeof *n))) memcpy(n, k->u.inl, sizeof k->u.inl);
  } else {
    n = t_realloc(t, k->u.heap, (size_t)k->ctys_cap * sizeof *n, (size_t)nc * sizeof *n);
  }
  if (!n) return false;
  k->u.heap = n;
  k->ctys_cap = nc;
  return true;
}

/* Puts a holder of key into the key's network and country groups,
 * creating them (and the key's entry for the country) as needed; r gets
 * its two slots. Key.count is the caller's. false on NOMEM, with the
 * groups it created dropped again. */
static bool link_groups(MeshTracker *t, uint32_t key, uint32_t peer, uint32_t network,
                        uint32_t country, Rec *r) {
  uint32_t tag_net = network, tag_cty = country | COUNTRY_TAG;
  bool new_net, new_cty = false;
  uint32_t gn = group_reserve(t, key, tag_net, &new_net), gc = NIL;
  uint32_t cap0 = t->group_cap;
  bool ok = gn != NIL && (gc = group_reserve(t, key, tag_cty, &new_cty)) != NIL;
  if (ok && new_cty) ok = ctys_reserve(t, &t->keys[key]);
  if (!ok) {
    drop_group_if_empty(t, key, tag_net);
    drop_group_if_empty(t, key, tag_cty);
    return false;
  }
  if (t->group_cap != cap0) gn = group_find(t, key, tag_net); /* the table grew */
  Key *k = &t->keys[key];
  Group *g = &t->groups[gc];
  uint32_t ci = new_cty ? k->nctys++ : cty_index(k, g);
  if (new_cty) {
    kctys(k)[ci].country = country;
    g->ci = ci_of(ci);
  }
  r->pos_cty = group_take_slot(g);
  gitems(g)[r->pos_cty] = peer;
  g->live++;
  kctys(k)[ci].len = g->len;
  g = &t->groups[gn];
  r->pos_net = group_take_slot(g);
  gitems(g)[r->pos_net] = peer;
  g->live++;
  return true;
}

/* A solo key gets its groups: its holder moves from the Key into them.
 * A solo key has no group, so the holder takes slot 0 of two new ones:
 * the slots its Rec has named since the announce (and would hold had the
 * key had groups from the start), so that Rec, in another peer's table,
 * is not touched. false on NOMEM, the key still solo. */
static bool promote(MeshTracker *t, uint32_t key) {
  Solo s = t->keys[key].u.solo; /* the country list about to be filled overlays it */
  Rec r;
  if (!link_groups(t, key, s.peer, s.network, s.country, &r)) {
    t->keys[key].u.solo = s;
    return false;
  }
  assert(r.pos_net == 0 && r.pos_cty == 0);
  return true;
}

MeshStatus mesh_tracker_announce(MeshTracker *t, uint32_t peer, uint64_t obj, uint32_t version) {
  if (!mesh_tracker_online(t, peer)) return MESH_INVAL;
  Peer *p = &t->peers[peer];
  uint32_t key = key_find(t, obj, version);
  if (key != NIL && rec_find(p, key)) return MESH_EXISTS;
  if (!rec_reserve(t, p)) return MESH_NOMEM;
  Rec r = {.key = NIL, .pos_net = 0, .pos_cty = 0}; /* solo: the slots a promotion gives */
  if (key == NIL) { /* a new key, solo: its holder lives in the Key */
    if ((key = key_create(t, obj, version)) == NIL) return MESH_NOMEM;
    t->keys[key].u.solo = (Solo){peer, p->network, p->country};
  } else {
    if (key_solo(&t->keys[key]) && !promote(t, key)) return MESH_NOMEM;
    if (!link_groups(t, key, peer, p->network, p->country, &r)) return MESH_NOMEM;
  }
  r.key = key;
  t->keys[key].count++;
  *rec_insert_slot(p->recs, p->cap, key) = r;
  p->count++;
  t->holdings++;
  return MESH_OK;
}

void mesh_tracker_withdraw(MeshTracker *t, uint32_t peer, uint64_t obj, uint32_t version) {
  if (!mesh_tracker_online(t, peer)) return;
  uint32_t key = key_find(t, obj, version);
  if (key == NIL) return;
  Peer *p = &t->peers[peer];
  Rec *r = rec_find(p, key);
  if (!r) return;
  Rec copy = *r;
  rec_delete(p, r);
  unlink_holding(t, peer, &copy);
}

/* The hint's common part: the key and its groups for a network and a
 * country (a tag at or above COUNTRY_TAG names none). */
static void prefetch_key_groups(const MeshTracker *t, uint32_t key, uint32_t network,
                                uint32_t country) {
#if defined(__GNUC__)
  __builtin_prefetch(&t->keys[key]);
  if (t->group_count == 0) return;
  if (network < COUNTRY_TAG) __builtin_prefetch(&t->groups[pair_home(key, network, t->group_cap)]);
  if (country < COUNTRY_TAG)
    __builtin_prefetch(&t->groups[pair_home(key, country | COUNTRY_TAG, t->group_cap)]);
#else
  (void)t, (void)key, (void)network, (void)country;
#endif
}

void mesh_tracker_prefetch_key(const MeshTracker *t, uint64_t obj, uint32_t version,
                               uint32_t peer) {
#if defined(__GNUC__)
  if (t->key_count) __builtin_prefetch(&t->key_index[pair_home(obj, version, t->key_index_cap)]);
  if (peer < t->peers_cap) __builtin_prefetch(&t->peers[peer]);
#else
  (void)t, (void)obj, (void)version, (void)peer;
#endif
}

void mesh_tracker_prefetch_holding(const MeshTracker *t, uint64_t obj, uint32_t version,
                                   uint32_t peer) {
  if (peer >= t->peers_cap || !t->peers[peer].online) return;
  const Peer *p = &t->peers[peer];
  uint32_t key = key_find(t, obj, version);
  if (key == NIL) return;
#if defined(__GNUC__)
  if (p->cap) __builtin_prefetch(&p->recs[rec_home(key, p->cap)]);
#endif
  prefetch_key_groups(t, key, p->network, p->country);
}

void mesh_tracker_prefetch(const MeshTracker *t, uint64_t obj, uint32_t version,
                           uint32_t network, uint32_t country) {
  uint32_t key = key_find(t, obj, version);
  if (key != NIL) prefetch_key_groups(t, key, network, country);
}

/* ---- query -------------------------------------------------------------- */

typedef struct QueryCtx {
  const MeshTracker *t;
  uint32_t requester, net, cty;
  bool full; /* the tier's slots may hold holders of another tier */
} QueryCtx;

/* The tier of a holder in (network, country) for a requester in (net, cty). */
static MeshTier tier_at(uint32_t network, uint32_t country, uint32_t net, uint32_t cty) {
  return network == net ? MESH_TIER_SAME_NETWORK
         : country == cty ? MESH_TIER_SAME_COUNTRY
                          : MESH_TIER_OTHER;
}

static MeshTier tier_of(const QueryCtx *c, uint32_t q) {
  const Peer *p = &c->t->peers[q];
  return tier_at(p->network, p->country, c->net, c->cty);
}

/* Whether slot item q may be picked for the tier. Unless c->full, every
 * holder in the tier's slots belongs to the tier, and the holder's record
 * (a cache miss per pick) need not be read. */
static bool eligible(const QueryCtx *c, uint32_t q, MeshTier tier) {
  return !IS_HOLE(q) && q != c->requester && (!c->full || tier_of(c, q) == tier);
}

/* The items of a tier: one group, or the concatenation of the key's
 * country groups but one. */
typedef struct Span {
  const MeshTracker *t;
  const Group *one;
  uint32_t key, skip; /* when one == NULL: the key, and the country left out */
  size_t len;
} Span;

static const Group *span_group(const Span *s, uint32_t j) {
  const CtyEnt *e = &kctys_c(&s->t->keys[s->key])[j];
  return &s->t->groups[group_find(s->t, s->key, e->country | COUNTRY_TAG)];
}

static uint32_t span_at(const Span *s, size_t i) {
  if (s->one) return gitems_c(s->one)[i];
  const Key *k = &s->t->keys[s->key];
  for (uint32_t j = 0;; j++) {
    if (kctys_c(k)[j].country == s->skip) continue;
    if (i < kctys_c(k)[j].len) return gitems_c(span_group(s, j))[i];
    i -= kctys_c(k)[j].len;
  }
}

/* Appends min(need, elig) eligible items of the span (elig of its items
 * are eligible) to out[], in uniformly random order. Returns the count. */
static size_t sample_tier(const QueryCtx *c, const Span *s, size_t elig, size_t need,
                          MeshTier tier, MeshRng *rng, uint32_t *out) {
  if (elig == 0 || need == 0) return 0;
  if (elig <= need) { /* take the tier whole, then shuffle */
    size_t n = 0;
    uint32_t ngroups = s->one ? 1 : s->t->keys[s->key].nctys;
    for (uint32_t j = 0; j < ngroups; j++) {
      if (!s->one && kctys_c(&s->t->keys[s->key])[j].country == s->skip) continue;
      const Group *g = s->one ? s->one : span_group(s, j);
      for (uint32_t i = 0; i < g->len; i++)
        if (eligible(c, gitems_c(g)[i], tier)) out[n++] = gitems_c(g)[i];
    }
    for (size_t i = n; i > 1; i--) {
      size_t j = (size_t)mesh_rng_below(rng, i);
      uint32_t x = out[i - 1];
      out[i - 1] = out[j];
      out[j] = x;
    }
    return n;
  }
  size_t n = 0;
  while (n < need) {
    uint32_t q = span_at(s, (size_t)mesh_rng_below(rng, s->len));
    if (!eligible(c, q, tier)) continue;
    bool dup = false;
    for (size_t i = 0; i < n && !dup; i++) dup = out[i] == q;
    if (!dup) out[n++] = q;
  }
  return n;
}

/* The requester's tier for the key, or -1 if it holds no slot of it (not
 * online, or no Rec): a cache miss into its table, so it is asked only
 * when a count must be exact (lazily, once per query). */
static int requester_tier(const QueryCtx *c, uint32_t key, int *memo) {
  if (*memo != -2) return *memo;
  const MeshTracker *t = c->t;
  uint32_t r = c->requester;
  *memo = r < t->peers_cap && t->peers[r].online && rec_find(&t->peers[r], key)
              ? (int)tier_of(c, r)
              : -1;
  return *memo;
}

/* Picks up to need holders of a tier whose slots hold hi holders of it,
 * one of which may be the requester. The exact count matters only when hi
 * is need + 1 (sampled or taken whole); otherwise the requester is skipped
 * like any ineligible slot. */
static size_t pick_tier(const QueryCtx *c, const Span *s, uint32_t key, size_t hi, size_t need,
                        MeshTier tier, int *memo, MeshRng *rng, uint32_t *out) {
  if (hi == 0 || need == 0) return 0;
  size_t elig = hi;
  if (hi == need + 1 && requester_tier(c, key, memo) == (int)tier) elig--;
  return sample_tier(c, s, elig, need, tier, rng, out);
}

size_t mesh_tracker_query(MeshTracker *t, uint64_t obj, uint32_t version, uint32_t requester,
                          uint32_t req_network, uint32_t req_country, size_t k, MeshRng *rng,
                          uint32_t *out_peers, MeshTier *out_tiers) {
  uint32_t key = key_find(t, obj, version);
  if (key == NIL || k == 0) return 0;
  QueryCtx c = {t, requester, req_network, req_country, true};
  int memo = -2; /* requester_tier not asked yet */
  const Key *kk = &t->keys[key];
  if (key_solo(kk)) { /* the one holder, in the tier its groups would give it */
    const Solo *h = &kk->u.solo;
    if (h->peer == requester) return 0;
    out_peers[0] = h->peer;
    if (out_tiers) out_tiers[0] = tier_at(h->network, h->country, req_network, req_country);
    return 1;
  }
  uint32_t gn = req_network < COUNTRY_TAG ? group_find(t, key, req_network) : NIL;
  size_t n_net = gn == NIL ? 0 : t->groups[gn].live;
  size_t n = 0, m;
  if (gn != NIL) {
    c.full = false; /* a network group holds that network only */
    Span s = {.t = t, .one = &t->groups[gn], .len = t->groups[gn].len};
    m = pick_tier(&c, &s, key, n_net, k, MESH_TIER_SAME_NETWORK, &memo, rng, out_peers);
    for (size_t i = 0; out_tiers && i < m; i++) out_tiers[n + i] = MESH_TIER_SAME_NETWORK;
    n += m;
  }
  if (n == k) return n; /* the country tiers are not looked at */
  uint32_t gc = req_country < COUNTRY_TAG ? group_find(t, key, req_country | COUNTRY_TAG) : NIL;
  size_t n_cty = gc == NIL ? 0 : t->groups[gc].live;
  /* The requester's network lies in its country unless the caller says
   * otherwise; then the network's holders count in no country tier. */
  bool nested = req_network < t->nets_cap && t->net_country[req_network] == req_country;
  if (gc != NIL) {
    /* the country group holds the network's holders too when nested */
    c.full = nested && n_net > 0;
    Span s = {.t = t, .one = &t->groups[gc], .len = t->groups[gc].len};
    m = pick_tier(&c, &s, key, n_cty - (nested ? n_net : 0), k - n, MESH_TIER_SAME_COUNTRY,
                  &memo, rng, out_peers + n);
    for (size_t i = 0; out_tiers && i < m; i++) out_tiers[n + i] = MESH_TIER_SAME_COUNTRY;
    n += m;
  }
  size_t e3 = kk->count - n_cty - (nested ? 0 : n_net);
  if (n < k && e3 > 0) {
    /* the other countries' groups hold only tier 3, unless the network
     * lies outside req_country */
    c.full = !nested && n_net > 0;
    Span s = {.t = t, .one = NULL, .key = key, .skip = req_country, .len = 0};
    const CtyEnt *ctys = kctys_c(kk);
    for (uint32_t i = 0; i < kk->nctys; i++)
      if (ctys[i].country != req_country) s.len += ctys[i].len;
    m = pick_tier(&c, &s, key, e3, k - n, MESH_TIER_OTHER, &memo, rng, out_peers + n);
    for (size_t i = 0; out_tiers && i < m; i++) out_tiers[n + i] = MESH_TIER_OTHER;
    n += m;
  }
  return n;
}

/* ---- introspection ---------------------------------------------------- */

size_t mesh_tracker_holders(const MeshTracker *t, uint64_t obj, uint32_t version) {
  uint32_t key = key_find(t, obj, version);
  return key == NIL ? 0 : t->keys[key].count;
}

bool mesh_tracker_holds(const MeshTracker *t, uint32_t peer, uint64_t obj, uint32_t version) {
  uint32_t key = key_find(t, obj, version);
  return key != NIL && mesh_tracker_online(t, peer) && rec_find(&t->peers[peer], key);
}

size_t mesh_tracker_holdings(const MeshTracker *t) { return t->holdings; }
size_t mesh_tracker_online_count(const MeshTracker *t) { return t->online; }
size_t mesh_tracker_memory_bytes(const MeshTracker *t) { return t->mem + sizeof *t; }

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) return false;                                                                     \
  } while (0)

bool mesh_tracker_check(const MeshTracker *t) {
  size_t mem = 0, holdings = 0, online = 0;
  CHECK(GROUP_CAPS[0] == GROUP_INLINE && GROUP_CAPS[GROUP_CLASSES - 1] > HOLE);
  for (uint32_t c = 1; c + 1 < GROUP_CLASSES; c++)
    CHECK(GROUP_CAPS[c + 1] == GROUP_CAPS[c] + GROUP_CAPS[c] / 4 + 2);
  mem += (size_t)t->peers_cap * sizeof(Peer) + (size_t)t->nets_cap * sizeof(uint32_t) +
         (size_t)t->keys_cap * sizeof(Key) + (size_t)t->key_index_cap * sizeof(KeySlot) +
         (size_t)t->group_cap * sizeof(Group);
  /* Peers and their Recs (invariants 1, 2, 5). */
  for (uint32_t q = 0; q < t->peers_cap; q++) {
    const Peer *p = &t->peers[q];
    mem += (size_t)p->cap * sizeof(Rec);
    if (!p->online) {
      CHECK(p->recs == NULL && p->cap == 0 && p->count == 0);
      continue;
    }
    online++;
    CHECK(p->network < t->nets_cap && t->net_country[p->network] == p->country);
    CHECK((uint64_t)p->count * 5 <= (uint64_t)p->cap * 4 || p->count == 0);
    uint32_t count = 0;
    for (uint32_t i = 0; i < p->cap; i++) {
      const Rec *r = &p->recs[i];
      if (r->key == NIL) continue;
      count++;
      CHECK(r->key < t->keys_used && t->keys[r->key].ctys_cap);
      CHECK(rec_find(p, r->key) == r); /* reachable from its home slot */
      const Key *k = &t->keys[r->key];
      if (key_solo(k)) { /* the Key holds it instead of groups */
        CHECK(k->u.solo.peer == q && k->u.solo.network == p->network &&
              k->u.solo.country == p->country && r->pos_net == 0 && r->pos_cty == 0);
        continue;
      }
      uint32_t gn = group_find(t, r->key, p->network);
      uint32_t gc = group_find(t, r->key, p->country | COUNTRY_TAG);
      CHECK(gn != NIL && gc != NIL);
      CHECK(r->pos_net < t->groups[gn].len && gitems_c(&t->groups[gn])[r->pos_net] == q);
      CHECK(r->pos_cty < t->groups[gc].len && gitems_c(&t->groups[gc])[r->pos_cty] == q);
    }
    CHECK(count == p->count);
    holdings += count;
  }
  CHECK(online == t->online && holdings == t->holdings);
  /* Keys (invariant 4). */
  size_t key_sum = 0, key_count = 0, free_count = 0, key_ctys = 0, solo = 0;
  for (uint32_t id = 0; id < t->keys_used; id++) {
    const Key *k = &t->keys[id];
    if (!k->ctys_cap) {
      free_count++;
      continue;
    }
    key_count++;
    if (k->ctys_cap > KEY_INLINE) mem += (size_t)k->ctys_cap * sizeof(CtyEnt);
    CHECK(key_find(t, k->obj, k->version) == id);
    if (key_solo(k)) { /* its holder's Rec was checked above */
      CHECK(k->ctys_cap == KEY_INLINE && mesh_tracker_online(t, k->u.solo.peer) &&
            rec_find(&t->peers[k->u.solo.peer], id));
      solo++;
      key_sum++;
      continue;
    }
    CHECK(k->count >= 1 && k->nctys >= 1 && k->nctys <= k->ctys_cap);
    size_t sum = 0;
    const CtyEnt *ctys = kctys_c(k);
    for (uint32_t i = 0; i < k->nctys; i++) {
      uint32_t g = group_find(t, id, ctys[i].country | COUNTRY_TAG);
      CHECK(g != NIL && t->groups[g].len == ctys[i].len);
      sum += t->groups[g].live;
    }
    CHECK(sum == k->count);
    key_sum += k->count;
    key_ctys += k->nctys;
  }
  CHECK(key_count == t->key_count && key_sum == holdings);
  for (uint32_t f = t->key_free; f != NIL; f = t->keys[f].u.next_free) {
    CHECK(f < t->keys_used && !t->keys[f].ctys_cap);
    if (free_count-- == 0) return false; /* a cycle */
  }
  CHECK(free_count == 0);
  size_t indexed = 0;
  for (uint32_t i = 0; i < t->key_index_cap; i++) {
    const KeySlot *e = &t->key_index[i];
    if (e->id == NIL) continue;
    indexed++;
    CHECK(e->id < t->keys_used && t->keys[e->id].obj == e->obj &&
          t->keys[e->id].version == e->version);
  }
  CHECK(indexed == key_count);
  /* Groups (invariants 3, 4). */
  size_t net_items = 0, cty_items = 0, groups = 0, cty_groups = 0;
  CHECK((t->group_cap & (t->group_cap - 1)) == 0); /* probing masks with cap - 1 */
  for (uint32_t gi = 0; gi < t->group_cap; gi++) {
    const Group *g = &t->groups[gi];
    if (g->key == NIL) continue;
    groups++;
    CHECK(g->capc < GROUP_CLASSES);
    if (g->capc) mem += (size_t)gcap(g) * sizeof(uint32_t);
    CHECK(g->live >= 1 && g->live <= g->len && g->len <= gcap(g));
    CHECK(g->len - g->live <= (g->live > 4 ? g->live : 4));
    CHECK(g->key < t->keys_used && t->keys[g->key].ctys_cap);
    CHECK(group_find(t, g->key, g->tag) == gi);
    bool is_cty = g->tag & COUNTRY_TAG;
    if (is_cty) {
      /* ci names the key's entry for the country (an index past CI_NONE
       * is found by a scan). Every country group thus has its own entry:
       * with the counts compared below, the entries are distinct. */
      const Key *k = &t->keys[g->key];
      uint32_t i = g->ci, country = g->tag & ~COUNTRY_TAG;
      if (i == CI_NONE)
        while (i < k->nctys && kctys_c(k)[i].country != country) i++;
      CHECK(i < k->nctys && kctys_c(k)[i].country == country);
    } else {
      CHECK(g->ci == CI_NONE);
    }
    uint32_t holes = 0, live = 0;
    for (uint32_t h = g->hole; h != HOLE_END; h = gitems_c(g)[h] & HOLE_END) {
      CHECK(h < g->len && IS_HOLE(gitems_c(g)[h]));
      if (++holes > g->len) return false; /* a cycle */
    }
    CHECK(holes == g->len - g->live);
    for (uint32_t i = 0; i < g->len; i++) {
      uint32_t q = gitems_c(g)[i];
      if (IS_HOLE(q)) continue;
      live++;
      CHECK(mesh_tracker_online(t, q));
      const Peer *p = &t->peers[q];
      CHECK(is_cty ? (p->country | COUNTRY_TAG) == g->tag : p->network == g->tag);
      const Rec *r = rec_find(p, g->key);
      CHECK(r && (is_cty ? r->pos_cty : r->pos_net) == i);
    }
    CHECK(live == g->live);
    if (is_cty) {
      cty_items += g->live;
      cty_groups++;
    } else {
      net_items += g->live;
    }
  }
  CHECK(groups == t->group_count && net_items == holdings - solo &&
        cty_items == holdings - solo);
  CHECK(cty_groups == key_ctys); /* with the lookups both ways above: a bijection */
  CHECK(mem == t->mem);          /* invariant 6 */
  return true;
}
