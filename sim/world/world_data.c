/*
 * world_data.c: reading scenarios/world/countries.csv.
 *
 * Format: UTF-8 text, '#' comment lines and blank lines ignored anywhere; the
 * first other line is the header (column names, any order, extra columns
 * ignored); then one country per line, fields separated by ',' with no
 * quoting (the derivation script keeps commas out of names).
 * Invariants of the result (checked here, relied on by world.c):
 *   (1) iso2 is two upper-case ASCII letters, unique in the file;
 *   (2) tz is a zone GLib can load from the system tzdata;
 *   (3) -90 <= lat <= 90, -180 <= lon <= 180, users >= 1;
 *   (4) throughput and minRTT percentiles are > 0 and non-decreasing.
 * Every violation is a GError "file:line: column 'x': what" (WORLD_ERROR).
 * Not here: selection of countries and generation of networks (world.c).
 */
#include "world/world-private.h"

#include <math.h>
#include <string.h>

enum {
  COL_ISO2, COL_NAME, COL_REGION, COL_TZ, COL_LAT, COL_LON, COL_SPREAD,
  COL_USERS,
  COL_DL10, COL_DL25, COL_DL50, COL_DL75, COL_DL90,
  COL_UL10, COL_UL25, COL_UL50, COL_UL75, COL_UL90,
  COL_RTT10, COL_RTT50, COL_RTT90,
  NCOLS
};

static const char *const col_names[NCOLS] = {
  "iso2", "name", "region", "tz", "lat", "lon", "spread_km", "users",
  "dl_p10", "dl_p25", "dl_p50", "dl_p75", "dl_p90",
  "ul_p10", "ul_p25", "ul_p50", "ul_p75", "ul_p90",
  "rtt_p10", "rtt_p50", "rtt_p90",
};

G_DEFINE_QUARK(world-error-quark, world_error)

static gboolean bad_field(GError **error, int code, const char *file,
                          unsigned line, int col, const char *value,
                          const char *what) {
  g_set_error(error, WORLD_ERROR, code, "%s:%u: column '%s': %s (value '%s')",
              file, line, col_names[col], what, value);
  return FALSE;
}

static gboolean parse_double(const char *file, unsigned line, int col,
                             const char *s, double lo, double hi, double *out,
                             GError **error) {
  char *end = NULL;
  if (*s == '\0')
    return bad_field(error, WORLD_ERROR_PARSE, file, line, col, s, "empty number");
  double v = g_ascii_strtod(s, &end);
  if (end == s || *end != '\0' || !isfinite(v))
    return bad_field(error, WORLD_ERROR_PARSE, file, line, col, s, "not a number");
  if (v < lo || v > hi) {
    char what[96];
    g_snprintf(what, sizeof what, "out of range [%g, %g]", lo, hi);
    return bad_field(error, WORLD_ERROR_PARSE, file, line, col, s, what);
  }
  *out = v;
  return TRUE;
}

static gboolean parse_row(const char *file, unsigned line, char **f,
                          const int *idx, WorldCountry *c, GHashTable *seen,
                          GError **error) {
  const char *iso2 = f[idx[COL_ISO2]];
  if (strlen(iso2) != 2 || !g_ascii_isupper(iso2[0]) || !g_ascii_isupper(iso2[1]))
    return bad_field(error, WORLD_ERROR_PARSE, file, line, COL_ISO2, iso2,
                     "not an ISO 3166 alpha-2 code");
  if (g_hash_table_contains(seen, iso2)) {
    g_set_error(error, WORLD_ERROR, WORLD_ERROR_DUPLICATE,
                "%s:%u: column 'iso2': duplicate country '%s' (first on line %u)",
                file, line, iso2,
                GPOINTER_TO_UINT(g_hash_table_lookup(seen, iso2)));
    return FALSE;
  }
  memcpy(c->iso2, iso2, 3);
  if (*f[idx[COL_NAME]] == '\0')
    return bad_field(error, WORLD_ERROR_PARSE, file, line, COL_NAME, "", "empty name");
  const char *tzname = f[idx[COL_TZ]];
  GTimeZone *tz = *tzname ? g_time_zone_new_identifier(tzname) : NULL;
  if (!tz)
    return bad_field(error, WORLD_ERROR_ZONE, file, line, COL_TZ, tzname,
                     "unknown time zone");
  g_time_zone_unref(tz);
  if (!parse_double(file, line, COL_LAT, f[idx[COL_LAT]], -90, 90, &c->lat, error) ||
      !parse_double(file, line, COL_LON, f[idx[COL_LON]], -180, 180, &c->lon, error) ||
      !parse_double(file, line, COL_SPREAD, f[idx[COL_SPREAD]], 0, 20100,
                    &c->spread_km, error))
    return FALSE;
  guint64 users = 0;
  if (!g_ascii_string_to_unsigned(f[idx[COL_USERS]], 10, 1, G_MAXUINT64, &users, NULL))
    return bad_field(error, WORLD_ERROR_PARSE, file, line, COL_USERS,
                     f[idx[COL_USERS]], "not a positive integer");
  c->users = users;
  for (int k = 0; k < WORLD_NPCT; k++) {
    if (!parse_double(file, line, COL_DL10 + k, f[idx[COL_DL10 + k]], 1e-6, 1e6,
                      &c->dl_mbps[k], error) ||
        !parse_double(file, line, COL_UL10 + k, f[idx[COL_UL10 + k]], 1e-6, 1e6,
                      &c->ul_mbps[k], error))
      return FALSE;
    if (k > 0 && c->dl_mbps[k] < c->dl_mbps[k - 1])
      return bad_field(error, WORLD_ERROR_PARSE, file, line, COL_DL10 + k,
                       f[idx[COL_DL10 + k]], "percentiles must not decrease");
    if (k > 0 && c->ul_mbps[k] < c->ul_mbps[k - 1])
      return bad_field(error, WORLD_ERROR_PARSE, file, line, COL_UL10 + k,
                       f[idx[COL_UL10 + k]], "percentiles must not decrease");
  }
  for (int k = 0; k < 3; k++) {
    if (!parse_double(file, line, COL_RTT10 + k, f[idx[COL_RTT10 + k]], 1e-3, 1e4,
                      &c->min_rtt_ms[k], error))
      return FALSE;
    if (k > 0 && c->min_rtt_ms[k] < c->min_rtt_ms[k - 1])
      return bad_field(error, WORLD_ERROR_PARSE, file, line, COL_RTT10 + k,
                       f[idx[COL_RTT10 + k]], "percentiles must not decrease");
  }
  c->name = g_strdup(f[idx[COL_NAME]]);
  c->region = g_strdup(f[idx[COL_REGION]]);
  c->tz = g_strdup(tzname);
  g_hash_table_insert(seen, g_strdup(iso2), GUINT_TO_POINTER(line));
  return TRUE;
}

void world_country_clear(WorldCountry *c) {
  g_free(c->name);
  g_free(c->region);
  g_free(c->tz);
}

static void country_array_free(gpointer p) {
  world_country_clear(p);
}

GArray *world_read_countries(const char *path, GError **error) {
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents(path, &text, &len, &local)) {
    g_set_error(error, WORLD_ERROR, WORLD_ERROR_FILE, "%s: cannot read: %s",
                path, local->message);
    return NULL;
  }
  if (memchr(text, '\0', len)) {
    g_set_error(error, WORLD_ERROR, WORLD_ERROR_PARSE, "%s: contains a NUL byte", path);
    return NULL;
  }
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(WorldCountry));
  g_array_set_clear_func(out, country_array_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  int idx[NCOLS];
  guint n_header = 0;
  unsigned header_line = 0, line = 0;
  for (char **lp = lines; *lp; lp++) {
    line++;
    char *l = *lp;
    size_t n = strlen(l);
    if (n > 0 && l[n - 1] == '\r') l[--n] = '\0';
    const char *t = l;
    while (g_ascii_isspace(*t)) t++;
    if (*t == '\0' || *t == '#') continue;
    g_auto(GStrv) f = g_strsplit(l, ",", -1);
    guint nf = g_strv_length(f);
    if (!header_line) {
      header_line = line;
      n_header = nf;
      for (int c = 0; c < NCOLS; c++) idx[c] = -1;
      for (guint i = 0; i < nf; i++) {
        g_strstrip(f[i]);
        for (int c = 0; c < NCOLS; c++) {
          if (strcmp(f[i], col_names[c]) != 0) continue;
          if (idx[c] >= 0) {
            g_set_error(error, WORLD_ERROR, WORLD_ERROR_PARSE,
                        "%s:%u: column '%s' appears twice in the header",
                        path, line, col_names[c]);
            return NULL;
          }
          idx[c] = (int)i;
        }
      }
      for (int c = 0; c < NCOLS; c++) {
        if (idx[c] < 0) {
          g_set_error(error, WORLD_ERROR, WORLD_ERROR_PARSE,
                      "%s:%u: missing column '%s' in the header", path, line,
                      col_names[c]);
          return NULL;
        }
      }
      continue;
    }
    if (nf != n_header) {
      g_set_error(error, WORLD_ERROR, WORLD_ERROR_PARSE,
                  "%s:%u: %u fields where the header (line %u) has %u",
                  path, line, nf, header_line, n_header);
      return NULL;
    }
    for (guint i = 0; i < nf; i++) g_strstrip(f[i]);
    WorldCountry c = {0};
    if (!parse_row(path, line, f, idx, &c, seen, error)) {
      world_country_clear(&c);
      return NULL;
    }
    g_array_append_val(out, c);
  }
  if (!header_line) {
    g_set_error(error, WORLD_ERROR, WORLD_ERROR_EMPTY,
                "%s:%u: empty file (no header line)", path, line ? line : 1);
    return NULL;
  }
  if (out->len == 0) {
    g_set_error(error, WORLD_ERROR, WORLD_ERROR_EMPTY,
                "%s:%u: no country rows after the header", path, header_line);
    return NULL;
  }
  return g_steal_pointer(&out);
}
