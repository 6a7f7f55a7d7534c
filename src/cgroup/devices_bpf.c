/* Device rules on cgroup v2: an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE, attached to the container's group.
 *
 * The kernel runs the program on every device access (open, mknod) with
 * { access_type = access << 16 | type, major, minor } and allows the access
 * when it returns 1. OCI rules are applied in order, later ones overriding
 * earlier ones, as v1's devices.allow/deny writes do. The program checks the
 * rules from the last to the first and tracks the requested access bits
 * still undecided (r3): a matching deny rule covering any of them refuses, a
 * matching allow rule settles the bits it covers, and the access is allowed
 * once none is left. Bits no rule decides are allowed, like a new v1 group
 * under the root; OCI configs start with a deny-all rule for that reason. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "cgroup/internal.h"
#include "util/array.h"
#include "util/cleanup.h"

/* Registers: r1 context, r2 device type, r3 undecided access bits, r4 major,
 * r5 minor, r0 result. */
enum { R0, R1, R2, R3, R4, R5 };

struct program {
  struct bpf_insn *insns;
  size_t n, cap;
  bool oom;
};

static size_t emit(struct program *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
                   int32_t imm) {
  if (array_reserve_sz((void **)&p->insns, &p->cap, p->n + 1, sizeof *p->insns) < 0) {
    p->oom = true;
    return p->n;
  }
  p->insns[p->n] = (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off,
                                     .imm = imm};
  return p->n++;
}

/* A conditional jump whose target is patched once known. */
static size_t emit_jump(struct program *p, uint8_t op, uint8_t reg, int32_t imm) {
  return emit(p, BPF_JMP | op | BPF_K, reg, 0, 0, imm);
}

static void patch(struct program *p, size_t at, size_t target) {
  if (!p->oom)
    p->insns[at].off = (int16_t)(target - at - 1);
}

static int32_t access_bits(const char *access) {
  int32_t bits = 0;
  for (const char *c = access; *c; c++)
    bits |= *c == 'r' ? BPF_DEVCG_ACC_READ : *c == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
  return bits;
}

int cgroup_devices_program(const struct device_rule *rules, size_t n, struct bpf_insn **out) {
  struct program p = {0};
  /* exits[] collects jumps to the final "allow" and "deny" blocks */
  size_t *to_allow = calloc(n + 1, sizeof *to_allow), *to_deny = calloc(n + 1, sizeof *to_deny);
  size_t n_allow = 0, n_deny = 0;
  if (!to_allow || !to_deny) {
    free(to_allow);
    free(to_deny);
    return -1;
  }
  emit(&p, BPF_LDX | BPF_W | BPF_MEM, R2, R1, 0, 0); /* access_type */
  emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, R3, R2, 0, 0);
  emit(&p, BPF_ALU64 | BPF_RSH | BPF_K, R3, 0, 0, 16);
  emit(&p, BPF_ALU64 | BPF_AND | BPF_K, R2, 0, 0, 0xffff);
  emit(&p, BPF_LDX | BPF_W | BPF_MEM, R4, R1, 4, 0); /* major */
  emit(&p, BPF_LDX | BPF_W | BPF_MEM, R5, R1, 8, 0); /* minor */
  for (size_t i = n; i-- > 0;) {
    const struct device_rule *r = &rules[i];
    size_t skips[3], n_skips = 0;
    if (r->type != 'a')
      skips[n_skips++] = emit_jump(&p, BPF_JNE, R2,
                                   r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
    if (r->major >= 0)
      skips[n_skips++] = emit_jump(&p, BPF_JNE, R4, (int32_t)r->major);
    if (r->minor >= 0)
      skips[n_skips++] = emit_jump(&p, BPF_JNE, R5, (int32_t)r->minor);
    int32_t bits = access_bits(r->access);
    if (r->allow) {
      emit(&p, BPF_ALU64 | BPF_AND | BPF_K, R3, 0, 0, ~bits);
      to_allow[n_allow++] = emit_jump(&p, BPF_JEQ, R3, 0);
    } else {
      to_deny[n_deny++] = emit_jump(&p, BPF_JSET, R3, bits);
    }
    for (size_t s = 0; s < n_skips; s++)
      patch(&p, skips[s], p.n);
  }
  size_t allow_at = emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 1);
  emit(&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  size_t deny_at = emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 0);
  emit(&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  for (size_t i = 0; i < n_allow; i++)
    patch(&p, to_allow[i], allow_at);
  for (size_t i = 0; i < n_deny; i++)
    patch(&p, to_deny[i], deny_at);
  free(to_allow);
  free(to_deny);
  if (p.oom) {
    free(p.insns);
    return -1;
  }
  *out = p.insns;
  return (int)p.n;
}

static long bpf(int cmd, union bpf_attr *attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof *attr);
}

static int load_program(const struct device_rule *rules, size_t n, err_t *e) {
  _cleanup_free_ struct bpf_insn *insns = NULL;
  int count = cgroup_devices_program(rules, n, &insns);
  if (count < 0)
    return err_sys(e, "device rules: build the eBPF program");
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = (uint32_t)count;
  attr.license = (uint64_t)(uintptr_t) "GPL";
  int fd = (int)bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    return fd;
  if (errno != EACCES && errno != EINVAL)
    return err_sys(e, "device rules: load the eBPF program (BPF_PROG_LOAD)");
  /* The verifier refused it: load again to get its reason. */
  char log[4096] = "";
  attr.log_level = 1;
  attr.log_buf = (uint64_t)(uintptr_t)log;
  attr.log_size = sizeof log;
  fd = (int)bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    return fd;
  return err_sys(e, "device rules: the kernel refused the eBPF program: %.200s", log);
}

int cgroup_devices_bpf_query(int dirfd, uint32_t *ids, uint32_t cap, uint32_t *flags) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.query.target_fd = (uint32_t)dirfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  attr.query.prog_cnt = cap;
  if (bpf(BPF_PROG_QUERY, &attr) < 0)
    return -1;
  *flags = attr.query.attach_flags;
  return (int)attr.query.prog_cnt;
}

int cgroup_devices_bpf_install(const char *dir, const struct device_rule *rules, size_t n,
                               err_t *e) {
  _cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return err_sys(e, "device rules: open %s", dir);
  _cleanup_close_ int prog = load_program(rules, n, e);
  if (prog < 0)
    return -1;
  uint32_t old_ids[64], old_flags = 0;
  int n_old = cgroup_devices_bpf_query(dirfd, old_ids, 64, &old_flags);
  if (n_old < 0)
    return err_sys(e, "device rules: query the programs on %s", dir);
  /* A program attached without BPF_F_ALLOW_MULTI is replaced by attaching
   * the same way; ours are attached with it, then the old ones detached,
   * so the group is never without a filter. */
  uint32_t flags = n_old && !(old_flags & BPF_F_ALLOW_MULTI) ? 0 : BPF_F_ALLOW_MULTI;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)dirfd;
  attr.attach_bpf_fd = (uint32_t)prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = flags;
  if (bpf(BPF_PROG_ATTACH, &attr) < 0)
    return err_sys(e, "device rules: attach the eBPF program to %s", dir);
  for (int i = 0; flags && i < n_old && i < 64; i++) {
    memset(&attr, 0, sizeof attr);
    attr.prog_id = old_ids[i];
    _cleanup_close_ int old = (int)bpf(BPF_PROG_GET_FD_BY_ID, &attr);
    if (old < 0)
      continue; /* gone already */
    memset(&attr, 0, sizeof attr);
    attr.target_fd = (uint32_t)dirfd;
    attr.attach_bpf_fd = (uint32_t)old;
    attr.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
      return err_sys(e, "device rules: detach the previous program from %s", dir);
  }
  return 0;
}
