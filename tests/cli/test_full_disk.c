/*
 * test_full_disk.c: a results database on a full file system. The test
 * mounts a 64 KiB tmpfs (root only; skipped where mounting is not allowed),
 * runs meshsim with --out on it, and expects exit 1, one line on stderr
 * naming the file and the full disk, and no file left behind.
 */
#define _POSIX_C_SOURCE 200809L
#include <sys/wait.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

static gboolean sh(const char *const *argv) {
  int status = 0;
  if (!g_spawn_sync(NULL, (char **)argv, NULL,
                    G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                    NULL, NULL, NULL, NULL, &status, NULL))
    return FALSE;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_full_disk(void) {
  g_autofree char *dir = g_dir_make_tmp("meshsim-full-XXXXXX", NULL);
  g_assert_nonnull(dir);
  const char *mount[] = {"mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir, NULL};
  if (!sh(mount)) {
    g_rmdir(dir);
    g_test_skip("cannot mount a tmpfs here (needs root)");
    return;
  }
  g_autofree char *db = g_build_filename(dir, "r.db", NULL);
  g_autofree char *scn =
      g_build_filename(g_getenv("MESHSIM_SOURCE_DIR"), "scenarios", "bench", "reference.ini", NULL);
  const char *argv[] = {g_getenv("MESHSIM_BINARY"), "run", scn, "--quiet",
                        "--set", "peers.count=200", "--set", "run.duration=10min",
                        "--out", db, NULL};
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                             &status, NULL));
  gboolean left = g_file_test(db, G_FILE_TEST_EXISTS);
  const char *umount[] = {"umount", dir, NULL};
  g_assert_true(sh(umount));
  g_rmdir(dir);
  g_assert_true(WIFEXITED(status));
  g_assert_cmpint(WEXITSTATUS(status), ==, 1);
  g_assert_true(g_str_has_prefix(err, db));
  g_assert_nonnull(strstr(err, "disk is full"));
  g_assert_cmpuint((guint)(strchr(err, '\n') - err + 1), ==, (guint)strlen(err)); /* one line */
  g_assert_false(left);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cli/full-disk", test_full_disk);
  return g_test_run();
}
