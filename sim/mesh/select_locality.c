/*
 * select_locality.c: `locality`, candidates in the requester's network
 * first, then in its country, then the rest; within a tier fewer recent
 * failures first, then uniformly random (so that load spreads over the
 * peers of a tier instead of always hitting the same one).
 */
#include "mesh/select.h"

static size_t choose(void *state, const MeshSelectCtx *ctx, uint32_t *out) {
  (void)state;
  for (size_t i = 0; i < ctx->n_items; i++) {
    MeshSelectItem *it = &ctx->items[i];
    const MeshCandidate *c = &ctx->cands[it->idx];
    it->key1 = c->network == ctx->req->network ? 0 : c->country == ctx->req->country ? 1 : 2;
    it->key2 = (double)c->recent_failures + mesh_rng_unit(ctx->rng);
  }
  mesh_select_sort(ctx->items, ctx->n_items);
  return mesh_select_emit(ctx->items, ctx->n_items, ctx->k, out);
}

const MeshSelectStrategy mesh_select_locality = {
  .name = "locality",
  .abi_version = MESH_SELECT_ABI,
  .state_size = 0,
  .init = NULL,
  .choose = choose,
};
