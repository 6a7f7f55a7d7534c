#include "sim/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fs.h"

double platform_default_backbone(int hosts) {
  int blocks = (hosts + 1023) / 1024;
  return 2.25e9 * (blocks > 0 ? blocks : 1);
}

int platform_write(const struct platform_spec *p, const char *path, err_t *e) {
  _cleanup_free_ char *xml = NULL;
  int n = asprintf(&xml,
                   "<?xml version='1.0'?>\n"
                   "<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
                   "<platform version=\"4.1\">\n"
                   "  <cluster id=\"capsule\" prefix=\"node\" suffix=\"\" radical=\"0-%d\"\n"
                   "           speed=\"1Gf\" core=\"8\" bw=\"%.0fBps\" lat=\"50us\"\n"
                   "           bb_bw=\"%.0fBps\" bb_lat=\"500us\"\n"
                   "           loopback_bw=\"100GBps\" loopback_lat=\"0\"/>\n"
                   "</platform>\n",
                   p->hosts + p->services - 1, p->nic_bw, p->backbone_bw);
  if (n < 0) {
    xml = NULL;
    return err_set(e, ENOMEM, "platform: out of memory");
  }
  if (atomic_write_at(AT_FDCWD, path, xml, (size_t)n, 0644, e) < 0)
    return err_wrap(e, "writing the platform");
  return 0;
}
