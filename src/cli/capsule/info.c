/* info and version in docker's shape: the same sections and words, and
 * --format over the same JSON keys (`docker info --format '{{.NCPU}}'`,
 * `docker version --format '{{.Server.Version}}'`). capsule has no
 * daemon: the "server" is this program, its library and its runtime. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cli/capsule/cli.h"
#include "cli/capsule/cli_engine.h"
#include "cli/capsule/commands.h"
#include "engine/engine.h"
#include "oci/defaults.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/template.h"
#include "util/version.h"

const struct cmdline_option info_options[] = {
    {'f', 'f', "format", CMDLINE_VALUE, "FORMAT",
     "Format the output with a template ({{.NCPU}}, {{json .}})"},
    CMDLINE_OPTIONS_END,
};

/* Go's GOARCH for the machine uname names. */
static const char *go_arch(const char *machine) {
  static const char *const map[][2] = {{"x86_64", "amd64"}, {"aarch64", "arm64"},
                                       {"i686", "386"},     {"armv7l", "arm"}};
  for (size_t i = 0; i < sizeof map / sizeof *map; i++)
    if (!strcmp(machine, map[i][0]))
      return map[i][1];
  return machine;
}

/* --format: a Go template over the document (its keys are docker's). */
static int print_format(json_t *doc, const char *format, err_t *e) {
  struct template *t;
  if (template_parse_json(format, &t, e) < 0)
    return -1;
  _cleanup_free_ char *line = template_render_json(t, doc, e);
  template_free(t);
  if (!line)
    return -1;
  return printf("%s\n", line) < 0 ? err_sys(e, "--format") : 0;
}

static json_t *version_doc(void) {
  struct utsname u;
  uname(&u);
  char os_arch[96];
  snprintf(os_arch, sizeof os_arch, "linux/%s", go_arch(u.machine));
  return json_pack("{s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s}}", "Client",
                   "Version", CAPSULE_VERSION, "Os", "linux", "Arch", go_arch(u.machine),
                   "Context", "default", "Server", "Version", CAPSULE_VERSION, "Os", "linux",
                   "Arch", go_arch(u.machine), "KernelVersion", u.release, "Runtime",
                   "capsule-runtime", "RuntimeVersion", CAPSULE_VERSION, "OciSpecVersion",
                   OCI_VERSION_MAX);
}

CAPSULE_COMMAND(cmd_version) {
  (void)cli;
  _cleanup_json_ json_t *v = version_doc();
  if (!v)
    return err_set(e, ENOMEM, "version");
  const char *format = cmdline_value(args, 'f');
  if (format)
    return print_format(v, format, e) < 0 ? -1 : 0;
  json_t *c = json_object_get(v, "Client"), *s = json_object_get(v, "Server");
#define S(obj, key) json_string_value(json_object_get(obj, key))
  printf("Client:\n"
         " Version:           %s\n"
         " OS/Arch:           %s/%s\n"
         " Context:           default\n"
         "\n"
         "Server: capsule (daemonless)\n"
         " Engine:\n"
         "  Version:          %s\n"
         "  OS/Arch:          %s/%s\n"
         "  Kernel Version:   %s\n"
         " capsule-runtime:\n"
         "  Version:          %s\n"
         "  OCI spec:         %s\n",
         S(c, "Version"), S(c, "Os"), S(c, "Arch"), S(s, "Version"), S(s, "Os"), S(s, "Arch"),
         S(s, "KernelVersion"), S(s, "RuntimeVersion"), S(s, "OciSpecVersion"));
#undef S
  return 0;
}

/* PRETTY_NAME of /etc/os-release, on the heap. */
static char *os_name(void) {
  _cleanup_fclose_ FILE *f = fopen("/etc/os-release", "re");
  char line[256];
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, "PRETTY_NAME=", 12))
      continue;
    char *v = line + 12;
    v[strcspn(v, "\n")] = '\0';
    size_t len = strlen(v);
    if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
      v[len - 1] = '\0';
      v++;
    }
    return strdup(v);
  }
  return strdup("Linux");
}

static json_t *info_doc(const struct cli *cli, err_t *e) {
  struct engine eng = cli_engine(cli);
  _cleanup_json_ json_t *list = NULL;
  if (engine_ps(&eng, true, &list, e) < 0)
    return NULL;
  json_int_t running = 0, paused = 0;
  size_t i;
  json_t *ct;
  json_array_foreach(list, i, ct) {
    const char *st = json_string_value(json_object_get(ct, "status"));
    running += st && (!strcmp(st, "running") || !strcmp(st, "restarting"));
    paused += st && !strcmp(st, "paused");
  }
  _cleanup_image_store_ struct image_store *store = cli_store(cli, 0, e);
  struct image_info *images = NULL;
  size_t n_images = 0;
  if (!store || image_store_list(store, &images, &n_images, e) < 0)
    return NULL;
  for (i = 0; i < n_images; i++)
    image_info_free(&images[i]);
  free(images);
  enum cgroup_mode mode = CGROUP_MODE_V2;
  err_t ignored = ERR_INIT;
  cgroup_detect(&mode, &ignored);
  struct utsname u;
  uname(&u);
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  _cleanup_free_ char *os = os_name();
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  json_int_t n = (json_int_t)json_array_size(list);
  json_t *doc = json_pack(
      "{s:I, s:I, s:I, s:I, s:I, s:s, s:[[s, s]], s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, "
      "s:s, s:s, s:s, s:[s], s:{s:s}}",
      "Containers", n, "ContainersRunning", running, "ContainersPaused", paused,
      "ContainersStopped", n - running - paused, "Images", (json_int_t)n_images, "Driver",
      "overlay2", "DriverStatus", "Native Overlay Diff", "true", "CgroupDriver", "cgroupfs",
      "CgroupVersion", mode == CGROUP_MODE_V2 ? "2" : "1", "KernelVersion", u.release,
      "OperatingSystem", os ? os : "Linux", "OSType", "linux", "Architecture", u.machine,
      "DefaultRuntime", "capsule-runtime", "NCPU", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN),
      "MemTotal", (json_int_t)pages * page, "Name", host, "DockerRootDir", cli->root,
      "ServerVersion", CAPSULE_VERSION, "SecurityOptions", "name=seccomp,profile=builtin",
      "ClientInfo", "Version", CAPSULE_VERSION);
  if (!doc)
    err_set(e, ENOMEM, "info");
  return doc;
}

static void gib(char *buf, size_t len, json_int_t bytes) {
  snprintf(buf, len, "%.4gGiB", (double)bytes / (1 << 30));
}

CAPSULE_COMMAND(cmd_info) {
  _cleanup_json_ json_t *d = info_doc(cli, e);
  if (!d)
    return -1;
  const char *format = cmdline_value(args, 'f');
  if (format)
    return print_format(d, format, e) < 0 ? -1 : 0;
#define S(key) json_string_value(json_object_get(d, key))
#define I(key) (long long)json_integer_value(json_object_get(d, key))
  char mem[32];
  gib(mem, sizeof mem, json_integer_value(json_object_get(d, "MemTotal")));
  printf("Client:\n"
         " Version:    %s\n"
         " Context:    default\n"
         " Debug Mode: false\n"
         "\n"
         "Server:\n"
         " Containers: %lld\n"
         "  Running: %lld\n"
         "  Paused: %lld\n"
         "  Stopped: %lld\n"
         " Images: %lld\n"
         " Server Version: %s\n"
         " Storage Driver: %s\n"
         "  Native Overlay Diff: true\n"
         " Cgroup Driver: %s\n"
         " Cgroup Version: %s\n"
         " Runtimes: capsule-runtime\n"
         " Default Runtime: %s\n"
         " Security Options:\n"
         "  seccomp\n"
         "   Profile: builtin\n"
         " Kernel Version: %s\n"
         " Operating System: %s\n"
         " OSType: %s\n"
         " Architecture: %s\n"
         " CPUs: %lld\n"
         " Total Memory: %s\n"
         " Name: %s\n"
         " Docker Root Dir: %s\n"
         " Debug Mode: false\n"
         " Experimental: false\n",
         CAPSULE_VERSION, I("Containers"), I("ContainersRunning"), I("ContainersPaused"),
         I("ContainersStopped"), I("Images"), S("ServerVersion"), S("Driver"),
         S("CgroupDriver"), S("CgroupVersion"), S("DefaultRuntime"), S("KernelVersion"),
         S("OperatingSystem"), S("OSType"), S("Architecture"), I("NCPU"), mem, S("Name"),
         S("DockerRootDir"));
#undef S
#undef I
  return 0;
}
