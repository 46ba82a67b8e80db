/*
 * test_odd_input.c: valid but unusual input that once came out wrong.
 *   - a scenario name and description with non-ASCII UTF-8, quotes, a
 *     backslash and a tab: `--json` printed C octal escapes (not JSON) for
 *     the name, and the scenario text stored with the run did not load back
 *     to the same values (found by tests/fuzz/fuzz_scenario).
 */
#define _POSIX_C_SOURCE 200809L
#include <sys/wait.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "model/keys.h"

static const char scenario[] =
    "[scenario]\n"
    "name = Caf\xc3\xa9 \"x\" \\\\ \\t y\n"
    "description = \xe2\x82\xac 5, \x1b[1m bold \\\\n not a newline\n"
    "[run]\nduration = 1min\n[peers]\ncount = 20\n";

static const char expect_name[] = "Caf\xc3\xa9 \"x\" \\ \t y";
static const char expect_desc[] = "\xe2\x82\xac 5, \x1b[1m bold \\n not a newline";

static void test_name_and_stored_text(void) {
  g_autofree char *dir = g_dir_make_tmp("meshsim-odd-XXXXXX", NULL);
  g_assert_nonnull(dir);
  g_autofree char *ini = g_build_filename(dir, "odd.ini", NULL);
  g_autofree char *db_path = g_build_filename(dir, "odd.db", NULL);
  g_assert_true(g_file_set_contents(ini, scenario, -1, NULL));

  /* The loader reads what we think the file says. */
  g_autoptr(Config) cfg = model_config_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(config_load_file(cfg, ini, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(config_string(cfg, "scenario", "name"), ==, expect_name);
  g_assert_cmpstr(config_string(cfg, "scenario", "description"), ==, expect_desc);

  const char *bin = g_getenv("MESHSIM_BINARY");
  g_assert_nonnull(bin);
  const char *argv[] = {bin, "run", ini, "--quiet", "--json", "--out", db_path, NULL};
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                             &status, &error));
  g_assert_no_error(error);
  g_assert_true(WIFEXITED(status));
  g_assert_cmpint(WEXITSTATUS(status), ==, 0);
  /* JSON (RFC 8259): UTF-8 as is, \" \\ and \u0009 for the tab. */
  g_assert_true(g_str_has_prefix(out, "{\"scenario\": \"Caf\xc3\xa9 \\\"x\\\" \\\\ \\u0009 y\", "));

  /* The stored scenario text loads back to the same values. */
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  g_assert_cmpint(sqlite3_open(db_path, &db), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_prepare_v2(db, "SELECT scenario_text FROM run", -1, &st, NULL), ==,
                  SQLITE_OK);
  g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
  g_autofree char *text = g_strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  g_autoptr(Config) again = model_config_new();
  g_assert_true(config_load_data(again, "stored.ini", text, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(config_string(again, "scenario", "name"), ==, expect_name);
  g_assert_cmpstr(config_string(again, "scenario", "description"), ==, expect_desc);
  g_autofree char *d1 = config_dump_all(cfg), *d2 = config_dump_all(again);
  g_assert_cmpstr(d1, ==, d2);

  g_unlink(db_path);
  g_autofree char *wal = g_strconcat(db_path, "-wal", NULL), *shm = g_strconcat(db_path, "-shm", NULL);
  g_unlink(wal);
  g_unlink(shm);
  g_unlink(ini);
  g_rmdir(dir);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/odd-input/utf8-quotes-escapes", test_name_and_stored_text);
  return g_test_run();
}
