/*
 * test_world_data.c: every defect of countries.csv is an error that names
 * the file, the line and (for a field) the column.
 *
 * Each case writes a small valid file into a fresh temporary directory,
 * applies one defect, loads it and checks the error domain, code and
 * message; the valid file itself must load.
 */
#include "world/world.h"

#include <string.h>

#include <glib/gstdio.h>

static const char *const header =
    "iso2,name,region,tz,lat,lon,spread_km,zone_rule,users,users_year,"
    "dl_p10,dl_p25,dl_p50,dl_p75,dl_p90,ul_p10,ul_p25,ul_p50,ul_p75,ul_p90,"
    "rtt_p10,rtt_p50,rtt_p90,bw_source,rtt_source\n";
static const char *const row_us =
    "US,United States,North America,America/New_York,40.7142,-74.0064,2288,x,"
    "324430689,2022,5,20,100,300,600,1,5,20,50,100,2.7,15.0,45.8,m,m\n";
static const char *const row_de =
    "DE,Germany,Europe & Central Asia,Europe/Berlin,52.5,13.3667,0,x,"
    "77021071,2023,5,20,50,100,200,1,5,19,40,80,6.6,17.4,36.0,m,m\n";
static const char *const row_fr =
    "FR,France,Europe & Central Asia,Europe/Paris,48.8667,2.3333,0,x,"
    "59372031,2023,5,20,100,300,600,1,5,50,100,200,2.9,16.3,42.9,m,m\n";

typedef struct Fixture {
  char *dir;
  char *path;
} Fixture;

static void setup(Fixture *f, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp("world-data-XXXXXX", &error);
  g_assert_no_error(error);
  f->path = g_build_filename(f->dir, "countries.csv", NULL);
}

static void teardown(Fixture *f, gconstpointer data) {
  (void)data;
  g_remove(f->path);
  g_rmdir(f->dir);
  g_free(f->path);
  g_free(f->dir);
}

static void write_file(Fixture *f, const char *text) {
  g_autoptr(GError) error = NULL;
  g_file_set_contents(f->path, text, -1, &error);
  g_assert_no_error(error);
}

static World *load(Fixture *f, GError **error) {
  WorldParams p;
  world_params_init_defaults(&p);
  p.data_dir = f->dir;
  p.n_countries = 0;
  p.n_networks = 10;
  return world_load(&p, 1, error);
}

/* The file with the text, expected to fail with code at line, naming col. */
static void expect(Fixture *f, const char *text, int code, unsigned line,
                   const char *col) {
  write_file(f, text);
  g_autoptr(GError) error = NULL;
  World *w = load(f, &error);
  g_assert_null(w);
  g_assert_error(error, WORLD_ERROR, code);
  g_test_message("%s", error->message);
  g_autofree char *where = g_strdup_printf("%s:%u:", f->path, line);
  g_assert_true(g_str_has_prefix(error->message, where));
  if (col) {
    g_autofree char *named = g_strdup_printf("'%s'", col);
    g_assert_nonnull(strstr(error->message, named));
  }
}

/* The valid file with the first occurrence of from replaced by to. */
static char *defect(const char *from, const char *to) {
  g_autofree char *text = g_strconcat("# comment\n", header, row_us, row_de, row_fr, NULL);
  const char *at = strstr(text, from);
  g_assert_nonnull(at);
  return g_strdup_printf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

static void test_valid(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *text = g_strconcat("# comment\n\n", header, row_us, "# mid\n",
                                      row_de, row_fr, NULL);
  write_file(f, text);
  g_autoptr(GError) error = NULL;
  g_autoptr(World) w = load(f, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(world_n_countries(w), ==, 3);
  g_assert_cmpstr(world_country(w, 1)->tz, ==, "Europe/Berlin");
  g_assert_cmpfloat(world_country(w, 2)->dl_mbps[WORLD_P90], ==, 600);
  /* CRLF line ends are accepted too */
  g_autofree char *h = g_strndup(header, strlen(header) - 1);
  g_autofree char *r = g_strndup(row_fr, strlen(row_fr) - 1);
  g_autofree char *text2 = g_strconcat(h, "\r\n", r, "\r\n", NULL);
  write_file(f, text2);
  g_autoptr(World) w2 = load(f, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(world_n_countries(w2), ==, 1);
}

static void test_missing_file(Fixture *f, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  World *w = load(f, &error);
  g_assert_null(w);
  g_assert_error(error, WORLD_ERROR, WORLD_ERROR_FILE);
  g_assert_true(g_str_has_prefix(error->message, f->path));
}

static void test_empty(Fixture *f, gconstpointer data) {
  (void)data;
  expect(f, "", WORLD_ERROR_EMPTY, 1, NULL);
  expect(f, "# only\n# comments\n", WORLD_ERROR_EMPTY, 3, NULL);
  g_autofree char *only_header = g_strconcat("# c\n", header, NULL);
  expect(f, only_header, WORLD_ERROR_EMPTY, 2, NULL);
}

static void test_missing_column(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *t = defect("rtt_p50,", "");
  expect(f, t, WORLD_ERROR_PARSE, 2, "rtt_p50");
  g_autofree char *t2 = defect("tz,", "zone,");
  expect(f, t2, WORLD_ERROR_PARSE, 2, "tz");
  g_autofree char *t3 = defect("lon,", "lat,");
  expect(f, t3, WORLD_ERROR_PARSE, 2, "lat");     /* lat twice, lon missing */
}

static void test_field_count(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *t = defect(",Germany,", ",Germany,extra,");
  expect(f, t, WORLD_ERROR_PARSE, 4, NULL);
  g_autofree char *t2 = defect(",m,m\nFR", ",m\nFR");
  expect(f, t2, WORLD_ERROR_PARSE, 4, NULL);
}

static void test_bad_numbers(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *t1 = defect("52.5,", "52.5x,");
  expect(f, t1, WORLD_ERROR_PARSE, 4, "lat");
  g_autofree char *t2 = defect("52.5,", "95,");
  expect(f, t2, WORLD_ERROR_PARSE, 4, "lat");
  g_autofree char *t3 = defect("13.3667,", ",");
  expect(f, t3, WORLD_ERROR_PARSE, 4, "lon");
  g_autofree char *t4 = defect("77021071", "-5");
  expect(f, t4, WORLD_ERROR_PARSE, 4, "users");
  g_autofree char *t5 = defect("77021071", "7.5e7");
  expect(f, t5, WORLD_ERROR_PARSE, 4, "users");
  g_autofree char *t6 = defect("6.6,17.4", "6.6,nan");
  expect(f, t6, WORLD_ERROR_PARSE, 4, "rtt_p50");
  g_autofree char *t7 = defect("59372031,2023,5,20,100", "59372031,2023,5,20,inf");
  expect(f, t7, WORLD_ERROR_PARSE, 5, "dl_p50");
  g_autofree char *t8 = defect(",0,x,77021071", ",-3,x,77021071");
  expect(f, t8, WORLD_ERROR_PARSE, 4, "spread_km");
}

static void test_percentile_order(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *t = defect("1,5,19,40,80", "1,5,19,4,80");
  expect(f, t, WORLD_ERROR_PARSE, 4, "ul_p75");
  g_autofree char *t2 = defect("6.6,17.4,36.0", "6.6,17.4,16.0");
  expect(f, t2, WORLD_ERROR_PARSE, 4, "rtt_p90");
  g_autofree char *t3 = defect("5,20,50,100,200", "5,2,50,100,200");
  expect(f, t3, WORLD_ERROR_PARSE, 4, "dl_p25");
}

static void test_duplicate_country(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *t = defect("FR,France", "DE,France");
  expect(f, t, WORLD_ERROR_DUPLICATE, 5, "iso2");
  g_autoptr(GError) error = NULL;
  g_assert_null(load(f, &error));
  g_assert_nonnull(strstr(error->message, "first on line 4"));
}

static void test_bad_code(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *t = defect("FR,France", "fr,France");
  expect(f, t, WORLD_ERROR_PARSE, 5, "iso2");
  g_autofree char *t2 = defect("FR,France", "FRA,France");
  expect(f, t2, WORLD_ERROR_PARSE, 5, "iso2");
  g_autofree char *t3 = defect("FR,France", "FR,");
  expect(f, t3, WORLD_ERROR_PARSE, 5, "name");
}

static void test_unknown_zone(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *t = defect("Europe/Paris", "Europe/Atlantis");
  expect(f, t, WORLD_ERROR_ZONE, 5, "tz");
  g_autofree char *t2 = defect("Europe/Paris", "");
  expect(f, t2, WORLD_ERROR_ZONE, 5, "tz");
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add("/world/data/" name, Fixture, NULL, setup, fn, teardown)
  ADD("valid", test_valid);
  ADD("missing-file", test_missing_file);
  ADD("empty", test_empty);
  ADD("missing-column", test_missing_column);
  ADD("field-count", test_field_count);
  ADD("bad-numbers", test_bad_numbers);
  ADD("percentile-order", test_percentile_order);
  ADD("duplicate-country", test_duplicate_country);
  ADD("bad-code", test_bad_code);
  ADD("unknown-zone", test_unknown_zone);
#undef ADD
  return g_test_run();
}
