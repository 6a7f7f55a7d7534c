/* Users and groups by name, as the container's own /etc/passwd and
 * /etc/group define them. The files are the container's (an image's, or
 * what a process in it wrote): they are opened with the container's root
 * as "/" (rootfs_path.h), so a symlink such as /etc/passwd -> /etc/shadow
 * resolves inside the container, never to the host's files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/internal.h"
#include "runtime/rootfs_path.h"
#include "util/cleanup.h"
#include "util/passwd.h"

/* A numeric id, or the id of `name` in the container's passwd or group
 * file (`file`), and with passwd the user's primary group. */
static int lookup_id(int rootfd, const char *file, const char *name, unsigned long *out,
                     unsigned long *gid_out, err_t *e) {
  char *end;
  unsigned long v = strtoul(name, &end, 10);
  if (*name && !*end) {
    *out = v;
    return 0;
  }
  err_t ignored = ERR_INIT; /* a missing file is as good as no entry */
  /* (A FIFO there blocked run -u and exec -u, /dev/zero kept them reading.) */
  _cleanup_fclose_ FILE *f =
      passwd_fdopen(rootfs_open(rootfd, file, O_RDONLY | O_NONBLOCK | O_NOCTTY, &ignored));
  char line[1024];
  while (f && fgets(line, sizeof line, f)) {
    char *fields[4] = {0}, *rest = line;
    int n = 0;
    while (n < 4 && (fields[n] = strsep(&rest, ":\n")))
      n++;
    if (n < 3 || strcmp(fields[0], name))
      continue;
    *out = strtoul(fields[2], NULL, 10);
    if (gid_out && n >= 4)
      *gid_out = strtoul(fields[3], NULL, 10);
    return 0;
  }
  bool user = !strcmp(file, "etc/passwd");
  return err_set(e, ENOENT, "unable to find %s %s: no matching entries in %s file",
                 user ? "user" : "group", name, user ? "passwd" : "group");
}

int engine_user_lookup(int rootfd, const char *spec, unsigned long *uid, unsigned long *gid,
                       err_t *e) {
  _cleanup_free_ char *copy = strdup(spec && *spec ? spec : "0");
  if (!copy)
    return err_sys(e, "user");
  char *group = strchr(copy, ':');
  if (group)
    *group++ = '\0';
  *uid = *gid = 0;
  if (lookup_id(rootfd, "etc/passwd", copy, uid, gid, e) < 0)
    return -1;
  return group ? lookup_id(rootfd, "etc/group", group, gid, NULL, e) : 0;
}
