/* run --vm: a container's root booted as a QEMU microVM (vm/vm.h) instead
 * of run by the runtime. The container is made as any other (record, pin,
 * its root mounted at merged/, the OCI config built from the image and
 * the flags); then its root is the ext4 image of the image (cached per
 * image under <root>/vm/disks) under a qcow2 overlay in the container's
 * directory, the process's part of the OCI config goes to the guest init,
 * and QEMU runs in the container's cgroup with its stdout, stderr and the
 * guest's reports on pipes (and a socket) we read here; our signals go to
 * the guest's process. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/timefmt.h"
#include "vm/vm.h"

#define VM_MEMORY_DEFAULT_MIB 512
#define VM_MEMORY_MIN_MIB 128
#define VM_CPUS_MAX 64

/* What the guest init needs of the OCI config (capsule-vminit reads it). */
static json_t *guest_config(const json_t *config) {
  json_t *proc = json_object_get(config, "process");
  return json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "args", json_object_get(proc, "args"),
                   "env", json_object_get(proc, "env"), "cwd", json_object_get(proc, "cwd"),
                   "user", json_object_get(proc, "user"), "hostname",
                   json_object_get(config, "hostname"), "readonly",
                   json_object_get(json_object_get(config, "root"), "readonly"));
}

static int vm_size(const struct run_opts *o, unsigned *mib, unsigned *cpus, err_t *e) {
  *mib = o->memory ? (unsigned)(o->memory >> 20) : VM_MEMORY_DEFAULT_MIB;
  if (o->memory && (o->memory >> 20) < VM_MEMORY_MIN_MIB)
    return err_set(e, EINVAL, "--memory: a VM needs at least %dm", VM_MEMORY_MIN_MIB);
  if (o->memory && (o->memory >> 20) > (1 << 20))
    return err_set(e, EINVAL, "--memory: at most 1t for a VM");
  if (o->cpus > VM_CPUS_MAX)
    return err_set(e, EINVAL, "--cpus: at most %d for a VM", VM_CPUS_MAX);
  /* Whole vCPUs: --cpus 0.5 gets one. */
  *cpus = o->cpus > 0 ? (unsigned)o->cpus + ((double)(unsigned)o->cpus < o->cpus) : 1;
  if (*cpus > VM_CPUS_MAX)
    return err_set(e, EINVAL, "--cpus: at most %d for a VM", VM_CPUS_MAX);
  return 0;
}

static int join_cgroup(void *arg) {
  err_t ignored = ERR_INIT;
  return cgroup_attach(arg, getpid(), &ignored) < 0;
}

/* The files of one VM under its container directory. */
struct vm_files {
  char *initrd, *disk, *console, *log;
};

static void vm_files_free(struct vm_files *f) {
  free(f->initrd);
  free(f->disk);
  free(f->console);
  free(f->log);
}

/* Everything QEMU boots from: kernel, initramfs, disks. */
static int prepare_boot(const struct engine *eng, const struct container_record *r,
                        const json_t *config, struct vm_kernel *k, struct vm_files *f,
                        err_t *e) {
  _cleanup_free_ char *cache = eng->vm_cache ? strdup(eng->vm_cache) : path_join(eng->root, "vm");
  _cleanup_free_ char *merged = container_path(eng, r->id, "merged");
  f->initrd = container_path(eng, r->id, "initrd.cpio");
  f->disk = container_path(eng, r->id, "disk.qcow2");
  f->console = container_path(eng, r->id, "console.log");
  f->log = container_path(eng, r->id, "qemu.log");
  if (!cache || !merged || !f->initrd || !f->disk || !f->console || !f->log)
    return err_sys(e, "container %s", r->id);
  if (!eng->vminit)
    return err_set(e, EINVAL, "--vm: no capsule-vminit binary configured");
  if (vm_kernel_find(cache, eng->vm_kernel, k, e) < 0)
    return -1;
  /* The disk is made from the image alone: merged/ holds nothing else yet. */
  const char *key = strchr(r->image_id, ':') ? strchr(r->image_id, ':') + 1 : r->image_id;
  _cleanup_free_ char *base = vm_initramfs_base(cache, k, eng->vminit, e);
  _cleanup_free_ char *disk = base ? vm_disk_base(cache, key, merged, e) : NULL;
  _cleanup_json_ json_t *guest = guest_config(config);
  if (!disk)
    return -1;
  if (!guest)
    return err_set(e, ENOMEM, "the guest's configuration");
  return vm_initramfs_write(base, guest, f->initrd, e) < 0 ? -1 : vm_disk_overlay(disk, f->disk, e);
}

/* Copy what is on `from` (the process's stream 1 or 2) to ours and to
 * the container's log; false at EOF. */
static bool relay(int from, int stream, const struct engine_vm_io *io) {
  char buf[LOG_CHUNK_MAX];
  ssize_t n = read(from, buf, sizeof buf);
  if (n < 0)
    return errno == EINTR || errno == EAGAIN;
  /* A closed stdout does not stop the VM: its output is dropped. */
  if (n > 0 && io->stdio)
    write_all(stream, buf, n);
  if (n > 0 && io->log)
    log_writer_write(io->log, stream, buf, n);
  return n > 0;
}

/* The console's last lines, on one line, for an error message. */
static void console_hint(const char *console, char *out, size_t cap) {
  char tail[600];
  vm_console_tail(console, 4, tail, sizeof tail);
  for (char *c = tail; *c; c++)
    if (*c == '\n')
      *c = '|';
  snprintf(out, cap, "%s", tail[0] ? tail : "(the console is empty)");
}

struct vm_wait {
  const struct engine_vm_io *io;
  pid_t qemu;
  int fds[3]; /* stdout, stderr, status: read ends */
  int sigfd;
  int boot_timeout_ms;
  int signal; /* the one that stopped the wait, 0 if none */
  bool timed_out;
  struct vm_status st;
};

/* Relay stdio and read reports until QEMU closes them all, or the boot
 * deadline passes without the guest's "started". */
static int wait_vm(struct vm_wait *w, err_t *e) {
  int64_t deadline = time_monotonic_ms() + w->boot_timeout_ms;
  int open_fds = 3;
  while (open_fds) {
    struct pollfd p[4] = {{w->fds[0], POLLIN, 0}, {w->fds[1], POLLIN, 0},
                          {w->fds[2], POLLIN, 0}, {w->sigfd, POLLIN, 0}};
    int timeout = w->st.started ? -1 : (int)(deadline - time_monotonic_ms());
    if (!w->st.started && timeout <= 0) {
      w->timed_out = true;
      kill(w->qemu, SIGKILL);
      return 0;
    }
    if (poll(p, 4, timeout) < 0 && errno != EINTR)
      return err_sys(e, "poll");
    for (int i = 0; i < 3; i++) {
      if (w->fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      bool more = i < 2 ? relay(w->fds[i], i + 1, w->io) : vm_status_read(w->fds[i], &w->st, e) > 0;
      if (!more) {
        close(w->fds[i]);
        w->fds[i] = -1;
        p[i].fd = -1;
        open_fds--;
      }
    }
    struct signalfd_siginfo si;
    if ((p[3].revents & POLLIN) && read(w->sigfd, &si, sizeof si) == sizeof si) {
      /* To the guest's process once it runs (its end is then its own
       * status); before, there is none: the VM stops (QEMU quits on
       * SIGTERM). */
      char line[32];
      int n = snprintf(line, sizeof line, "signal %u\n", si.ssi_signo);
      if (!w->st.started || w->fds[2] < 0 || write_all(w->fds[2], line, n) < 0) {
        w->signal = w->signal ? w->signal : (int)si.ssi_signo;
        kill(w->qemu, SIGTERM);
      }
    }
  }
  return 0;
}

/* The outcome: the process's exit status, or why there is none. */
static int outcome(const struct vm_wait *w, int qemu_status, const struct vm_files *f,
                   int *status, err_t *e) {
  char hint[700];
  if (w->st.exited) {
    *status = w->st.code;
    return 0;
  }
  if (w->signal) {
    *status = 128 + w->signal;
    return 0;
  }
  console_hint(f->console, hint, sizeof hint);
  if (w->timed_out)
    return err_set(e, ETIMEDOUT, "the VM did not boot in %d s; its console ends: %s",
                   w->boot_timeout_ms / 1000, hint);
  if (w->st.error[0])
    return err_set(e, EIO, "the VM's init failed: %s", w->st.error);
  char log[300];
  vm_console_tail(f->log, 1, log, sizeof log);
  return err_set(e, EIO, "QEMU exited (status %d) %s: %s; its console ends: %s",
                 WIFEXITED(qemu_status) ? WEXITSTATUS(qemu_status) : 128 + WTERMSIG(qemu_status),
                 w->st.started ? "before the process's end" : "before the guest started",
                 log[0] ? log : "no message", hint);
}

static void close_pipes(int p[3][2]) {
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 2; j++)
      if (p[i][j] >= 0)
        close(p[i][j]);
}

/* Say "ok" or why not on the ready fd, once. */
static void ready(struct engine_vm_io *io, const err_t *e) {
  if (io->ready_fd < 0)
    return;
  const char *msg = e ? e->msg : "ok";
  write_all(io->ready_fd, msg, strlen(msg));
  close(io->ready_fd);
  io->ready_fd = -1;
  io->ran = !e;
}

int engine_vm_run(const struct engine *eng, const struct run_opts *o,
                  const struct container_record *r, const json_t *config,
                  struct engine_vm_io *io, int *status, err_t *e) {
  struct vm_kernel k = {0};
  struct vm_files f = {0};
  _cleanup_free_ char *dir = container_path(eng, r->id, NULL);
  _cleanup_free_ char *qemu = vm_tool_find("qemu-system-x86_64", "qemu-system-x86", e);
  _cleanup_cgroup_ struct cgroup *cg = NULL;
  char cg_path[ENGINE_CGROUP_MAX];
  engine_cgroup_path(cg_path, sizeof cg_path, r->id);
  unsigned mib, cpus;
  int pipes[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  int ret = -1, log_fd = -1;
  if (!dir)
    err_sys(e, "container %s", r->id);
  if (!dir || !qemu || vm_size(o, &mib, &cpus, e) < 0 || prepare_boot(eng, r, config, &k, &f, e) < 0 ||
      cgroup_resolve(cg_path, r->id, &cg, e) < 0 || cgroup_create(cg, e) < 0 ||
      (io->detached && cgroup_attach(cg, getpid(), e) < 0))
    goto out;
  /* The status channel goes both ways (signals to the guest): a socket. */
  for (int i = 0; i < 3; i++)
    if ((i < 2 ? pipe2(pipes[i], O_CLOEXEC)
               : socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pipes[i])) < 0) {
      err_sys(e, "pipe");
      goto out;
    }
  if ((log_fd = open(f.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
    err_sys(e, "create %s", f.log);
    goto out;
  }
  struct vm_spec spec = {.qemu = qemu, .vmlinux = k.vmlinux, .initrd = f.initrd, .disk = f.disk,
                         .console = f.console, .mem_mib = mib, .cpus = cpus,
                         .kvm = vm_kvm_usable(), .out_fd = pipes[0][1], .err_fd = pipes[1][1],
                         .status_fd = pipes[2][1], .log_fd = log_fd, .dir = dir, .qmp = VM_QMP,
                         .die_with_parent = true, .child_setup = join_cgroup, .child_arg = cg};
  /* Signals are read in the wait loop, to stop the VM rather than us. */
  sigset_t sigs, old;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGHUP);
  sigprocmask(SIG_BLOCK, &sigs, &old);
  struct vm_wait w = {.io = io, .sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK),
                      .boot_timeout_ms = eng->vm_boot_timeout > 0 ? eng->vm_boot_timeout * 1000
                                                                  : 120 * 1000};
  if (w.sigfd < 0) {
    err_sys(e, "signalfd");
  } else if (vm_spawn(&spec, &w.qemu, e) == 0) {
    for (int i = 0; i < 3; i++) {
      close(pipes[i][1]);
      pipes[i][1] = -1;
      w.fds[i] = steal_fd(&pipes[i][0]);
    }
    engine_event_of(eng, r, "start", NULL);
    int qemu_status = 0;
    /* We wait for it: ps sees it run while we live. */
    ret = container_state_running(eng, r->id, w.qemu, false, !o->rm, e);
    ready(io, ret < 0 ? e : NULL);
    if (ret == 0)
      ret = wait_vm(&w, e);
    else
      kill(w.qemu, SIGKILL);
    for (int i = 0; i < 3; i++)
      if (w.fds[i] >= 0)
        close(w.fds[i]);
    while (waitpid(w.qemu, &qemu_status, 0) < 0 && errno == EINTR)
      ;
    if (ret == 0)
      ret = outcome(&w, qemu_status, &f, status, e);
    if (ret == 0)
      ret = container_state_exited(eng, r->id, *status, false, w.signal != 0, !o->rm, e);
    if (ret == 0) {
      char code[16];
      snprintf(code, sizeof code, "%d", *status);
      engine_event_of(eng, r, "die", (const char *const[]){"exitCode", code, NULL});
    }
  }
  if (w.sigfd >= 0)
    close(w.sigfd);
  sigprocmask(SIG_SETMASK, &old, NULL);
out:
  ready(io, e); /* if it has not been told yet: a failure */
  if (log_fd >= 0)
    close(log_fd);
  close_pipes(pipes);
  vm_kernel_free(&k);
  vm_files_free(&f);
  return ret;
}

int engine_vm_pause(const struct engine *eng, const char *id, bool pause, err_t *e) {
  _cleanup_free_ char *dir = container_path(eng, id, NULL);
  _cleanup_close_ int dirfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (dirfd < 0)
    return err_sys(e, "container %.12s", id);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d/" VM_QMP, dirfd);
  _cleanup_close_ int qmp = vm_qmp_connect(path, e);
  return qmp < 0 ? -1 : vm_qmp_command(qmp, pause ? "stop" : "cont", NULL, e);
}
