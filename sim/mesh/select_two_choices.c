/*
 * select_two_choices.c: `two-choices`, the power of two choices
 * (Mitzenmacher): each position of the output draws two distinct
 * candidates uniformly among those not yet chosen and takes the less
 * loaded (load as in least-loaded; on equal load the one with fewer recent
 * failures, then the first drawn). The last one left is taken alone.
 * With n candidates of distinct loads, the first choice is the one of load
 * rank r (0 = least loaded) with probability 2 (n - 1 - r) / (n (n - 1)).
 * It needs only two load samples per choice, which is its point in a real
 * mesh, and it spreads requests better than always taking the least
 * loaded, whose advertised load is stale.
 */
#include "mesh/select.h"

static bool better(const MeshCandidate *a, const MeshCandidate *b) {
  double la = mesh_select_load(a), lb = mesh_select_load(b);
  if (la != lb) return la < lb;
  return a->recent_failures <= b->recent_failures;
}

static size_t choose(void *state, const MeshSelectCtx *ctx, uint32_t *out) {
  (void)state;
  MeshSelectItem *it = ctx->items;
  size_t n = ctx->n_items, m = n < ctx->k ? n : ctx->k;
  for (size_t pos = 0; pos < m; pos++) {
    size_t r = n - pos, pick = pos;
    if (r > 1) {
      size_t a = pos + (size_t)mesh_rng_below(ctx->rng, r);
      size_t b = pos + (size_t)mesh_rng_below(ctx->rng, r - 1);
      if (b >= a) b++;
      pick = better(&ctx->cands[it[a].idx], &ctx->cands[it[b].idx]) ? a : b;
    }
    MeshSelectItem x = it[pos];
    it[pos] = it[pick];
    it[pick] = x;
    out[pos] = it[pos].idx;
  }
  return m;
}

const MeshSelectStrategy mesh_select_two_choices = {
  .name = "two-choices",
  .abi_version = MESH_SELECT_ABI,
  .state_size = 0,
  .init = NULL,
  .choose = choose,
};
