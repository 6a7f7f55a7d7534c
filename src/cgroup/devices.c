/* linux.resources.devices: v1's devices controller where it is mounted,
 * otherwise an eBPF program on the v2 group (devices_bpf.c). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"

#define WHERE "linux.resources.devices"
#define MAX_RULES 4000 /* keeps the eBPF program's jumps within 16 bits */

static void number(int64_t v, char buf[24]) {
  if (v < 0)
    strcpy(buf, "*");
  else
    snprintf(buf, 24, "%" PRId64, v);
}

static bool full_access(const char *access) {
  return strlen(access) == 3; /* parsing guarantees each of r, w, m at most once */
}

/* One line of v1's devices.allow or devices.deny (or of devices.list). */
struct v1_line {
  bool allow;
  bool everything;     /* "a": every device, every access */
  char type;           /* 'c' or 'b' */
  int64_t major, minor; /* -1: any */
  unsigned access;     /* ACC_* bits */
};
enum { ACC_R = 1, ACC_W = 2, ACC_M = 4 };

static unsigned access_bits(const char *access) {
  unsigned bits = 0;
  for (const char *a = access; *a; a++)
    bits |= *a == 'r' ? ACC_R : *a == 'w' ? ACC_W : *a == 'm' ? ACC_M : 0;
  return bits;
}

/* The rules as v1 lines, in order. v1's "a" means every device and every
 * access, and it also drops the exceptions written before; a narrower "a"
 * rule (some major, or some access) is written as the same rule for "c"
 * and for "b". */
static struct v1_line *v1_lines(const struct cgroup_resources *r, size_t *n) {
  struct v1_line *l = calloc(2 * r->n_devices + 1, sizeof *l);
  if (!l)
    return NULL;
  *n = 0;
  for (size_t i = 0; i < r->n_devices; i++) {
    const struct device_rule *d = &r->devices[i];
    if (d->type == 'a' && d->major < 0 && d->minor < 0 && full_access(d->access)) {
      l[(*n)++] = (struct v1_line){.allow = d->allow, .everything = true};
      continue;
    }
    for (const char *t = d->type == 'a' ? "cb" : (d->type == 'c' ? "c" : "b"); *t; t++)
      l[(*n)++] = (struct v1_line){d->allow, false, *t, d->major, d->minor, access_bits(d->access)};
  }
  return l;
}

/* devices.allow and devices.deny, each opened once for all the lines. */
struct v1_files {
  const struct cgroup_hierarchy *h;
  int fd[2]; /* deny, allow */
};

static int write_line(struct v1_files *f, const struct v1_line *l, err_t *e) {
  const char *file = l->allow ? "devices.allow" : "devices.deny";
  char major[24], minor[24], line[80];
  if (l->everything) {
    strcpy(line, "a");
  } else {
    number(l->major, major);
    number(l->minor, minor);
    snprintf(line, sizeof line, "%c %s:%s %s%s%s", l->type, major, minor,
             l->access & ACC_R ? "r" : "", l->access & ACC_W ? "w" : "",
             l->access & ACC_M ? "m" : "");
  }
  if (f->fd[l->allow] < 0 && (f->fd[l->allow] = cgroup_open(f->h, file, O_WRONLY, e)) < 0)
    return -1;
  if (write(f->fd[l->allow], line, strlen(line)) < 0)
    return err_sys(e, "write \"%s\" to %s/%s", line, f->h->dir, file);
  return 0;
}

static struct v1_line *find_exception(struct v1_line *set, size_t n, const struct v1_line *l) {
  for (size_t i = 0; i < n; i++)
    if (set[i].access && set[i].type == l->type && set[i].major == l->major &&
        set[i].minor == l->minor)
      return &set[i];
  return NULL;
}

/* What the kernel does with a line on a deny-by-default group: an allow
 * adds its access to the exception of the same type and numbers (or makes
 * one); a deny takes its access away from that exception only. */
static void emulate(struct v1_line *set, size_t *n, const struct v1_line *l) {
  struct v1_line *x = find_exception(set, *n, l);
  if (l->allow) {
    if (x)
      x->access |= l->access;
    else
      set[(*n)++] = (struct v1_line){true, false, l->type, l->major, l->minor, l->access};
  } else if (x) {
    x->access &= ~l->access;
  }
}

static int64_t list_number(const char *s) {
  return strcmp(s, "*") == 0 ? -1 : strtoll(s, NULL, 10);
}

/* The group's exceptions from devices.list; false when it allows every
 * device by default ("a *:* rwm") or cannot be read. */
static bool read_exceptions(const struct cgroup_hierarchy *h, struct v1_line **out, size_t *n) {
  err_t ignored = {0};
  _cleanup_free_ char *list = cgroup_read(h, "devices.list", &ignored);
  if (!list)
    return false;
  size_t cap = 1;
  for (const char *c = list; *c; c++)
    cap += *c == '\n';
  _cleanup_free_ struct v1_line *set = calloc(cap, sizeof *set);
  if (!set)
    return false;
  *n = 0;
  char *save = NULL;
  for (char *line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char type, major[24], minor[24], access[4];
    if (sscanf(line, "%c %23[^:]:%23s %3s", &type, major, minor, access) != 4)
      return false;
    if (type == 'a')
      return false;
    set[(*n)++] = (struct v1_line){true, false, type, list_number(major), list_number(minor),
                                   access_bits(access)};
  }
  *out = steal_ptr(&set);
  return true;
}

/* A running container's rules changed without a moment where it has fewer
 * devices than before and after (runc's concern too): when the group
 * already denies by default and the new rules start with "deny all" and
 * never allow all, the allows of the new set go first, then what the old
 * set had and the new one lacks is denied. Returns 1 when done this way. */
static int write_without_gap(struct v1_files *f, const struct v1_line *l, size_t n, err_t *e) {
  if (n == 0 || !l[0].everything || l[0].allow)
    return 0;
  for (size_t i = 1; i < n; i++)
    if (l[i].everything)
      return 0;
  _cleanup_free_ struct v1_line *old = NULL;
  size_t n_old = 0;
  if (!read_exceptions(f->h, &old, &n_old))
    return 0;
  _cleanup_free_ struct v1_line *want = calloc(n, sizeof *want);
  if (!want)
    return err_sys(e, "calloc");
  size_t n_want = 0;
  for (size_t i = 1; i < n; i++)
    emulate(want, &n_want, &l[i]);
  for (size_t i = 0; i < n_want; i++)
    if (want[i].access && write_line(f, &want[i], e) < 0)
      return -1;
  for (size_t i = 0; i < n_old; i++) {
    struct v1_line *kept = find_exception(want, n_want, &old[i]);
    struct v1_line gone = old[i];
    gone.allow = false;
    gone.access &= ~(kept ? kept->access : 0);
    if (gone.access && write_line(f, &gone, e) < 0)
      return -1;
  }
  return 1;
}

static int apply_v1(const struct cgroup_hierarchy *h, const struct cgroup_resources *r, err_t *e) {
  struct v1_files f = {h, {-1, -1}};
  size_t n = 0;
  _cleanup_free_ struct v1_line *lines = v1_lines(r, &n);
  if (!lines)
    return err_sys(e, "calloc");
  int rc = write_without_gap(&f, lines, n, e);
  for (size_t i = 0; i < n && rc == 0; i++)
    rc = write_line(&f, &lines[i], e);
  for (int k = 0; k < 2; k++)
    if (f.fd[k] >= 0)
      close(f.fd[k]);
  return rc < 0 ? err_wrap(e, WHERE) : 0;
}

int cgroup_apply_devices(struct cgroup *cg, const struct cgroup_resources *r, err_t *e) {
  if (!r->n_devices)
    return 0;
  const struct cgroup_hierarchy *h = cgroup_v1(cg, "devices");
  if (h)
    return apply_v1(h, r, e);
  if (!(h = cgroup_v2(cg)))
    return err_set(e, ENOTSUP, WHERE ": the host has neither a devices controller nor cgroup v2");
  if (r->n_devices > MAX_RULES)
    return err_set(e, EINVAL, WHERE ": %zu rules, at most %d are supported", r->n_devices,
                   MAX_RULES);
  return cgroup_devices_bpf_install(h->dir, r->devices, r->n_devices, e) < 0
             ? err_wrap(e, WHERE)
             : 0;
}
