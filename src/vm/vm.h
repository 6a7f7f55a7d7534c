/* Virtual machines: an OCI image booted as a QEMU microVM (docs/VM.md).
 *
 * The pieces the engine puts together: Debian's kernel (kernel.c, its
 * uncompressed vmlinux booted through PVH), an initramfs capsule writes
 * itself (cpio.c, initramfs.c: the guest's virtio modules and
 * capsule-vminit, its pid 1), the root filesystem as an ext4 image of the
 * image's layers shared read-only under a per-VM qcow2 overlay (disk.c),
 * QEMU's command line and process (qemu.c), and QMP (qmp.c). Host tools
 * (qemu, mkfs.ext4, qemu-img) are looked up in PATH; a missing one is an
 * error naming its Debian package (tool.c). */
#ifndef CAPSULE_VM_VM_H
#define CAPSULE_VM_VM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* ---- host tools (tool.c) ---- */

/* The absolute path of `name` in PATH, on the heap; ENOENT naming the
 * Debian package that has it if it is missing. */
char *vm_tool_find(const char *name, const char *package, err_t *e);
/* Run argv[0] (found in PATH, from `package`) to completion, stdin and
 * stdout on /dev/null; a failure says its stderr's last line. */
int vm_tool_run(const char *const *argv, const char *package, err_t *e);

/* ---- the guest kernel (kernel.c) ---- */

struct vm_kernel {
  char *version;  /* "6.1.0-57-amd64" */
  char *vmlinux;  /* the uncompressed kernel, cached under the cache dir */
  char *modules;  /* /lib/modules/<version> */
};

/* Debian's newest /boot/vmlinuz-*-amd64 (or `vmlinuz` if not NULL), its
 * modules, and its vmlinux unpacked once into `cache`. */
int vm_kernel_find(const char *cache, const char *vmlinuz, struct vm_kernel *k, err_t *e);
void vm_kernel_free(struct vm_kernel *k);

/* ---- cpio newc archives (cpio.c) ---- */

struct vm_cpio {
  int fd;
  uint32_t ino;
};
int vm_cpio_dir(struct vm_cpio *c, const char *name, mode_t mode, err_t *e);
int vm_cpio_file(struct vm_cpio *c, const char *name, mode_t mode, const void *data, size_t len,
                 err_t *e);
/* The trailer; the archive may be followed by another (the kernel reads
 * concatenated archives). */
int vm_cpio_end(struct vm_cpio *c, err_t *e);

/* ---- the initramfs (initramfs.c) ---- */

/* The guest's side of the protocol: its files in the initramfs and the
 * names of its virtio-serial ports. */
#define VM_GUEST_CONFIG "capsule/config.json"
#define VM_GUEST_MODULES "capsule/modules"
#define VM_PORT_STDOUT "capsule.stdout"
#define VM_PORT_STDERR "capsule.stderr"
#define VM_PORT_STATUS "capsule.status"

/* The kernel modules the guest loads, each after what it depends on
 * (modules.dep), as paths relative to the modules directory. */
int vm_modules_resolve(const char *modules_dir, const char *const *names, char ***out, err_t *e);
/* The shared part of every initramfs for this kernel and init binary:
 * /init and the modules, cached in `cache`. */
char *vm_initramfs_base(const char *cache, const struct vm_kernel *k, const char *init_bin,
                        err_t *e);
/* One VM's initramfs at `out`: the base, then an archive with its
 * configuration (VM_GUEST_CONFIG). */
int vm_initramfs_write(const char *base, const json_t *guest, const char *out, err_t *e);

/* ---- disks (disk.c) ---- */

/* The ext4 image of the tree at `src`, cached as <cache>/disks/<key>.ext4. */
char *vm_disk_base(const char *cache, const char *key, const char *src, err_t *e);
/* A qcow2 overlay at `out` whose backing file is `base` (never written). */
int vm_disk_overlay(const char *base, const char *out, err_t *e);

/* ---- QEMU (qemu.c) ---- */

struct vm_spec {
  const char *qemu;       /* vm_tool_find's path */
  const char *vmlinux, *initrd, *disk;
  const char *console;    /* the serial console's log file */
  const char *dir;        /* QEMU's working directory, or NULL */
  const char *qmp;        /* the QMP socket to listen on (relative to dir: socket paths are
                             short), or NULL */
  unsigned mem_mib, cpus;
  bool kvm;               /* else TCG */
  int out_fd, err_fd;     /* the guest process's stdout and stderr */
  int status_fd;          /* a connected socket: the guest init's reports (vm_status), and
                             "signal N" lines for it to send its process */
  int log_fd;             /* QEMU's own stderr */
  bool die_with_parent;   /* killed when the caller dies (a foreground run) */
  /* In the child before exec (join a cgroup); non-zero fails the start. */
  int (*child_setup)(void *arg);
  void *child_arg;
};

/* Whether /dev/kvm can run this kernel (hardware KVM, not kvm-pvm). */
bool vm_kvm_usable(void);
/* Start QEMU; *pid is its pid. */
int vm_spawn(const struct vm_spec *s, pid_t *pid, err_t *e);

/* ---- the guest's reports (status.c) ---- */

/* What the status port said: "started", then "exit N", or "error MSG".
 * The other way, the host writes "signal N" (the guest init sends signal
 * N to its process). */
struct vm_status {
  bool started;
  bool exited;
  int code;                /* with exited */
  char error[256];         /* the guest init's failure, "" if none */
  char buf[512];           /* a line being read */
  size_t len;
};
/* Read what is there on the status fd into *st; 0 at EOF, 1 if more may
 * come, -1 on error. */
int vm_status_read(int fd, struct vm_status *st, err_t *e);
/* The last `lines` lines of a console log, for an error message ("" if none). */
void vm_console_tail(const char *path, int lines, char *buf, size_t cap);

/* ---- QMP (qmp.c) ---- */

/* Connect to a QMP socket and leave command mode negotiated. */
int vm_qmp_connect(const char *path, err_t *e);
/* Run `command` ("stop", "cont", "quit", "query-status") without
 * arguments; *reply (may be NULL) gets the "return" value. */
int vm_qmp_command(int fd, const char *command, json_t **reply, err_t *e);

#endif
