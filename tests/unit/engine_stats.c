/* docker stats' figures from a cgroup_stats document (runc's events
 * format), as v1 and v2 hosts fill it: memory without inactive file pages,
 * the host's memory when there is no limit, block I/O by operation. Pure:
 * no cgroup is read. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "engine/internal.h"

static uint64_t host_bytes(void) {
  return (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
}

static struct engine_stats from(const char *doc) {
  json_error_t err;
  json_t *j = json_loads(doc, 0, &err);
  CHECK_FATAL(j);
  struct engine_stats s = {0};
  engine_stats_from_cgroup(j, &s);
  json_decref(j);
  return s;
}

int main(void) {
  /* v1: usage_in_bytes counts the page cache; docker leaves out the
   * hierarchical inactive file pages. */
  struct engine_stats v1 = from(
      "{\"cpu\": {\"usage\": {\"total\": 123456789}}, \"pids\": {\"current\": 3},"
      " \"memory\": {\"usage\": {\"usage\": 30000000, \"limit\": 67108864},"
      "  \"raw\": {\"total_inactive_file\": 10000000, \"inactive_file\": 1}},"
      " \"blkio\": {\"ioServiceBytesRecursive\": ["
      "  {\"major\": 8, \"op\": \"Read\", \"value\": 4096},"
      "  {\"major\": 8, \"op\": \"Write\", \"value\": 8192},"
      "  {\"major\": 8, \"op\": \"Total\", \"value\": 12288},"
      "  {\"major\": 9, \"op\": \"Read\", \"value\": 1}]}}");
  CHECK(v1.cpu_ns == 123456789);
  CHECK(v1.pids == 3);
  CHECK(v1.mem_usage == 20000000);
  CHECK(v1.mem_limit == 67108864);
  CHECK(v1.blk_read == 4097);
  CHECK(v1.blk_write == 8192);

  /* v2: inactive_file; memory.max "max" reads as INT64_MAX: the host's. */
  struct engine_stats v2 = from(
      "{\"memory\": {\"usage\": {\"usage\": 5000000, \"limit\": 9223372036854775807},"
      "  \"raw\": {\"inactive_file\": 1000000}},"
      " \"blkio\": {\"ioServiceBytesRecursive\": [{\"op\": \"read\", \"value\": 7}]}}");
  CHECK(v2.mem_usage == 4000000);
  CHECK(v2.mem_limit == host_bytes() || v2.mem_limit + (64u << 20) > host_bytes());
  CHECK(v2.blk_read == 7);
  CHECK(v2.cpu_ns == 0 && v2.pids == 0);

  /* More inactive pages than usage (a racy read): the usage as it is. */
  struct engine_stats odd = from(
      "{\"memory\": {\"usage\": {\"usage\": 100, \"limit\": 1000},"
      "  \"raw\": {\"total_inactive_file\": 500}}}");
  CHECK(odd.mem_usage == 100);
  /* Nothing at all (a group gone meanwhile): zeros, the host's memory. */
  struct engine_stats none = from("{}");
  CHECK(none.mem_usage == 0 && none.blk_read == 0 && none.mem_limit > 0);
  return check_report("engine_stats");
}
