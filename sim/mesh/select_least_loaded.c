/*
 * select_least_loaded.c: `least-loaded`, fewest active uploads relative to
 * upload slots first (load = active / slots; a candidate without slots
 * counts as infinitely loaded, a full one, load >= 1, sorts after every
 * one with a free slot); among equal loads fewer recent failures first,
 * then uniformly random.
 */
#include "mesh/select.h"

static size_t choose(void *state, const MeshSelectCtx *ctx, uint32_t *out) {
  (void)state;
  for (size_t i = 0; i < ctx->n_items; i++) {
    MeshSelectItem *it = &ctx->items[i];
    const MeshCandidate *c = &ctx->cands[it->idx];
    it->key1 = mesh_select_load(c);
    it->key2 = (double)c->recent_failures + mesh_rng_unit(ctx->rng);
  }
  mesh_select_sort(ctx->items, ctx->n_items);
  return mesh_select_emit(ctx->items, ctx->n_items, ctx->k, out);
}

const MeshSelectStrategy mesh_select_least_loaded = {
  .name = "least-loaded",
  .abi_version = MESH_SELECT_ABI,
  .state_size = 0,
  .init = NULL,
  .choose = choose,
};
