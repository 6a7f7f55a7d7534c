/* A layer archive (tar, tar+gzip, tar+zstd) unpacked as the image store and
 * `capsule pull` do, into a directory that is emptied after each input.
 *
 * The harness is its own jail: at start it creates a private directory
 * (mkdtemp under $TMPDIR) and, with Landlock, forbids itself every write
 * outside that directory and the ones libFuzzer writes to (the corpus
 * directories on the command line, the artifact prefix's directory, the
 * working directory, /dev/null). A write that escapes the layer then fails
 * instead of touching the host, and an escape into the private directory
 * (anything next to the layer) is a crash. A helper process forked before
 * the jail removes the private directory when the harness exits, however it
 * exits. $TMPDIR becomes a directory inside the private one, so the
 * processes libFuzzer starts (-fork, -jobs, -merge, -minimize_crash), jailed
 * by inheritance, make their own private directories there. Run it as root,
 * as the image store does: owners, device nodes and trusted.* xattrs are
 * then exercised too. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/landlock.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "fuzz.h"
#include "image/decompress.h"
#include "image/unpack.h"
#include "util/cleanup.h"
#include "util/sha256.h"

#define LAYER "layer"
#define NESTED_TMP "tmp" /* $TMPDIR from here on */
#define NESTED_ENV "CAPSULE_FUZZ_UNPACK_TMP" /* the same, for the processes started */

static char base_path[PATH_MAX]; /* the private directory */
static char parent_tmp[PATH_MAX]; /* started by a jailed harness: its NESTED_TMP */
static int base_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Remove the private directory once the harness is gone: the child waits for
 * EOF on a pipe whose write end only the harness holds. */
static void start_cleaner(void) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    fuzz_die("pipe: %m");
  pid_t pid = fork();
  if (pid < 0)
    fuzz_die("fork: %m");
  if (pid == 0) {
    close(p[1]);
    setsid(); /* not in the harness's process group: a ^C there leaves us alone */
    char c;
    while (read(p[0], &c, 1) < 0 && errno == EINTR)
      ;
    err_t e = ERR_INIT;
    remove_tree_at(AT_FDCWD, base_path, &e);
    _exit(0);
  }
  close(p[0]); /* p[1] stays open (close-on-exec) for the harness's lifetime */
}

static void allow_writes(int ruleset, const char *path, uint64_t access) {
  _cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0)
    return; /* nothing there to write to */
  struct stat st;
  if (fstat(fd, &st) < 0)
    fuzz_die("stat %s: %m", path);
  if (!S_ISDIR(st.st_mode))
    access &= LANDLOCK_ACCESS_FS_WRITE_FILE; /* the only write right a file takes */
  struct landlock_path_beneath_attr rule = {.allowed_access = access, .parent_fd = fd};
  if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) < 0)
    fuzz_die("landlock: allow %s: %m", path);
}

/* The directory a libFuzzer path option writes into ("-artifact_prefix=out/x-"). */
static void allow_option_dir(int ruleset, const char *arg, const char *opt, uint64_t access) {
  size_t n = strlen(opt);
  if (strncmp(arg, opt, n))
    return;
  char dir[PATH_MAX];
  snprintf(dir, sizeof(dir), "%s", arg + n);
  char *slash = strrchr(dir, '/');
  if (!slash)
    snprintf(dir, sizeof(dir), ".");
  else
    slash[slash == dir] = '\0'; /* "/x" -> "/" */
  allow_writes(ruleset, dir, access);
}

static void jail(int argc, char **argv) {
  uint64_t access = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                    LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
                    LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                    LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
  long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 1) {
    fprintf(stderr, "layer_unpack: Landlock unavailable (%m): writes are not confined\n");
    return;
  }
  if (abi >= 2)
    access |= LANDLOCK_ACCESS_FS_REFER; /* rename and link across directories */
  struct landlock_ruleset_attr attr = {.handled_access_fs = access};
  _cleanup_close_ int ruleset =
      (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
  if (ruleset < 0)
    fuzz_die("landlock: create ruleset: %m");
  allow_writes(ruleset, base_path, access);
  allow_writes(ruleset, ".", access);
  allow_writes(ruleset, "/dev/null", access);
  if (*parent_tmp) /* libFuzzer's control files for -fork and -merge are there */
    allow_writes(ruleset, parent_tmp, access);
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] != '-') {
      allow_writes(ruleset, argv[i], access); /* a corpus directory (an input file: no rule) */
      continue;
    }
    allow_option_dir(ruleset, argv[i], "-artifact_prefix=", access);
    allow_option_dir(ruleset, argv[i], "-exact_artifact_path=", access);
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
      syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
    fuzz_die("landlock: restrict: %m");
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  const char *tmp = getenv("TMPDIR"), *parent = getenv(NESTED_ENV);
  snprintf(parent_tmp, sizeof(parent_tmp), "%s", parent ? parent : "");
  snprintf(base_path, sizeof(base_path), "%s/capsule-fuzz-unpack.XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(base_path))
    fuzz_die("mkdtemp %s: %m", base_path);
  base_fd = open(base_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (base_fd < 0)
    fuzz_die("open %s: %m", base_path);
  char nested[PATH_MAX + 8];
  snprintf(nested, sizeof(nested), "%s/" NESTED_TMP, base_path);
  if (mkdir(nested, 0700) < 0 || setenv("TMPDIR", nested, 1) < 0 ||
      setenv(NESTED_ENV, nested, 1) < 0)
    fuzz_die("mkdir %s: %m", nested);
  start_cleaner();
  jail(*argc, *argv);
  return 0;
}

/* Nothing but the layer may appear in the private directory. */
static void check_confined(void) {
  int fd = openat(base_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    fuzz_die("open %s: %m", base_path);
  _cleanup_closedir_ DIR *d = fdopendir(fd);
  if (!d)
    fuzz_die("opendir %s: %m", base_path);
  struct dirent *de;
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, LAYER) &&
        strcmp(de->d_name, NESTED_TMP))
      fuzz_die("unpack wrote %s/%s, outside the layer", base_path, de->d_name);
}

/* A plain tar's diff id is the digest of the whole input, padding included. */
static void check_result(const uint8_t *data, size_t size, const struct unpack_result *res) {
  enum layer_compression kind;
  err_t e = ERR_INIT;
  if (compression_sniff(data, size, &kind, &e) < 0 || kind != LAYER_TAR)
    return;
  char want[DIGEST_BUF];
  if (sha256_digest(data, size, want, &e) < 0)
    fuzz_die("sha256: %s", e.msg);
  if (res->tar_size != size || strcmp(res->diff_id, want))
    fuzz_die("plain tar of %zu bytes: tar_size %llu, diff id %s (want %s)", size,
             (unsigned long long)res->tar_size, res->diff_id, want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  err_t e = ERR_INIT;
  if (mkdirat(base_fd, LAYER, 0755) < 0)
    fuzz_die("mkdir %s/" LAYER ": %m", base_path);
  int layer = openat(base_fd, LAYER, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (layer < 0)
    fuzz_die("open %s/" LAYER ": %m", base_path);
  int in = fuzz_memfd(data, size);
  struct unpack_result res;
  int r = layer_unpack(in, layer, &res, &e);
  fuzz_check_result("layer_unpack", r, &e);
  if (r == 0)
    check_result(data, size, &res);
  close(in);
  close(layer);
  check_confined();
  if (remove_tree_at(base_fd, LAYER, &e) < 0)
    fuzz_die("the layer cannot be removed: %s", e.msg);
  return 0;
}
