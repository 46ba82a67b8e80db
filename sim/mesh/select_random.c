/*
 * select_random.c: `random`, every usable candidate in uniformly random
 * order (the baseline: no knowledge used).
 */
#include "mesh/select.h"

static size_t choose(void *state, const MeshSelectCtx *ctx, uint32_t *out) {
  (void)state;
  mesh_select_shuffle(ctx->items, ctx->n_items, ctx->rng);
  return mesh_select_emit(ctx->items, ctx->n_items, ctx->k, out);
}

const MeshSelectStrategy mesh_select_random = {
  .name = "random",
  .abi_version = MESH_SELECT_ABI,
  .state_size = 0,
  .init = NULL,
  .choose = choose,
};
