/*
 * traffic.c: catalogue, popularity, publications, updates, flash crowds.
 *
 * Invariants:
 *   (1) pages of site s at start are first_page .. first_page + n_static - 1
 *       in rank order; their weight w[] is r^-alpha (Zipf) or k (footprint);
 *       w_static = sum w.
 *   (2) a new page j of a site has weight w0 * v[j] * exp(-(t - t_ref) / tau)
 *       with v[j] = exp((t_j - t_ref) / tau); newfw is a Fenwick tree over v.
 *   (3) footprint deck: deck[] is a Fenwick tree over the remaining copies
 *       of each page, deck_left their sum; refilled from k[] when empty.
 *   (4) every object is in exactly one class list (by_class) for updates.
 * Ownership: all arrays belong to the Traffic; they grow only when a page is
 * published (amortised doubling), never on a pick.
 * Not here: caches and invalidation (the host), visitors (churn.c).
 */
#include "workload/traffic.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/rng.h"

G_DEFINE_QUARK(traffic-error-quark, traffic_error)

#define NS_PER_DAY 86400e9
#define KB 1024.0

/* A growable array of T with a count and a capacity. */
#define GROW(ptr, n, cap, type, need)                       \
  do {                                                      \
    if ((size_t)(n) + (need) > (cap)) {                     \
      size_t nc_ = (cap) ? (cap) : 64;                      \
      while (nc_ < (size_t)(n) + (need)) nc_ *= 2;          \
      (ptr) = g_renew(type, (ptr), nc_);                    \
      (cap) = nc_;                                          \
    }                                                       \
  } while (0)

typedef struct Site {
  uint32_t first_page, n_static;
  double *w;                      /* static weights, invariant (1) */
  double w_static;
  gsl_ran_discrete_t *alias;      /* Zipf mode */
  /* footprint deck, invariant (3) */
  uint64_t *k;                    /* target requests per static page */
  uint64_t *deck;                 /* Fenwick, 1-based, n_static + 1 */
  uint64_t deck_left, deck_size;
  /* new pages, invariant (2) */
  uint32_t *new_page;
  double *new_v;
  double *newfw;                  /* Fenwick, 1-based */
  size_t n_new, cap_new;          /* newfw has cap_new + 1 slots */
  double new_sum;
  SimTime t_ref;
  double w0;
  /* template objects shared by all pages of the site */
  uint32_t *tmpl;
  uint32_t n_tmpl;
} Site;

struct Traffic {
  TrafficParams p;
  TrafficFlash *flash;
  bool footprint;
  Site *sites;
  /* pages */
  uint32_t n_pages;
  size_t cap_pages;
  uint32_t *page_site, *page_off, *page_cnt;
  /* page object lists */
  uint32_t *pobj;
  size_t n_pobj, cap_pobj;
  /* objects */
  uint32_t n_obj;
  size_t cap_obj;
  uint64_t *obj_size;
  uint32_t *obj_version;
  uint8_t *obj_class;
  uint32_t *by_class[TRAFFIC_N_CLASSES];  /* invariant (4) */
  size_t n_class[TRAFFIC_N_CLASSES], cap_class[TRAFFIC_N_CLASSES];
  /* pending changes */
  SimTime next_publish, next_update;
  SimTime last_change;
  gsl_rng *rng_cat, *rng_pub, *rng_upd, *rng_pick;
};

void traffic_params_init_defaults(TrafficParams *p) {
  memset(p, 0, sizeof *p);
  p->n_sites = 1;
  p->n_countries = 1;
  p->pages_per_site = 10000;
  p->zipf_alpha = 0.8;
  p->footprint_path = NULL;
  p->footprint_objects = 100000;
  /* HTTP Archive Web Almanac 2024, desktop median page: bytes per type;
   * request counts per type: see WORKLOAD.md. */
  p->cls[TRAFFIC_HTML] = (TrafficClassParams){1, 18 * KB, 0.8, 0.0, 1.0};
  p->cls[TRAFFIC_CSS] = (TrafficClassParams){7, 78 * KB, 1.0, 1.0, 1.0 / 7};
  p->cls[TRAFFIC_JS] = (TrafficClassParams){24, 613 * KB, 1.2, 0.8, 1.0 / 7};
  p->cls[TRAFFIC_IMAGE] = (TrafficClassParams){18, 1054 * KB, 1.3, 0.15, 0.01};
  p->cls[TRAFFIC_FONT] = (TrafficClassParams){3, 131 * KB, 0.6, 1.0, 0.0};
  p->cls[TRAFFIC_BLOB] = (TrafficClassParams){1, 0, 0, 0, 0.01};
  p->count_dispersion = 2.0;
  p->publish_per_day = 24;
  p->new_page_rank = 10;
  p->new_page_decay_ns = (SimTime)(12 * 3600e9);
  p->flash = NULL;
  p->n_flash = 0;
}

/* ---- footprint file ---------------------------------------------------- */

static gboolean fp_fail(GError **error, const char *path, unsigned line, const char *fmt,
                        const char *tok) {
  g_autofree char *msg = g_strdup_printf(fmt, tok ? tok : "");
  g_set_error(error, TRAFFIC_ERROR, TRAFFIC_ERROR_PARSE, "%s:%u: %s", path, line, msg);
  return FALSE;
}

static bool parse_num(const char *s, double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v)) return false;
  *out = v;
  return true;
}

void traffic_footprint_free(TrafficFootprint *f) {
  if (!f) return;
  g_free(f->k);
  g_free(f->size_kb);
  g_free(f->fraction);
  g_free(f);
}

TrafficFootprint *traffic_footprint_load(const char *path, GError **error) {
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents(path, &text, &len, &local)) {
    g_set_error(error, TRAFFIC_ERROR, TRAFFIC_ERROR_FILE, "%s: %s", path, local->message);
    return NULL;
  }
  g_autoptr(TrafficFootprint) f = g_new0(TrafficFootprint, 1);
  size_t cap = 0;
  uint64_t k = 0;
  bool have_k = false;
  unsigned line = 0;
  char *p = text;
  while (p && *p) {
    char *nl = strchr(p, '\n');
    if (nl) *nl = '\0';
    line++;
    char *cr = strchr(p, '\r');
    if (cr) *cr = '\0';
    g_strstrip(p);
    if (*p && *p != '#') {
      g_auto(GStrv) tok = g_strsplit_set(p, " \t", -1);
      const char *t[3] = {NULL, NULL, NULL};
      int nt = 0;
      for (char **q = tok; *q; q++) {
        if (!**q) continue;
        if (nt == 3) { nt = 4; break; }
        t[nt++] = *q;
      }
      double a = 0, b = 0;
      if (nt == 1) {
        if (!parse_num(t[0], &a) || a < 1 || a != floor(a) || a > 1e15) {
          fp_fail(error, path, line, "request count '%s' is not an integer >= 1", t[0]);
          return NULL;
        }
        k = (uint64_t)a;
        have_k = true;
      } else if (nt == 2) {
        if (!have_k) {
          fp_fail(error, path, line, "'size fraction' line before any request count%s", NULL);
          return NULL;
        }
        if (!parse_num(t[0], &a) || a < 0) {
          fp_fail(error, path, line, "size '%s' is not a number >= 0", t[0]);
          return NULL;
        }
        if (!parse_num(t[1], &b) || !(b > 0) || b > 1) {
          fp_fail(error, path, line, "fraction '%s' is not a number in (0, 1]", t[1]);
          return NULL;
        }
        GROW(f->k, f->n, cap, uint64_t, 1);
        f->size_kb = g_renew(double, f->size_kb, cap);
        f->fraction = g_renew(double, f->fraction, cap);
        f->k[f->n] = k;
        f->size_kb[f->n] = a;
        f->fraction[f->n] = b;
        f->n++;
      } else {
        fp_fail(error, path, line,
                "expected a request count or 'size_KB fraction', got '%s'", p);
        return NULL;
      }
    }
    p = nl ? nl + 1 : NULL;
  }
  if (f->n == 0) {
    g_set_error(error, TRAFFIC_ERROR, TRAFFIC_ERROR_PARSE, "%s:%u: no objects in the footprint",
                path, line);
    return NULL;
  }
  double sum = 0;
  for (uint32_t i = 0; i < f->n; i++) sum += f->fraction[i];
  if (fabs(sum - 1) > 1e-3) {
    g_set_error(error, TRAFFIC_ERROR, TRAFFIC_ERROR_PARSE,
                "%s:%u: the fractions sum to %.6g, not 1", path, line, sum);
    return NULL;
  }
  for (uint32_t i = 0; i < f->n; i++) f->fraction[i] /= sum;
  return g_steal_pointer(&f);
}

/* ---- Fenwick trees ----------------------------------------------------- */

static void fw_u64_build(uint64_t *t, const uint64_t *v, size_t n) {
  for (size_t i = 1; i <= n; i++) t[i] = v[i - 1];
  for (size_t i = 1; i <= n; i++) {
    size_t j = i + (i & -i);
    if (j <= n) t[j] += t[i];
  }
}

/* Smallest index i (0-based) with prefix(i) > u; decrements it by one. */
static size_t fw_u64_take(uint64_t *t, size_t n, uint64_t u) {
  size_t pos = 0, step = 1;
  while (step * 2 <= n) step *= 2;
  for (; step; step /= 2)
    if (pos + step <= n && t[pos + step] <= u) {
      pos += step;
      u -= t[pos];
    }
  for (size_t i = pos + 1; i <= n; i += i & -i) t[i]--;
  return pos;
}

static void fw_dbl_build(double *t, const double *v, size_t n) {
  for (size_t i = 1; i <= n; i++) t[i] = v[i - 1];
  for (size_t i = 1; i <= n; i++) {
    size_t j = i + (i & -i);
    if (j <= n) t[j] += t[i];
  }
}

static size_t fw_dbl_find(const double *t, size_t n, double u) {
  size_t pos = 0, step = 1;
  while (step * 2 <= n) step *= 2;
  for (; step; step /= 2)
    if (pos + step <= n && t[pos + step] <= u) {
      pos += step;
      u -= t[pos];
    }
  return pos < n ? pos : n - 1;   /* rounding at the very top */
}

/* ---- catalogue --------------------------------------------------------- */

static uint32_t add_object(Traffic *t, TrafficClass cls, uint64_t size) {
  size_t cap = t->cap_obj;
  GROW(t->obj_size, t->n_obj, t->cap_obj, uint64_t, 1);
  if (t->cap_obj != cap) { /* a realloc per object moves big arrays each time (ASan: mmap) */
    t->obj_version = g_renew(uint32_t, t->obj_version, t->cap_obj);
    t->obj_class = g_renew(uint8_t, t->obj_class, t->cap_obj);
  }
  g_assert_true(t->n_obj < UINT32_MAX);
  uint32_t o = t->n_obj++;
  t->obj_size[o] = size ? size : 1;
  t->obj_version[o] = 0;
  t->obj_class[o] = (uint8_t)cls;
  GROW(t->by_class[cls], t->n_class[cls], t->cap_class[cls], uint32_t, 1);
  t->by_class[cls][t->n_class[cls]++] = o;
  return o;
}

static uint64_t draw_size(Traffic *t, gsl_rng *r, TrafficClass cls) {
  const TrafficClassParams *cp = &t->p.cls[cls];
  double mean = cp->bytes / cp->count;
  double zeta = log(mean) - cp->size_sigma * cp->size_sigma / 2;   /* E = mean */
  double s = round(gsl_ran_lognormal(r, zeta, cp->size_sigma));
  return s < 1 ? 1 : s > 1e15 ? (uint64_t)1e15 : (uint64_t)s;
}

static uint32_t begin_page(Traffic *t, uint32_t site) {
  GROW(t->page_site, t->n_pages, t->cap_pages, uint32_t, 1);
  t->page_off = g_renew(uint32_t, t->page_off, t->cap_pages);
  t->page_cnt = g_renew(uint32_t, t->page_cnt, t->cap_pages);
  uint32_t pg = t->n_pages++;
  t->page_site[pg] = site;
  t->page_off[pg] = (uint32_t)t->n_pobj;
  t->page_cnt[pg] = 0;
  return pg;
}

static void page_add(Traffic *t, uint32_t pg, uint32_t obj) {
  GROW(t->pobj, t->n_pobj, t->cap_pobj, uint32_t, 1);
  g_assert_true(t->n_pobj < UINT32_MAX);
  t->pobj[t->n_pobj++] = obj;
  t->page_cnt[pg]++;
}

static const TrafficClass embedded[] = {TRAFFIC_CSS, TRAFFIC_JS, TRAFFIC_IMAGE, TRAFFIC_FONT};

/* A composed page (Zipf mode): HTML, the site template, page-specific objects. */
static uint32_t make_page(Traffic *t, uint32_t site, gsl_rng *r) {
  Site *s = &t->sites[site];
  uint32_t pg = begin_page(t, site);
  page_add(t, pg, add_object(t, TRAFFIC_HTML, draw_size(t, r, TRAFFIC_HTML)));
  for (uint32_t i = 0; i < s->n_tmpl; i++) page_add(t, pg, s->tmpl[i]);
  for (size_t c = 0; c < G_N_ELEMENTS(embedded); c++) {
    const TrafficClassParams *cp = &t->p.cls[embedded[c]];
    double mu = cp->count * (1 - cp->shared);
    if (!(mu > 0)) continue;
    double n = t->p.count_dispersion;
    unsigned cnt = gsl_ran_negative_binomial(r, n / (n + mu), n);
    for (unsigned i = 0; i < cnt; i++)
      page_add(t, pg, add_object(t, embedded[c], draw_size(t, r, embedded[c])));
  }
  return pg;
}

static void build_zipf_site(Traffic *t, uint32_t site) {
  Site *s = &t->sites[site];
  uint32_t n = t->p.pages_per_site;
  for (size_t c = 0; c < G_N_ELEMENTS(embedded); c++) {
    const TrafficClassParams *cp = &t->p.cls[embedded[c]];
    uint32_t m = (uint32_t)lround(cp->count * cp->shared);
    s->tmpl = g_renew(uint32_t, s->tmpl, s->n_tmpl + m);
    for (uint32_t i = 0; i < m; i++)
      s->tmpl[s->n_tmpl++] = add_object(t, embedded[c], draw_size(t, t->rng_cat, embedded[c]));
  }
  s->first_page = t->n_pages;
  s->n_static = n;
  s->w = g_new(double, n);
  s->w_static = 0;
  for (uint32_t i = 0; i < n; i++) {
    s->w[i] = pow((double)(i + 1), -t->p.zipf_alpha);
    s->w_static += s->w[i];
    make_page(t, site, t->rng_cat);
  }
  s->alias = gsl_ran_discrete_preproc(n, s->w);
  s->w0 = pow(t->p.new_page_rank, -t->p.zipf_alpha);
}

/* Footprint -> n objects by quantile slices of equal object mass, entries
 * ordered by (k, size): each object takes the mean k and mean size of its
 * slice, k rounded stochastically (mean preserved). Pages in rank order. */
static void build_footprint_site(Traffic *t, uint32_t site, const TrafficFootprint *f,
                                 const uint32_t *order) {
  Site *s = &t->sites[site];
  uint32_t n = t->p.footprint_objects;
  uint64_t *k = g_new(uint64_t, n);
  double *size = g_new(double, n);
  uint32_t pos = 0;
  double rem = f->fraction[order[0]];
  for (uint32_t i = 0; i < n; i++) {
    double need = 1.0 / n, sk = 0, ss = 0, got = 0;
    while (need > 1e-300 && pos < f->n) {
      uint32_t e = order[pos];
      double take = rem < need ? rem : need;
      sk += take * (double)f->k[e];
      ss += take * f->size_kb[e];
      got += take;
      rem -= take;
      need -= take;
      if (rem <= 1e-15 * f->fraction[e] || rem <= 0) {
        if (++pos < f->n) rem = f->fraction[order[pos]];
      }
    }
    if (!(got > 0)) {   /* rounding left the last slice empty: reuse the top entry */
      uint32_t e = order[f->n - 1];
      sk = (double)f->k[e];
      ss = f->size_kb[e];
      got = 1;
    }
    double mk = sk / got, fl = floor(mk);
    uint64_t kk = (uint64_t)fl + (gsl_rng_uniform(t->rng_cat) < mk - fl ? 1 : 0);
    k[n - 1 - i] = kk < 1 ? 1 : kk;                 /* rank 1 = largest k */
    size[n - 1 - i] = ss / got;
  }
  s->first_page = t->n_pages;
  s->n_static = n;
  s->k = k;
  s->w = g_new(double, n);
  s->w_static = 0;
  s->deck_size = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t pg = begin_page(t, site);
    page_add(t, pg, add_object(t, TRAFFIC_BLOB, (uint64_t)llround(size[i] * KB)));
    s->w[i] = (double)k[i];
    s->w_static += s->w[i];
    s->deck_size += k[i];
  }
  g_free(size);
  s->deck = g_new(uint64_t, (size_t)n + 1);
  fw_u64_build(s->deck, k, n);
  s->deck_left = s->deck_size;
  uint32_t r = (uint32_t)lround(t->p.new_page_rank);
  s->w0 = s->w[(r < 1 ? 1 : r > n ? n : r) - 1];
}

static const TrafficFootprint *sort_fp;
static int cmp_fp(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  const TrafficFootprint *f = sort_fp;
  if (f->k[x] != f->k[y]) return f->k[x] < f->k[y] ? -1 : 1;
  if (f->size_kb[x] != f->size_kb[y]) return f->size_kb[x] < f->size_kb[y] ? -1 : 1;
  return (x > y) - (x < y);
}

/* ---- changes ----------------------------------------------------------- */

static double update_rate_per_ns(const Traffic *t) {
  double r = 0;
  for (int c = 0; c < TRAFFIC_N_CLASSES; c++)
    r += t->p.cls[c].updates_per_day / NS_PER_DAY * (double)t->n_class[c];
  return r;
}

static SimTime draw_after(gsl_rng *r, SimTime from, double rate_per_ns) {
  if (!(rate_per_ns > 0)) return INT64_MAX;
  double dt = ceil(gsl_ran_exponential(r, 1.0 / rate_per_ns));
  if (dt < 1) dt = 1;
  if (dt > 9e18 - (double)from) return INT64_MAX;
  return from + (SimTime)dt;
}

static gboolean check_params(const TrafficParams *p, GError **error) {
  const char *why = NULL;
  bool fp = p->footprint_path && *p->footprint_path;
  if (p->n_sites == 0) why = "n_sites must be >= 1";
  else if (p->n_countries == 0) why = "n_countries must be >= 1";
  else if (!fp && p->pages_per_site == 0) why = "pages_per_site must be >= 1";
  else if (fp && p->footprint_objects == 0) why = "footprint_objects must be >= 1";
  else if (!(p->zipf_alpha >= 0 && p->zipf_alpha <= 5)) why = "zipf_alpha must be in [0, 5]";
  else if (!(p->count_dispersion > 0)) why = "count_dispersion must be > 0";
  else if (!(p->publish_per_day >= 0)) why = "publish_per_day must be >= 0";
  else if (!(p->new_page_rank >= 1)) why = "new_page_rank must be >= 1";
  else if (p->new_page_decay_ns <= 0) why = "new_page_decay must be > 0";
  for (int c = 0; !why && c < TRAFFIC_N_CLASSES; c++) {
    const TrafficClassParams *cp = &p->cls[c];
    if (!(cp->updates_per_day >= 0)) why = "updates_per_day must be >= 0";
    else if (c == TRAFFIC_BLOB) continue;
    else if (!(cp->count > 0) || !(cp->bytes >= 1)) why = "class count and bytes must be > 0";
    else if (!(cp->size_sigma >= 0 && cp->size_sigma <= 5)) why = "size_sigma must be in [0, 5]";
    else if (!(cp->shared >= 0 && cp->shared <= 1)) why = "shared must be in [0, 1]";
  }
  for (uint32_t i = 0; !why && i < p->n_flash; i++) {
    const TrafficFlash *f = &p->flash[i];
    uint32_t n = fp ? p->footprint_objects : p->pages_per_site;
    if (f->site >= p->n_sites) why = "flash crowd: site out of range";
    else if (f->country >= p->n_countries) why = "flash crowd: country out of range";
    else if (f->page_rank < 1 || f->page_rank > n) why = "flash crowd: page_rank out of range";
    else if (!(f->factor >= 1)) why = "flash crowd: factor must be >= 1";
    else if (f->rise_ns < 0 || f->decay_ns <= 0) why = "flash crowd: rise >= 0, decay > 0";
  }
  if (why) {
    g_set_error(error, TRAFFIC_ERROR, TRAFFIC_ERROR_PARAM, "traffic: %s", why);
    return FALSE;
  }
  return TRUE;
}

Traffic *traffic_new(const TrafficParams *p, uint64_t seed, GError **error) {
  if (!check_params(p, error)) return NULL;
  g_autoptr(TrafficFootprint) fp = NULL;
  bool footprint = p->footprint_path && *p->footprint_path;
  if (footprint && !(fp = traffic_footprint_load(p->footprint_path, error))) return NULL;
  Traffic *t = g_new0(Traffic, 1);
  t->p = *p;
  t->p.footprint_path = NULL;   /* borrowed: not kept */
  t->footprint = footprint;
  t->flash = g_memdup2(p->flash, sizeof *p->flash * p->n_flash);
  t->p.flash = t->flash;
  t->rng_cat = rng_stream_new(seed, RNG_CONTENT, 0);
  t->rng_pub = rng_stream_new(seed, RNG_CONTENT, 1);
  t->rng_upd = rng_stream_new(seed, RNG_CONTENT, 2);
  t->rng_pick = rng_stream_new(seed, RNG_TRAFFIC, 0);
  t->sites = g_new0(Site, p->n_sites);
  uint32_t *order = NULL;
  if (footprint) {
    order = g_new(uint32_t, fp->n);
    for (uint32_t i = 0; i < fp->n; i++) order[i] = i;
    sort_fp = fp;
    qsort(order, fp->n, sizeof *order, cmp_fp);   /* total order: ties on index */
    sort_fp = NULL;
  }
  for (uint32_t s = 0; s < p->n_sites; s++) {
    if (footprint) build_footprint_site(t, s, fp, order);
    else build_zipf_site(t, s);
  }
  g_free(order);
  t->next_publish = draw_after(t->rng_pub, 0, p->publish_per_day * p->n_sites / NS_PER_DAY);
  t->next_update = draw_after(t->rng_upd, 0, update_rate_per_ns(t));
  return t;
}

void traffic_free(Traffic *t) {
  if (!t) return;
  for (uint32_t s = 0; t->sites && s < t->p.n_sites; s++) {
    Site *si = &t->sites[s];
    if (si->alias) gsl_ran_discrete_free(si->alias);
    g_free(si->w);
    g_free(si->k);
    g_free(si->deck);
    g_free(si->new_page);
    g_free(si->new_v);
    g_free(si->newfw);
    g_free(si->tmpl);
  }
  g_free(t->sites);
  g_free(t->flash);
  g_free(t->page_site);
  g_free(t->page_off);
  g_free(t->page_cnt);
  g_free(t->pobj);
  g_free(t->obj_size);
  g_free(t->obj_version);
  g_free(t->obj_class);
  for (int c = 0; c < TRAFFIC_N_CLASSES; c++) g_free(t->by_class[c]);
  if (t->rng_cat) gsl_rng_free(t->rng_cat);
  if (t->rng_pub) gsl_rng_free(t->rng_pub);
  if (t->rng_upd) gsl_rng_free(t->rng_upd);
  if (t->rng_pick) gsl_rng_free(t->rng_pick);
  g_free(t);
}

/* ---- popularity -------------------------------------------------------- */

static double tau_ns(const Traffic *t) { return (double)t->p.new_page_decay_ns; }

static double new_weight_total(const Traffic *t, const Site *s, SimTime now) {
  if (s->n_new == 0) return 0;
  return s->w0 * s->new_sum * exp(-(double)(now - s->t_ref) / tau_ns(t));
}

/* Flash multiplier at now: 1 before the start, linear rise, exp decay. */
static double flash_factor(const TrafficFlash *f, SimTime now) {
  if (now < f->start_ns) return 1;
  SimTime age = now - f->start_ns;
  if (age < f->rise_ns) return 1 + (f->factor - 1) * (double)age / (double)f->rise_ns;
  return 1 + (f->factor - 1) * exp(-(double)(age - f->rise_ns) / (double)f->decay_ns);
}

/* Extra weight (m - 1) * w of flash crowd i for (site, country), else 0. */
static double flash_extra(const Traffic *t, uint32_t i, uint32_t site, uint32_t country,
                          SimTime now) {
  const TrafficFlash *f = &t->flash[i];
  if (f->site != site || f->country != country) return 0;
  return (flash_factor(f, now) - 1) * t->sites[site].w[f->page_rank - 1];
}

static uint32_t draw_static(Traffic *t, Site *s) {
  if (!t->footprint) return s->first_page + (uint32_t)gsl_ran_discrete(t->rng_pick, s->alias);
  if (s->deck_left == 0) {                       /* a new deck, invariant (3) */
    fw_u64_build(s->deck, s->k, s->n_static);
    s->deck_left = s->deck_size;
  }
  uint64_t u = rng_next64(t->rng_pick) % s->deck_left;  /* bias < deck / 2^64 */
  size_t i = fw_u64_take(s->deck, s->n_static, u);
  s->deck_left--;
  return s->first_page + (uint32_t)i;
}

uint32_t traffic_pick_page(Traffic *t, uint32_t site, uint32_t country, SimTime now) {
  g_assert_true(site < t->p.n_sites);
  g_assert_true(country < t->p.n_countries);
  Site *s = &t->sites[site];
  double w_new = new_weight_total(t, s, now);
  double base = s->w_static + w_new;
  double extra = 0;
  for (uint32_t i = 0; i < t->p.n_flash; i++) extra += flash_extra(t, i, site, country, now);
  double u = gsl_rng_uniform(t->rng_pick) * (base + extra);
  if (u < extra) {                               /* the mixing step of a flash crowd */
    for (uint32_t i = 0; i < t->p.n_flash; i++) {
      double x = flash_extra(t, i, site, country, now);
      if (x > 0 && (u < x || i + 1 == t->p.n_flash)) return s->first_page + t->flash[i].page_rank - 1;
      u -= x;
    }
  }
  u -= extra;
  if (u < w_new) {
    double target = u / w_new * s->new_sum;
    size_t j = fw_dbl_find(s->newfw, s->n_new, target);
    return s->new_page[j];
  }
  return draw_static(t, s);
}

double traffic_page_prob(const Traffic *t, uint32_t site, uint32_t country, uint32_t page,
                         SimTime now) {
  g_assert_true(site < t->p.n_sites && page < t->n_pages);
  const Site *s = &t->sites[site];
  if (t->page_site[page] != site) return 0;
  double w_new = new_weight_total(t, s, now);
  double total = s->w_static + w_new, w = 0;
  for (uint32_t i = 0; i < t->p.n_flash; i++)
    total += flash_extra(t, i, site, country, now);
  if (page >= s->first_page && page < s->first_page + s->n_static) {
    uint32_t r = page - s->first_page;
    w = s->w[r];
    for (uint32_t i = 0; i < t->p.n_flash; i++)
      if (t->flash[i].page_rank - 1 == r) w += flash_extra(t, i, site, country, now);
  } else {
    for (size_t j = 0; j < s->n_new; j++)
      if (s->new_page[j] == page)
        w = s->w0 * s->new_v[j] * exp(-(double)(now - s->t_ref) / tau_ns(t));
  }
  return w / total;
}

/* ---- publications and updates ----------------------------------------- */

static void add_new_page(Traffic *t, Site *s, uint32_t pg, SimTime now) {
  double tau = tau_ns(t);
  if (s->n_new == 0) s->t_ref = now;
  double x = (double)(now - s->t_ref) / tau;
  bool rebuild = false;
  if (x > 30) {                                  /* rebase t_ref: keeps exp() finite */
    double f = exp(-x);
    for (size_t j = 0; j < s->n_new; j++) s->new_v[j] *= f;
    s->t_ref = now;
    x = 0;
    rebuild = true;
  }
  if (s->n_new == s->cap_new) {
    s->cap_new = s->cap_new ? 2 * s->cap_new : 64;
    s->new_page = g_renew(uint32_t, s->new_page, s->cap_new);
    s->new_v = g_renew(double, s->new_v, s->cap_new);
    s->newfw = g_renew(double, s->newfw, s->cap_new + 1);
    rebuild = true;
  }
  size_t j = s->n_new++;
  s->new_page[j] = pg;
  s->new_v[j] = exp(x);
  if (rebuild) {
    fw_dbl_build(s->newfw, s->new_v, s->n_new);
  } else {
    /* node j+1 covers v[lo .. j], lo = j+1 - lowbit(j+1): amortised O(log n) */
    size_t lo = (j + 1) - ((j + 1) & -(j + 1));
    double acc = 0;
    for (size_t q = lo; q <= j; q++) acc += s->new_v[q];
    s->newfw[j + 1] = acc;
  }
  s->new_sum = 0;
  for (size_t q = s->n_new; q > 0; q -= q & -q) s->new_sum += s->newfw[q];
}

void traffic_next_change(const Traffic *t, TrafficChange *out) {
  memset(out, 0, sizeof *out);
  if (t->next_publish == INT64_MAX && t->next_update == INT64_MAX) {
    out->at_ns = INT64_MAX;
    out->kind = TRAFFIC_CHANGE_NONE;
    return;
  }
  /* ties: publication first (fixed rule) */
  out->kind = t->next_publish <= t->next_update ? TRAFFIC_CHANGE_PUBLISH : TRAFFIC_CHANGE_UPDATE;
  out->at_ns = out->kind == TRAFFIC_CHANGE_PUBLISH ? t->next_publish : t->next_update;
}

void traffic_apply_change(Traffic *t, TrafficChange *out) {
  TrafficChange ch;
  traffic_next_change(t, &ch);
  if (ch.kind == TRAFFIC_CHANGE_PUBLISH) {
    uint32_t site = (uint32_t)gsl_rng_uniform_int(t->rng_pub, t->p.n_sites);
    Site *s = &t->sites[site];
    uint32_t pg;
    if (t->footprint) {
      /* size of a uniformly drawn catalogue object: the footprint's size law */
      uint32_t like = (uint32_t)gsl_rng_uniform_int(t->rng_pub, s->n_static);
      uint64_t size = t->obj_size[t->pobj[t->page_off[s->first_page + like]]];
      pg = begin_page(t, site);
      page_add(t, pg, add_object(t, TRAFFIC_BLOB, size));
    } else {
      pg = make_page(t, site, t->rng_pub);
    }
    add_new_page(t, s, pg, ch.at_ns);
    ch.site = site;
    ch.page = pg;
    ch.object = t->pobj[t->page_off[pg]];
    t->next_publish = draw_after(t->rng_pub, ch.at_ns,
                                 t->p.publish_per_day * t->p.n_sites / NS_PER_DAY);
    /* the update rate grew: redraw (exact: exponential gaps are memoryless) */
    t->next_update = draw_after(t->rng_upd, ch.at_ns, update_rate_per_ns(t));
  } else if (ch.kind == TRAFFIC_CHANGE_UPDATE) {
    double u = gsl_rng_uniform(t->rng_upd) * update_rate_per_ns(t);
    int c = 0;
    for (; c < TRAFFIC_N_CLASSES - 1; c++) {
      double r = t->p.cls[c].updates_per_day / NS_PER_DAY * (double)t->n_class[c];
      if (u < r && t->n_class[c] > 0) break;
      u -= r;
    }
    while (t->n_class[c] == 0 || !(t->p.cls[c].updates_per_day > 0)) c--;  /* rounding */
    uint32_t o = t->by_class[c][gsl_rng_uniform_int(t->rng_upd, t->n_class[c])];
    ch.object = o;
    ch.version = ++t->obj_version[o];
    ch.page = UINT32_MAX;
    ch.site = UINT32_MAX;
    t->next_update = draw_after(t->rng_upd, ch.at_ns, update_rate_per_ns(t));
  } else {
    g_assert_true(ch.kind != TRAFFIC_CHANGE_NONE && "no change to apply");
  }
  t->last_change = ch.at_ns;
  if (out) *out = ch;
}

void traffic_advance(Traffic *t, SimTime now) {
  TrafficChange ch;
  for (traffic_next_change(t, &ch); ch.kind != TRAFFIC_CHANGE_NONE && ch.at_ns <= now;
       traffic_next_change(t, &ch))
    traffic_apply_change(t, NULL);
}

/* ---- accessors --------------------------------------------------------- */

const uint32_t *traffic_page_objects(const Traffic *t, uint32_t page, uint32_t *count) {
  g_assert_true(page < t->n_pages);
  *count = t->page_cnt[page];
  return t->pobj + t->page_off[page];
}

uint32_t traffic_page_site(const Traffic *t, uint32_t page) {
  g_assert_true(page < t->n_pages);
  return t->page_site[page];
}

uint64_t traffic_object_size(const Traffic *t, uint32_t object) {
  g_assert_true(object < t->n_obj);
  return t->obj_size[object];
}

TrafficClass traffic_object_class(const Traffic *t, uint32_t object) {
  g_assert_true(object < t->n_obj);
  return (TrafficClass)t->obj_class[object];
}

uint32_t traffic_object_version(const Traffic *t, uint32_t object) {
  g_assert_true(object < t->n_obj);
  return t->obj_version[object];
}

uint32_t traffic_n_pages(const Traffic *t) { return t->n_pages; }
uint32_t traffic_n_objects(const Traffic *t) { return t->n_obj; }

uint32_t traffic_site_first_page(const Traffic *t, uint32_t site) {
  g_assert_true(site < t->p.n_sites);
  return t->sites[site].first_page;
}

uint64_t traffic_deck_size(const Traffic *t, uint32_t site) {
  g_assert_true(site < t->p.n_sites);
  return t->sites[site].deck_size;
}

uint64_t traffic_page_target_requests(const Traffic *t, uint32_t page) {
  g_assert_true(page < t->n_pages);
  const Site *s = &t->sites[t->page_site[page]];
  if (!s->k || page < s->first_page || page >= s->first_page + s->n_static) return 0;
  return s->k[page - s->first_page];
}
