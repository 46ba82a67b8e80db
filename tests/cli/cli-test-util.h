/*
 * cli-test-util.h: helpers shared by the tests that run the meshsim
 * binary: a temporary directory fixture, running meshsim, writing scenario
 * files, querying a results database.
 */
#ifndef TESTS_CLI_CLI_TEST_UTIL_H
#define TESTS_CLI_CLI_TEST_UTIL_H

#define _POSIX_C_SOURCE 200809L
#include <sys/wait.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

typedef struct {
  char *dir;
} Fixture;

static inline void fx_setup(Fixture *f, gconstpointer data) {
  (void)data;
  f->dir = g_dir_make_tmp("meshsim-test-XXXXXX", NULL);
  g_assert_nonnull(f->dir);
}

static inline void rm_rf(const char *path) {
  if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
    g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
      g_autofree char *p = g_build_filename(path, n, NULL);
      rm_rf(p);
    }
    g_rmdir(path);
  } else {
    g_unlink(path);
  }
}

static inline void fx_teardown(Fixture *f, gconstpointer data) {
  (void)data;
  rm_rf(f->dir);
  g_free(f->dir);
}

static inline char *source_path(const char *rel) {
  return g_build_filename(g_getenv("MESHSIM_SOURCE_DIR"), rel, NULL);
}

static inline GPtrArray *argv_of(const char *const *args) {
  GPtrArray *argv = g_ptr_array_new();
  const char *b = g_getenv("MESHSIM_BINARY");
  g_assert_nonnull(b);
  g_ptr_array_add(argv, (gpointer)b);
  for (guint i = 0; args[i]; i++) g_ptr_array_add(argv, (gpointer)args[i]);
  g_ptr_array_add(argv, NULL);
  return argv;
}

/* Run meshsim with args in dir; returns the exit status (-1 if killed). */
static inline int run_meshsim(const char *dir, const char *const *args, char **out, char **err) {
  g_autoptr(GPtrArray) argv = argv_of(args);
  int status = 0;
  g_autoptr(GError) e = NULL;
  gboolean ok = g_spawn_sync(dir, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out,
                             err, &status, &e);
  g_assert_no_error(e);
  g_assert_true(ok);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return -1;
}

static inline char *write_file(const char *dir, const char *name, const char *text) {
  char *p = g_build_filename(dir, name, NULL);
  g_assert_true(g_file_set_contents(p, text, -1, NULL));
  return p;
}

/* Every row of a query as "a|b|c\n" lines. (transfer full) */
static inline char *db_dump(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_stmt *st = NULL;
  g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
  GString *s = g_string_new(NULL);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    for (int c = 0; c < sqlite3_column_count(st); c++) {
      const unsigned char *t = sqlite3_column_text(st, c);
      g_string_append_printf(s, "%s%s", c ? "|" : "", t ? (const char *)t : "NULL");
    }
    g_string_append_c(s, '\n');
  }
  g_assert_cmpint(rc, ==, SQLITE_DONE);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return g_string_free(s, FALSE);
}

static inline gint64 db_count(const char *path, const char *sql) {
  g_autofree char *d = db_dump(path, sql);
  return g_ascii_strtoll(d, NULL, 10);
}

#endif
