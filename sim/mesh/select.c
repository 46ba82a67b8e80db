/*
 * select.c: the registry of peer-selection strategies, the selector that
 * binds one to its parameters and scratch, and helpers the strategy files
 * share. Adding a strategy is adding its file and one line to `registry`.
 */
#include "mesh/select.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const MeshSelectStrategy *const registry[] = {
  &mesh_select_random,       &mesh_select_locality,      &mesh_select_rtt,
  &mesh_select_bandwidth,    &mesh_select_least_loaded,  &mesh_select_two_choices,
};

#define N_REGISTRY (sizeof registry / sizeof registry[0])

const MeshSelectStrategy *mesh_select_find(const char *name) {
  for (size_t i = 0; i < N_REGISTRY; i++)
    if (strcmp(registry[i]->name, name) == 0) return registry[i];
  return NULL;
}

size_t mesh_select_count(void) { return N_REGISTRY; }

const MeshSelectStrategy *mesh_select_at(size_t i) { return i < N_REGISTRY ? registry[i] : NULL; }

void mesh_select_params_default(MeshSelectParams *p) {
  *p = (MeshSelectParams){
    .max_failures = 3,
    .failure_penalty = 0.5,
    .exploration_floor = 0.1,
    .unknown_rtt_ns = 100 * MESH_NS_PER_MS,
  };
}

MeshStatus mesh_select_params_check(const MeshSelectParams *p) {
  if (!(p->failure_penalty > 0.0 && p->failure_penalty <= 1.0)) return MESH_INVAL;
  if (!(p->exploration_floor > 0.0 && p->exploration_floor <= 1.0)) return MESH_INVAL;
  if (p->unknown_rtt_ns <= 0) return MESH_INVAL;
  return MESH_OK;
}

struct MeshSelector {
  const MeshSelectStrategy *strategy;
  MeshSelectParams params;
  MeshAllocator alloc;
  const MeshAllocator *ap;
  MeshSelectItem *items;
  size_t items_cap;
  void *state;
};

size_t mesh_selector_memory_bytes(const MeshSelector *sel) {
  return sizeof *sel + sel->items_cap * sizeof *sel->items + sel->strategy->state_size;
}

MeshSelector *mesh_selector_new(const MeshSelectStrategy *s, const MeshSelectParams *params,
                                const MeshAllocator *alloc) {
  if (!s || s->abi_version != MESH_SELECT_ABI) return NULL;
  MeshSelectParams def;
  mesh_select_params_default(&def);
  if (!params) params = &def;
  if (mesh_select_params_check(params) != MESH_OK) return NULL;
  MeshSelector *sel = mesh_alloc0(alloc, sizeof *sel);
  if (!sel) return NULL;
  sel->strategy = s;
  sel->params = *params;
  if (alloc) {
    sel->alloc = *alloc;
    sel->ap = &sel->alloc;
  }
  if (s->state_size) {
    sel->state = mesh_alloc0(sel->ap, s->state_size);
    if (!sel->state) {
      mesh_free(alloc, sel, sizeof *sel);
      return NULL;
    }
  }
  if (s->init) s->init(sel->state, &sel->params);
  return sel;
}

void mesh_selector_free(MeshSelector *sel) {
  if (!sel) return;
  MeshAllocator a = sel->alloc;
  const MeshAllocator *ap = sel->ap ? &a : NULL;
  mesh_free(ap, sel->items, sel->items_cap * sizeof *sel->items);
  mesh_free(ap, sel->state, sel->strategy->state_size);
  mesh_free(ap, sel, sizeof *sel);
}

const MeshSelectStrategy *mesh_selector_strategy(const MeshSelector *sel) { return sel->strategy; }

bool mesh_select_usable(const MeshSelectParams *p, const MeshCandidate *c) {
  return c->nat_compatible && (p->max_failures == 0 || c->recent_failures < p->max_failures);
}

size_t mesh_selector_choose(MeshSelector *sel, const MeshRequester *req,
                            const MeshCandidate *cands, size_t n, size_t k, MeshRng *rng,
                            uint32_t *out) {
  if (k == 0 || n == 0) return 0;
  if (n > UINT32_MAX) n = UINT32_MAX;
  if (n > sel->items_cap) {
    MeshSelectItem *it = sel->items
                             ? mesh_realloc(sel->ap, sel->items, sel->items_cap * sizeof *it,
                                            n * sizeof *it)
                             : mesh_alloc(sel->ap, n * sizeof *it);
    if (!it) return 0;
    sel->items = it;
    sel->items_cap = n;
  }
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (mesh_select_usable(&sel->params, &cands[i]))
      sel->items[m++] = (MeshSelectItem){.idx = (uint32_t)i};
  if (m == 0) return 0;
  MeshSelectCtx ctx = {&sel->params, req, cands, sel->items, m, k, rng};
  return sel->strategy->choose(sel->state, &ctx, out);
}

void mesh_select_shuffle(MeshSelectItem *items, size_t n, MeshRng *rng) {
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)mesh_rng_below(rng, i);
    MeshSelectItem x = items[i - 1];
    items[i - 1] = items[j];
    items[j] = x;
  }
}

static int item_cmp(const void *a, const void *b) {
  const MeshSelectItem *x = a, *y = b;
  if (x->key1 != y->key1) return x->key1 < y->key1 ? -1 : 1;
  if (x->key2 != y->key2) return x->key2 < y->key2 ? -1 : 1;
  return (x->idx > y->idx) - (x->idx < y->idx);
}

/* item_cmp is a total order (idx breaks ties), so any correct sort gives the
 * same result: insertion sort for the tens of candidates of a tracker answer
 * (no call per comparison, no merge buffer), qsort beyond. */
void mesh_select_sort(MeshSelectItem *items, size_t n) {
  if (n > 32) {
    qsort(items, n, sizeof *items, item_cmp);
    return;
  }
  for (size_t i = 1; i < n; i++) {
    MeshSelectItem x = items[i];
    size_t j = i;
    while (j > 0 && item_cmp(&items[j - 1], &x) > 0) {
      items[j] = items[j - 1];
      j--;
    }
    items[j] = x;
  }
}

size_t mesh_select_emit(const MeshSelectItem *items, size_t n, size_t k, uint32_t *out) {
  size_t m = n < k ? n : k;
  for (size_t i = 0; i < m; i++) out[i] = items[i].idx;
  return m;
}

double mesh_select_load(const MeshCandidate *c) {
  if (c->upload_slots == 0) return INFINITY;
  return (double)c->active_uploads / (double)c->upload_slots;
}
