/* QEMU's command line and process. A microVM: no PCI, no firmware (the
 * kernel's PVH entry), no default devices; virtio-mmio for the root disk
 * and one virtio-serial device whose ports carry the process's stdout and
 * stderr, each a pipe QEMU got from us (-add-fd, so QEMU opens no path of
 * ours; append=on, else QEMU would truncate them, which fails on a pipe),
 * and the guest init's reports and our signals for its process, over one
 * end of a socketpair (a socket chardev on a given fd). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"
#include "vm/vm.h"

bool vm_kvm_usable(void) {
  /* kvm-pvm (a paravirtual KVM) runs only kernels built for it. */
  return access("/dev/kvm", R_OK | W_OK) == 0 &&
         (access("/sys/module/kvm_intel", F_OK) == 0 || access("/sys/module/kvm_amd", F_OK) == 0);
}

/* The fds QEMU gets, at these numbers, in fdsets 1, 2, 3. */
enum { FD_OUT = 3, FD_ERR, FD_STATUS, FD_FIRST_FREE };

#define ARGS_MAX 64

struct args {
  const char *v[ARGS_MAX + 1];
  char buf[4096];
  size_t n, used;
};

/* Append an argument, formatted into the struct's buffer. */
__attribute__((format(printf, 2, 3))) static void arg(struct args *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t room = sizeof a->buf - a->used;
  int n = vsnprintf(a->buf + a->used, room, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= room || a->n >= ARGS_MAX) {
    a->n = ARGS_MAX + 1; /* the caller sees the overflow */
    return;
  }
  a->v[a->n++] = a->buf + a->used;
  a->used += n + 1;
}

static int build(const struct vm_spec *s, struct args *a, err_t *e) {
  arg(a, "%s", s->qemu);
  arg(a, "-M");
  arg(a, "microvm");
  arg(a, "-accel");
  arg(a, "%s", s->kvm ? "kvm" : "tcg");
  arg(a, "-cpu");
  arg(a, "%s", s->kvm ? "host" : "max");
  arg(a, "-m");
  arg(a, "%uM", s->mem_mib);
  arg(a, "-smp");
  arg(a, "%u", s->cpus);
  arg(a, "-nodefaults");
  arg(a, "-no-user-config");
  arg(a, "-no-reboot");
  arg(a, "-display");
  arg(a, "none");
  /* QEMU's own seccomp filter: no exec, no setuid, no scheduler changes. */
  arg(a, "-sandbox");
  arg(a, "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
  arg(a, "-kernel");
  arg(a, "%s", s->vmlinux);
  arg(a, "-initrd");
  arg(a, "%s", s->initrd);
  /* Under TCG the kernel cannot calibrate the TSC against microvm's
   * missing PIT and hangs after "Marking TSC unstable" without a value. */
  arg(a, "-append");
  arg(a, "console=ttyS0 quiet loglevel=3 panic=-1 pci=off%s",
      s->kvm ? "" : " tsc_early_khz=2000000");
  arg(a, "-serial");
  arg(a, "file:%s", s->console);
  arg(a, "-drive");
  arg(a, "id=root,file=%s,format=qcow2,if=none,discard=unmap", s->disk);
  arg(a, "-device");
  arg(a, "virtio-blk-device,drive=root");
  arg(a, "-device");
  arg(a, "virtio-serial-device,max_ports=4");
  static const char *const ports[] = {VM_PORT_STDOUT, VM_PORT_STDERR, VM_PORT_STATUS};
  for (int i = 0; i < 3; i++) {
    if (i < 2) {
      arg(a, "-add-fd");
      arg(a, "fd=%d,set=%d", FD_OUT + i, i + 1);
      arg(a, "-chardev");
      arg(a, "file,id=p%d,path=/dev/fdset/%d,append=on", i + 1, i + 1);
    } else { /* both ways: the reports come, signals go */
      arg(a, "-chardev");
      arg(a, "socket,id=p%d,fd=%d", i + 1, FD_OUT + i);
    }
    arg(a, "-device");
    arg(a, "virtserialport,chardev=p%d,name=%s,nr=%d", i + 1, ports[i], i + 1);
  }
  if (s->qmp) {
    arg(a, "-qmp");
    arg(a, "unix:%s,server=on,wait=off", s->qmp);
  }
  if (a->n > ARGS_MAX)
    return err_set(e, E2BIG, "the QEMU command line is too long (paths too long?)");
  a->v[a->n] = NULL;
  return 0;
}

/* In the child: the fds where QEMU's command line says, then exec. */
static void child(const struct vm_spec *s, const struct args *a) {
  if (s->die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
    _exit(126);
  /* Its own session: the terminal's ^C is for capsule to handle. */
  setsid();
  if (s->dir && chdir(s->dir) < 0)
    _exit(126);
  int src[] = {s->out_fd, s->err_fd, s->status_fd, s->log_fd}, high[4];
  for (int i = 0; i < 4; i++)
    if ((high[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 16)) < 0)
      _exit(126);
  int null = open("/dev/null", O_RDONLY);
  if (null < 0 || dup2(null, 0) < 0 || dup2(high[3], 1) < 0 || dup2(high[3], 2) < 0)
    _exit(126);
  for (int i = 0; i < 3; i++)
    if (dup2(high[i], FD_OUT + i) < 0)
      _exit(126);
  if (s->child_setup && s->child_setup(s->child_arg) != 0) {
    dprintf(2, "capsule: could not confine QEMU\n");
    _exit(126);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execv(a->v[0], (char *const *)a->v);
  dprintf(2, "capsule: exec %s: %s\n", a->v[0], strerror(errno));
  _exit(127);
}

int vm_spawn(const struct vm_spec *s, pid_t *pid, err_t *e) {
  struct args a = {0};
  if (build(s, &a, e) < 0)
    return -1;
  pid_t p = fork();
  if (p < 0)
    return err_sys(e, "fork");
  if (p == 0)
    child(s, &a);
  *pid = p;
  return 0;
}
