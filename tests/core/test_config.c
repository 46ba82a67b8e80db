/*
 * test_config.c: scenario files: units, extends, --set, and one test per
 * class of bad input, each checking the exact FILE:LINE: [section] key form.
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "core/config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static const ConfigKey keys[] = {
  {"scenario", "name", CONFIG_STRING, "", "", 0, 0, NULL, "name"},
  {"scenario", "extends", CONFIG_STRING, "", "", 0, 0, NULL, "base"},
  {"run", "duration", CONFIG_DURATION, "1h", "ns", 1, 1e18, NULL, "horizon"},
  {"run", "seed", CONFIG_INT, "1", "", 0, 1e15, NULL, "seed"},
  {"peers", "count", CONFIG_INT, "100", "", 1, 1e8, NULL, "peers"},
  {"peers", "upload", CONFIG_RATE, "4Mbit/s", "bit/s", 1, 1e12, NULL, "upload"},
  {"peers", "share", CONFIG_DOUBLE, "0.5", "", 0, 1, NULL, "a share"},
  {"peers", "mobile", CONFIG_BOOL, "false", "", 0, 0, NULL, "a flag"},
  {"cache", "capacity", CONFIG_SIZE, "64MB", "bytes", 1, 1e15, NULL, "capacity"},
  {"cache", "policy", CONFIG_ENUM, "lru", "", 0, 0, "lru|fifo|s3fifo", "policy"},
};

typedef struct {
  char *dir;
} Fixture;

static void fx_setup(Fixture *f, gconstpointer data) {
  (void)data;
  f->dir = g_dir_make_tmp("meshsim-config-XXXXXX", NULL);
  g_assert_nonnull(f->dir);
}

static void fx_teardown(Fixture *f, gconstpointer data) {
  (void)data;
  g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name(d))) {
    g_autofree char *p = g_build_filename(f->dir, n, NULL);
    g_unlink(p);
  }
  g_rmdir(f->dir);
  g_free(f->dir);
}

static char *write_file(Fixture *f, const char *name, const char *text) {
  char *p = g_build_filename(f->dir, name, NULL);
  g_assert_true(g_file_set_contents(p, text, -1, NULL));
  return p;
}

/* Load text from file `name` and expect an error whose message is exactly
 * "<path>:<suffix>". */
static void expect_error(Fixture *f, const char *text, int code, const char *suffix) {
  g_autofree char *p = write_file(f, "s.ini", text);
  g_autoptr(Config) c = config_new(keys, G_N_ELEMENTS(keys));
  g_autoptr(GError) e = NULL;
  g_assert_false(config_load_file(c, p, &e));
  g_assert_error(e, CONFIG_ERROR, code);
  g_autofree char *want = g_strconcat(p, ":", suffix, NULL);
  g_assert_cmpstr(e->message, ==, want);
}

static void test_units(void) {
  int64_t v;
  double d;
  const char *why;
  g_assert_true(config_parse_duration("30s", &v, &why));
  g_assert_cmpint(v, ==, 30 * INT64_C(1000000000));
  g_assert_true(config_parse_duration("5min", &v, &why));
  g_assert_cmpint(v, ==, 300 * INT64_C(1000000000));
  g_assert_true(config_parse_duration("2h", &v, &why));
  g_assert_cmpint(v, ==, 7200 * INT64_C(1000000000));
  g_assert_true(config_parse_duration("7d", &v, &why));
  g_assert_cmpint(v, ==, 7 * 86400 * INT64_C(1000000000));
  g_assert_true(config_parse_duration("1.5 ms", &v, &why));
  g_assert_cmpint(v, ==, 1500000);
  g_assert_true(config_parse_duration("12", &v, &why)); /* plain = seconds */
  g_assert_cmpint(v, ==, 12 * INT64_C(1000000000));
  g_assert_false(config_parse_duration("3 weeks", &v, &why));
  g_assert_false(config_parse_duration("", &v, &why));
  g_assert_true(config_parse_size("100KB", &v, &why));
  g_assert_cmpint(v, ==, 100000);
  g_assert_true(config_parse_size("4MB", &v, &why));
  g_assert_cmpint(v, ==, 4000000);
  g_assert_true(config_parse_size("1.5GiB", &v, &why));
  g_assert_cmpint(v, ==, 1610612736);
  g_assert_true(config_parse_size("512", &v, &why));
  g_assert_cmpint(v, ==, 512);
  g_assert_false(config_parse_size("12 apples", &v, &why));
  g_assert_true(config_parse_rate("4Mbit/s", &d, &why));
  g_assert_cmpfloat(d, ==, 4e6);
  g_assert_true(config_parse_rate("2Gbit/s", &d, &why));
  g_assert_cmpfloat(d, ==, 2e9);
  g_assert_true(config_parse_rate("1MB/s", &d, &why));
  g_assert_cmpfloat(d, ==, 8e6);
  g_assert_true(config_parse_int("1e5", &v, &why));
  g_assert_cmpint(v, ==, 100000);
  g_assert_true(config_parse_int("-7", &v, &why));
  g_assert_cmpint(v, ==, -7);
  g_assert_false(config_parse_int("1.5", &v, &why));
  g_assert_false(config_parse_int("12x", &v, &why));
  gboolean b;
  g_assert_true(config_parse_bool("Yes", &b, &why));
  g_assert_true(b);
  g_assert_true(config_parse_bool("off", &b, &why));
  g_assert_false(b);
  g_assert_false(config_parse_bool("maybe", &b, &why));
}

static void test_defaults_and_values(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *p = write_file(f, "a.ini",
                                  "# comment\n[run]\nduration = 30min\nseed=1e3\n\n"
                                  "[peers]\ncount = 2e4\nupload = 2 Mbit/s\nmobile = yes\n"
                                  "[cache]\npolicy = s3fifo\ncapacity = 1.5GiB\n");
  g_autoptr(Config) c = config_new(keys, G_N_ELEMENTS(keys));
  g_autoptr(GError) e = NULL;
  g_assert_true(config_load_file(c, p, &e));
  g_assert_no_error(e);
  g_assert_cmpint(config_duration_ns(c, "run", "duration"), ==, 1800 * INT64_C(1000000000));
  g_assert_cmpint(config_int(c, "run", "seed"), ==, 1000);
  g_assert_cmpint(config_int(c, "peers", "count"), ==, 20000);
  g_assert_cmpfloat(config_rate_bps(c, "peers", "upload"), ==, 2e6);
  g_assert_true(config_bool(c, "peers", "mobile"));
  g_assert_cmpfloat(config_double(c, "peers", "share"), ==, 0.5); /* default */
  g_assert_false(config_is_set(c, "peers", "share"));
  g_assert_true(config_is_set(c, "peers", "count"));
  g_assert_cmpstr(config_string(c, "cache", "policy"), ==, "s3fifo");
  g_assert_cmpint(config_size_bytes(c, "cache", "capacity"), ==, 1610612736);
  g_autofree char *dump = config_dump(c);
  g_assert_nonnull(strstr(dump, "[peers]\ncount = 2e4\n"));
  g_assert_null(strstr(dump, "share"));
}

static void test_extends_and_set(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *base = write_file(f, "base.ini", "[peers]\ncount = 10\nshare = 0.25\n");
  g_autofree char *p = write_file(f, "child.ini",
                                  "[scenario]\nextends = base.ini\n[peers]\ncount = 20\n");
  g_autoptr(Config) c = config_new(keys, G_N_ELEMENTS(keys));
  g_autoptr(GError) e = NULL;
  g_assert_true(config_load_file(c, p, &e));
  g_assert_cmpint(config_int(c, "peers", "count"), ==, 20);     /* child wins */
  g_assert_cmpfloat(config_double(c, "peers", "share"), ==, 0.25); /* from base */
  g_assert_true(config_set_arg(c, "peers.count=30", 1, &e));
  g_assert_cmpint(config_int(c, "peers", "count"), ==, 30);
  /* An error about a value names where it was set. */
  g_assert_false(config_fail(c, "peers", "share", &e, "conflicts"));
  g_autofree char *want = g_strconcat(base, ":3: [peers] share: conflicts", NULL);
  g_assert_cmpstr(e->message, ==, want);
  g_clear_error(&e);
  g_assert_false(config_fail(c, "peers", "count", &e, "too many"));
  g_assert_cmpstr(e->message, ==, "--set:1: [peers] count: too many");
}

static void test_err_malformed(Fixture *f, gconstpointer data) {
  (void)data;
  expect_error(f, "[run]\nduration = 1h\nthis is not a key value line\n", CONFIG_ERROR_SYNTAX,
               "3: malformed line 'this is not a key value line' (expected key = value, "
               "[section] or # comment)");
  expect_error(f, "[run\nseed = 1\n", CONFIG_ERROR_SYNTAX, "1: malformed section header '[run'");
  expect_error(f, "seed = 1\n", CONFIG_ERROR_SYNTAX, "1: key 'seed' outside of any [section]");
}

static void test_err_unknown(Fixture *f, gconstpointer data) {
  (void)data;
  expect_error(f, "[run]\nseed = 1\n[bogus]\nx = 1\n", CONFIG_ERROR_UNKNOWN,
               "3: [bogus]: unknown section");
  expect_error(f, "[run]\nseed = 1\nsead = 2\n", CONFIG_ERROR_UNKNOWN,
               "3: [run] sead: unknown key");
}

static void test_err_type(Fixture *f, gconstpointer data) {
  (void)data;
  expect_error(f, "[peers]\ncount = many\n", CONFIG_ERROR_TYPE,
               "2: [peers] count: 'many': not an integer");
  expect_error(f, "[run]\nduration = 3 fortnights\n", CONFIG_ERROR_TYPE,
               "2: [run] duration: '3 fortnights': unknown unit (use ns, us, ms, s, min, h, d)");
  expect_error(f, "[cache]\npolicy = mru\n", CONFIG_ERROR_TYPE,
               "2: [cache] policy: 'mru' is not one of: lru,fifo,s3fifo");
  expect_error(f, "[peers]\nmobile = perhaps\n", CONFIG_ERROR_TYPE,
               "2: [peers] mobile: 'perhaps': not a boolean (use true or false)");
  expect_error(f, "[peers]\ncount = 1, 2\n", CONFIG_ERROR_TYPE,
               "2: [peers] count: '1, 2': a list or range of values is only allowed in a sweep "
               "(meshsim sweep)");
}

static void test_err_range(Fixture *f, gconstpointer data) {
  (void)data;
  expect_error(f, "[peers]\ncount = 0\n", CONFIG_ERROR_RANGE,
               "2: [peers] count: '0' is out of range (must be in [1, 100000000])");
  expect_error(f, "[peers]\nshare = 1.5\n", CONFIG_ERROR_RANGE,
               "2: [peers] share: '1.5' is out of range (must be in [0, 1])");
}

static void test_err_extends(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *missing = g_build_filename(f->dir, "nope.ini", NULL);
  g_autofree char *suffix = g_strdup_printf(
      "2: [scenario] extends: cannot read '%s': no such file", missing);
  expect_error(f, "[scenario]\nextends = nope.ini\n", CONFIG_ERROR_FILE, suffix);
  /* a cycle */
  g_autofree char *a = write_file(f, "a.ini", "[scenario]\nextends = s.ini\n");
  /* s.ini -> a.ini -> s.ini: the error is reported in a.ini */
  g_autofree char *p = write_file(f, "s.ini", "[scenario]\nextends = a.ini\n");
  g_autoptr(Config) c = config_new(keys, G_N_ELEMENTS(keys));
  g_autoptr(GError) e = NULL;
  g_assert_false(config_load_file(c, p, &e));
  g_assert_error(e, CONFIG_ERROR, CONFIG_ERROR_FILE);
  g_assert_true(g_str_has_prefix(e->message, a));
  g_assert_nonnull(strstr(e->message, "(a cycle)"));
}

static void test_err_duplicate(Fixture *f, gconstpointer data) {
  (void)data;
  expect_error(f, "[run]\nseed = 1\n\n[run]\nseed = 2\n", CONFIG_ERROR_SYNTAX,
               "5: [run] seed: duplicate key (first set at line 2)");
}

static void test_err_missing_file(void) {
  g_autoptr(Config) c = config_new(keys, G_N_ELEMENTS(keys));
  g_autoptr(GError) e = NULL;
  g_assert_false(config_load_file(c, "/nonexistent/dir/x.ini", &e));
  g_assert_error(e, CONFIG_ERROR, CONFIG_ERROR_FILE);
  g_assert_true(g_str_has_prefix(e->message, "/nonexistent/dir/x.ini: cannot read scenario"));
}

static void test_err_set(void) {
  g_autoptr(Config) c = config_new(keys, G_N_ELEMENTS(keys));
  g_autoptr(GError) e = NULL;
  g_assert_false(config_set_arg(c, "peerscount=3", 2, &e));
  g_assert_cmpstr(e->message, ==, "--set:2: 'peerscount=3': expected section.key=value");
  g_clear_error(&e);
  g_assert_false(config_set_arg(c, "peers.cont=3", 1, &e));
  g_assert_cmpstr(e->message, ==, "--set:1: [peers] cont: unknown key");
  g_clear_error(&e);
  g_assert_false(config_set_arg(c, "peers.count=-3", 1, &e));
  g_assert_cmpstr(e->message, ==,
                  "--set:1: [peers] count: '-3' is out of range (must be in [1, 100000000])");
  /* a failed --set leaves the old value */
  g_assert_cmpint(config_int(c, "peers", "count"), ==, 100);
}

static void test_lists(void) {
  g_autoptr(Config) c = config_new(keys, G_N_ELEMENTS(keys));
  config_allow_lists(c, TRUE);
  g_autoptr(GError) e = NULL;
  g_assert_true(config_set_arg(c, "peers.count=1e4..1e6 *10", 1, &e));
  g_assert_true(config_set_arg(c, "cache.capacity=16MB, 64MB,256MB", 2, &e));
  g_autoptr(GPtrArray) axes = config_list_keys(c);
  g_assert_cmpuint(axes->len, ==, 2);
  g_assert_cmpstr(g_ptr_array_index(axes, 0), ==, "peers.count");
  g_autoptr(GPtrArray) v = config_expand_list(c, "peers", "count", &e);
  g_assert_no_error(e);
  g_assert_cmpuint(v->len, ==, 3);
  g_assert_cmpstr(g_ptr_array_index(v, 2), ==, "1000000");
  g_autoptr(GPtrArray) w = config_expand_list(c, "cache", "capacity", &e);
  g_assert_cmpuint(w->len, ==, 3);
  g_assert_cmpstr(g_ptr_array_index(w, 1), ==, "64MB");
  /* each element is validated */
  g_assert_false(config_set_arg(c, "peers.count=10, 0", 3, &e));
  g_assert_error(e, CONFIG_ERROR, CONFIG_ERROR_RANGE);
}

static void test_reference(void) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  config_print_reference(keys, G_N_ELEMENTS(keys), f, TRUE);
  fclose(f);
  g_assert_nonnull(strstr(buf, "| `peers.count` | int | `100` |  | 1 .. 100000000 | peers |"));
  g_assert_nonnull(strstr(buf, "| `cache.policy` | choice | `lru` |  | lru/fifo/s3fifo | policy |"));
  free(buf);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/config/units", test_units);
  g_test_add("/config/values", Fixture, NULL, fx_setup, test_defaults_and_values, fx_teardown);
  g_test_add("/config/extends-set", Fixture, NULL, fx_setup, test_extends_and_set, fx_teardown);
  g_test_add("/config/error/malformed", Fixture, NULL, fx_setup, test_err_malformed, fx_teardown);
  g_test_add("/config/error/unknown", Fixture, NULL, fx_setup, test_err_unknown, fx_teardown);
  g_test_add("/config/error/type", Fixture, NULL, fx_setup, test_err_type, fx_teardown);
  g_test_add("/config/error/range", Fixture, NULL, fx_setup, test_err_range, fx_teardown);
  g_test_add("/config/error/extends", Fixture, NULL, fx_setup, test_err_extends, fx_teardown);
  g_test_add("/config/error/duplicate", Fixture, NULL, fx_setup, test_err_duplicate, fx_teardown);
  g_test_add_func("/config/error/missing-file", test_err_missing_file);
  g_test_add_func("/config/error/set", test_err_set);
  g_test_add_func("/config/lists", test_lists);
  g_test_add_func("/config/reference", test_reference);
  return g_test_run();
}
