/* `capsule node`: the DVMS agent of this host and its ring (node/agent.h,
 * docs/NODE.md). */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/capsule/cli.h"
#include "cli/capsule/commands.h"
#include "node/agent.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

enum { OPT_LISTEN = 256, OPT_JOIN, OPT_CPUS, OPT_TARGET, OPT_KEY, OPT_FORMAT };

const struct cmdline_option node_init_options[] = {
    {OPT_KEY, 0, "key", CMDLINE_VALUE, "FILE", "Use the cluster key in FILE (another member's)"},
    CMDLINE_OPTIONS_END};

const struct cmdline_option node_run_options[] = {
    {OPT_LISTEN, 0, "listen", CMDLINE_VALUE, "IP:PORT", "This host's address for its peers"},
    {OPT_JOIN, 0, "join", CMDLINE_VALUE, "IP:PORT", "Join the ring through this member"},
    {OPT_CPUS, 0, "cpus", CMDLINE_VALUE, "N", "CPU capacity (default: the cgroup parent's quota)"},
    {OPT_TARGET, 0, "target", CMDLINE_VALUE, "F",
     "Load a relieved host ends at, as a fraction of its capacity (default 0.8)"},
    CMDLINE_OPTIONS_END};

const struct cmdline_option node_format_options[] = {
    {OPT_FORMAT, 0, "format", CMDLINE_VALUE, "json", "JSON instead of a table"},
    CMDLINE_OPTIONS_END};

static int positive(const char *v, const char *flag, double max, double *out, err_t *e) {
  char *end;
  *out = strtod(v, &end);
  if (end == v || *end || !(*out > 0) || *out > max)
    return err_set(e, EINVAL, "%s %s: expected a number in (0, %g]", flag, v, max);
  return 0;
}

CAPSULE_COMMAND(cmd_node_init) {
  if (node_init(cli->root, cmdline_value(args, OPT_KEY), e) < 0)
    return -1;
  printf("%s/node/key\n", cli->root);
  return 0;
}

CAPSULE_COMMAND(cmd_node_run) {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  struct node_opts o = {.root = cli->root, .run_root = cli->run_root,
                        .listen = cmdline_value(args, OPT_LISTEN),
                        .join = cmdline_value(args, OPT_JOIN), .target = 0.8};
  if (!o.listen)
    return err_set(e, EINVAL, "--listen IP:PORT is required");
  if (n <= 0)
    return err_sys(e, "/proc/self/exe");
  exe[n] = 0;
  o.exe = exe;
  if (cmdline_value(args, OPT_CPUS) &&
      positive(cmdline_value(args, OPT_CPUS), "--cpus", 4096, &o.cpus, e) < 0)
    return -1;
  if (cmdline_value(args, OPT_TARGET) &&
      positive(cmdline_value(args, OPT_TARGET), "--target", 1, &o.target, e) < 0)
    return -1;
  return node_agent_run(&o, e);
}

static const char *json_format(struct cmdline_args *args, err_t *e) {
  const char *f = cmdline_value(args, OPT_FORMAT);
  if (f && strcmp(f, "json"))
    return err_set(e, EINVAL, "--format %s: only json", f), NULL;
  return f ? f : "";
}

CAPSULE_COMMAND(cmd_node_status) {
  const char *format = json_format(args, e);
  char path[4096];
  snprintf(path, sizeof path, "%s/node/status.json", cli->run_root);
  if (!format)
    return -1;
  _cleanup_json_ json_t *st = json_load_object_file(path, e);
  json_t *pid = st ? json_object_get(st, "pid") : NULL;
  if (!st || !json_is_integer(pid) || kill((pid_t)json_integer_value(pid), 0) < 0)
    return err_set(e, ESRCH, "no agent running on this host (capsule node run)");
  if (*format) {
    _cleanup_free_ char *text = json_dumps(st, JSON_INDENT(2));
    return text && printf("%s\n", text) > 0 ? 0 : err_set(e, EIO, "stdout");
  }
  json_t *load = json_object_get(st, "load"), *m;
  printf("HOST %s  slot %lld  load %lld/%lld (%s)  partition %llx\n",
         json_string_value(json_object_get(st, "addr")),
         (long long)json_integer_value(json_object_get(st, "slot")),
         (long long)json_integer_value(json_object_get(load, "demand")),
         (long long)json_integer_value(json_object_get(load, "cpu_cap")),
         json_string_value(json_object_get(load, "level")),
         (unsigned long long)json_integer_value(json_object_get(st, "partition")));
  printf("%-6s %s\n", "SLOT", "MEMBER");
  size_t i;
  json_array_foreach(json_object_get(st, "ring"), i, m)
    printf("%-6lld %s%s\n", (long long)json_integer_value(json_object_get(m, "slot")),
           json_string_value(json_object_get(m, "addr")),
           json_is_true(json_object_get(m, "self")) ? " (this host)" : "");
  return 0;
}

/* The events log and its older generation, oldest first. */
static char *read_events(const char *root, err_t *e) {
  char path[4096];
  size_t len = 0, len1 = 0;
  snprintf(path, sizeof path, "%s/node/events.jsonl.1", root);
  _cleanup_free_ char *older = read_file_at(AT_FDCWD, path, 4 << 20, &len1, e);
  if (!older && e->code != ENOENT)
    return NULL;
  snprintf(path, sizeof path, "%s/node/events.jsonl", root);
  err_clear(e);
  _cleanup_free_ char *now = read_file_at(AT_FDCWD, path, 4 << 20, &len, e);
  if (!now && e->code != ENOENT)
    return NULL;
  err_clear(e);
  char *all = malloc(len1 + len + 2);
  if (!all)
    return err_set(e, ENOMEM, "out of memory"), NULL;
  snprintf(all, len1 + len + 2, "%s\n%s", older ? older : "", now ? now : "");
  return all;
}

CAPSULE_COMMAND(cmd_node_events) {
  const char *format = json_format(args, e);
  if (!format)
    return -1;
  _cleanup_free_ char *text = read_events(cli->root, e);
  if (!text)
    return -1;
  if (*format)
    fputs("[", stdout);
  bool first = true;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    err_t le = ERR_INIT;
    _cleanup_json_ json_t *ev = json_load_object_buf(line, strlen(line), "event", &le);
    if (!ev)
      continue; /* a line cut by a crash */
    if (*format) {
      printf("%s%s", first ? "" : ",\n", line);
    } else {
      printf("%s %-16s", json_string_value(json_object_get(ev, "time")),
             json_string_value(json_object_get(ev, "type")));
      json_object_del(ev, "time");
      json_object_del(ev, "type");
      json_object_del(ev, "host");
      _cleanup_free_ char *rest = json_dumps(ev, JSON_COMPACT);
      printf(" %s\n", rest ? rest : "");
    }
    first = false;
  }
  if (*format)
    puts("]");
  return 0;
}

CAPSULE_COMMAND(cmd_node_join) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "join %s\n", args->operands[0]);
  return node_agent_control(cli->run_root, cmd, e);
}

CAPSULE_COMMAND(cmd_node_leave) {
  (void)args;
  return node_agent_control(cli->run_root, "leave\n", e);
}
