#include "runtime/seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

const char *const seccomp_action_names[] = {
    "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", NULL};

const char *const seccomp_op_names[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",
                                        "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                                        "SCMP_CMP_MASKED_EQ", NULL};

const char *const seccomp_arch_names[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",     "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",  "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",    "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", NULL};

const char *const seccomp_flag_names[] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                          "SECCOMP_FILTER_FLAG_SPEC_ALLOW", NULL};

static void cleanup_scmp_ctx(scmp_filter_ctx *ctx) {
  if (*ctx)
    seccomp_release(*ctx);
}

/* The action word with its errno/trace value: `errno_key` of `holder`,
 * EPERM when absent (runtime-spec); `where` names it in errors. */
static int parse_action(const char *name, json_t *holder, const char *errno_key, const char *where,
                        uint32_t *out, bool *notify, err_t *e) {
  uint32_t ret = EPERM;
  int has_errno = json_opt_u32(holder, errno_key, where, &ret, e);
  if (has_errno < 0)
    return -1;
  if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
    *out = SCMP_ACT_KILL_THREAD;
  else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS"))
    *out = SCMP_ACT_KILL_PROCESS;
  else if (!strcmp(name, "SCMP_ACT_TRAP"))
    *out = SCMP_ACT_TRAP;
  else if (!strcmp(name, "SCMP_ACT_ERRNO"))
    *out = SCMP_ACT_ERRNO(ret & 0xffff);
  else if (!strcmp(name, "SCMP_ACT_TRACE"))
    *out = SCMP_ACT_TRACE(ret & 0xffff);
  else if (!strcmp(name, "SCMP_ACT_ALLOW"))
    *out = SCMP_ACT_ALLOW;
  else if (!strcmp(name, "SCMP_ACT_LOG"))
    *out = SCMP_ACT_LOG;
  else if (!strcmp(name, "SCMP_ACT_NOTIFY")) {
    *out = SCMP_ACT_NOTIFY;
    *notify = true;
  } else
    return err_set(e, EINVAL, "%s: unknown seccomp action \"%s\"", where, name);
  /* The spec requires an error, not silence, for an errno nobody returns. */
  if (has_errno && strcmp(name, "SCMP_ACT_ERRNO") && strcmp(name, "SCMP_ACT_TRACE"))
    return err_set(e, EINVAL, "%s.%s: %s returns no errno (only SCMP_ACT_ERRNO and "
                              "SCMP_ACT_TRACE do)", where, errno_key, name);
  return 0;
}

static int parse_op(const char *name, enum scmp_compare *op) {
  static const enum scmp_compare ops[] = {SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ,
                                          SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ};
  for (int i = 0; seccomp_op_names[i]; i++)
    if (!strcmp(name, seccomp_op_names[i])) {
      *op = ops[i];
      return 0;
    }
  return -1;
}

static int parse_arg(json_t *a, const char *where, struct scmp_arg_cmp *out, err_t *e) {
  if (!json_is_object(a))
    return err_set(e, EINVAL, "%s: expected an object, got %s", where, json_type_name(a));
  uint32_t index = 0;
  uint64_t value = 0, two = 0;
  const char *op = NULL;
  int has_index = json_opt_u32(a, "index", where, &index, e);
  if (has_index < 0 || json_opt_u64(a, "value", where, &value, e) < 0 ||
      json_opt_u64(a, "valueTwo", where, &two, e) < 0 || json_opt_str(a, "op", where, &op, e) < 0)
    return -1;
  if (!has_index || index > 5)
    return err_set(e, EINVAL, "%s.index: required, 0 to 5", where);
  if (!op)
    return err_set(e, EINVAL, "%s.op: required", where);
  enum scmp_compare cmp;
  if (parse_op(op, &cmp) < 0)
    return err_set(e, EINVAL, "%s.op: unknown operator \"%s\"", where, op);
  *out = (struct scmp_arg_cmp){.arg = index, .op = cmp, .datum_a = value, .datum_b = two};
  return 0;
}

/* libseccomp ANDs the comparisons of one rule but refuses two on the same
 * argument; as runc does, those become separate rules (ORed). */
static bool repeated_index(const struct scmp_arg_cmp *args, size_t n) {
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (args[i].arg == args[j].arg)
        return true;
  return false;
}

static int add_rules(scmp_filter_ctx ctx, json_t *sc, size_t idx, uint32_t def_action,
                     bool *notify, err_t *e) {
  char where[64];
  snprintf(where, sizeof where, "linux.seccomp.syscalls[%zu]", idx);
  if (!json_is_object(sc))
    return err_set(e, EINVAL, "%s: expected an object, got %s", where, json_type_name(sc));
  _cleanup_strv_ char **names = NULL;
  const char *action_name = NULL;
  if (json_opt_strv(sc, "names", where, &names, e) < 0 ||
      json_opt_str(sc, "action", where, &action_name, e) < 0)
    return -1;
  if (!names || !names[0])
    return err_set(e, EINVAL, "%s.names: required, at least one syscall", where);
  if (!action_name)
    return err_set(e, EINVAL, "%s.action: required", where);
  uint32_t action;
  if (parse_action(action_name, sc, "errnoRet", where, &action, notify, e) < 0)
    return -1;
  json_t *args = NULL;
  if (json_opt_arr(sc, "args", where, &args, e) < 0)
    return -1;
  size_t n_args = args ? json_array_size(args) : 0;
  if (n_args > 6)
    return err_set(e, EINVAL, "%s.args: at most 6 comparisons", where);
  struct scmp_arg_cmp cmps[6];
  for (size_t i = 0; i < n_args; i++) {
    char aw[96];
    snprintf(aw, sizeof aw, "%s.args[%zu]", where, i);
    if (parse_arg(json_array_get(args, i), aw, &cmps[i], e) < 0)
      return -1;
  }
  if (action == def_action)
    return 0; /* libseccomp refuses rules equal to the default; they change nothing */
  for (char **n = names; *n; n++) {
    int nr = seccomp_syscall_resolve_name(*n);
    if (nr == __NR_SCMP_ERROR) {
      /* Profiles list syscalls of newer kernels and other arches. */
      log_debug("seccomp: unknown syscall \"%s\" skipped", *n);
      continue;
    }
    int r;
    if (repeated_index(cmps, n_args)) {
      for (size_t i = 0; i < n_args; i++)
        if ((r = seccomp_rule_add_array(ctx, action, nr, 1, &cmps[i])) < 0)
          return err_set(e, -r, "%s: syscall %s: %s", where, *n, strerror(-r));
    } else if ((r = seccomp_rule_add_array(ctx, action, nr, (unsigned)n_args, cmps)) < 0) {
      return err_set(e, -r, "%s: syscall %s: %s", where, *n, strerror(-r));
    }
  }
  return 0;
}

static int parse_flags(json_t *seccomp, unsigned *flags, err_t *e) {
  _cleanup_strv_ char **names = NULL;
  if (json_opt_strv(seccomp, "flags", "linux.seccomp", &names, e) < 0)
    return -1;
  for (char **f = names; f && *f; f++) {
    if (!strcmp(*f, "SECCOMP_FILTER_FLAG_TSYNC"))
      *flags |= SECCOMP_FILTER_FLAG_TSYNC;
    else if (!strcmp(*f, "SECCOMP_FILTER_FLAG_LOG"))
      *flags |= SECCOMP_FILTER_FLAG_LOG;
    else if (!strcmp(*f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
      *flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    else
      return err_set(e, EINVAL, "linux.seccomp.flags: unknown flag \"%s\"", *f);
  }
  return 0;
}

static int add_archs(scmp_filter_ctx ctx, json_t *seccomp, err_t *e) {
  _cleanup_strv_ char **archs = NULL;
  if (json_opt_strv(seccomp, "architectures", "linux.seccomp", &archs, e) < 0)
    return -1;
  for (char **a = archs; a && *a; a++) {
    if (strncmp(*a, "SCMP_ARCH_", 10))
      return err_set(e, EINVAL, "linux.seccomp.architectures: unknown architecture \"%s\"", *a);
    char lower[32];
    size_t i = 0;
    for (const char *p = *a + 10; *p && i < sizeof lower - 1; p++)
      lower[i++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    lower[i] = '\0';
    uint32_t arch = seccomp_arch_resolve_name(lower);
    if (!arch)
      return err_set(e, EINVAL, "linux.seccomp.architectures: unknown architecture \"%s\"", *a);
    int r = seccomp_arch_add(ctx, arch);
    if (r < 0 && r != -EEXIST)
      return err_set(e, -r, "linux.seccomp.architectures: %s: %s", *a, strerror(-r));
  }
  return 0;
}

static int export_program(scmp_filter_ctx ctx, struct seccomp_filter *f, err_t *e) {
  _cleanup_close_ int mfd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
  if (mfd < 0)
    return err_sys(e, "seccomp: memfd");
  int r = seccomp_export_bpf(ctx, mfd);
  if (r < 0)
    return err_set(e, -r, "seccomp: cannot build the filter: %s", strerror(-r));
  struct stat st;
  if (fstat(mfd, &st) < 0)
    return err_sys(e, "seccomp: memfd");
  size_t n = (size_t)st.st_size / sizeof(struct sock_filter);
  if (n == 0 || n > BPF_MAXINSNS)
    return err_set(e, E2BIG, "seccomp: filter of %zu instructions is too large", n);
  f->insns = malloc(n * sizeof *f->insns);
  if (!f->insns)
    return err_sys(e, "seccomp");
  if (pread(mfd, f->insns, n * sizeof *f->insns, 0) != (ssize_t)(n * sizeof *f->insns))
    return err_sys(e, "seccomp: read filter");
  f->len = (unsigned short)n;
  return 0;
}

int seccomp_compile(json_t *seccomp, struct seccomp_filter **out, err_t *e) {
  struct seccomp_filter *f = calloc(1, sizeof *f);
  if (!f)
    return err_sys(e, "seccomp");
  const char *def_name = NULL;
  uint32_t def_action;
  __attribute__((cleanup(cleanup_scmp_ctx))) scmp_filter_ctx ctx = NULL;
  json_t *syscalls = NULL;
  if (json_opt_str(seccomp, "defaultAction", "linux.seccomp", &def_name, e) < 0 ||
      json_opt_str(seccomp, "listenerPath", "linux.seccomp", &f->listener_path, e) < 0 ||
      json_opt_str(seccomp, "listenerMetadata", "linux.seccomp", &f->listener_metadata, e) < 0 ||
      json_opt_arr(seccomp, "syscalls", "linux.seccomp", &syscalls, e) < 0 ||
      parse_flags(seccomp, &f->flags, e) < 0)
    goto fail;
  if (!def_name) {
    err_set(e, EINVAL, "linux.seccomp.defaultAction: required");
    goto fail;
  }
  if (parse_action(def_name, seccomp, "defaultErrnoRet", "linux.seccomp", &def_action, &f->notify,
                   e) < 0)
    goto fail;
  if (f->notify) {
    err_set(e, EINVAL, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default");
    goto fail;
  }
  if (!(ctx = seccomp_init(def_action))) {
    err_set(e, EINVAL, "linux.seccomp: cannot initialise a filter");
    goto fail;
  }
  /* Raw errno values from libseccomp, not its generic -EINVAL. */
  seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
  if (add_archs(ctx, seccomp, e) < 0)
    goto fail;
  for (size_t i = 0; syscalls && i < json_array_size(syscalls); i++)
    if (add_rules(ctx, json_array_get(syscalls, i), i, def_action, &f->notify, e) < 0)
      goto fail;
  if (f->notify && (!f->listener_path || !*f->listener_path)) {
    err_set(e, EINVAL, "linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY");
    goto fail;
  }
  if (export_program(ctx, f, e) < 0)
    goto fail;
  *out = f;
  return 0;
fail:
  seccomp_filter_free(f);
  return -1;
}

void seccomp_filter_free(struct seccomp_filter *f) {
  if (!f)
    return;
  free(f->insns);
  free(f);
}

int seccomp_load_filter(const struct seccomp_filter *f, int *notify_fd, err_t *e) {
  struct sock_fprog prog = {.len = f->len, .filter = f->insns};
  unsigned flags = f->flags;
  if (f->notify)
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (r < 0)
    return err_sys(e, "load seccomp filter");
  if (notify_fd)
    *notify_fd = f->notify ? (int)r : -1;
  return 0;
}
