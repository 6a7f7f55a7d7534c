/* The `capsule` command table: one entry per command, in the order
 * `capsule --help` lists them. Help (`capsule --help`, `capsule CMD --help`),
 * bash completion and the man page are generated from it.
 *
 * To add a command:
 *  1. write `CAPSULE_COMMAND(cmd_x)` (commands.h declares it) in the file of
 *     its command group: it gets the parsed arguments (cmdline_value,
 *     cmdline_has, cmdline_next, args->operands) and returns the exit status,
 *     or -1 with `e` set: main.c prints "capsule: <message>" once and exits
 *     1, or the entry's fail_status (EXIT_FAILURE_RUN, 125, for commands
 *     that make containers, as docker). Usage errors exit 125 (cli.h);
 *  2. define its options next to it (`const struct cmdline_option
 *     x_options[]`, declared in commands.h): id (the short letter, or an enum
 *     value >= 256), short letter, long name, kind, value name, help line;
 *  3. add its entry below: name (one or two words), function, operands and
 *     summary for help, options, operand count (min, max; -1: any), flags,
 *     and what completion offers for operands ("container", "image",
 *     "file"). Docker's other names go in `aliases` (e.g. "container X" for a
 *     container command, "rmi" for "image rm"), never in a second entry.
 *
 * Flags: CMDLINE_SEALED for a command that starts processes in containers
 * (main.c runs it from a sealed copy of the binary, runtime/self_protect.h);
 * CMDLINE_STOP_AT_OPERAND with stop_after = N when the words after the Nth
 * operand belong to the container ("run IMAGE ls -l"); CMDLINE_HIDDEN.
 * The parsing rules are in util/cmdline.h. The hidden `capsule gen-docs
 * bash|man` writes the bash completion script and the man page from this
 * table (`make install` installs them). */
#include "cli/capsule/cli.h"
#include "cli/capsule/commands.h"
#include "engine/engine.h"

#define ALIASES(...) ((const char *const[]){__VA_ARGS__, NULL})

static const struct cmdline_option global_options[] = {
    {OPT_GLOBAL_ROOT, 0, "root", CMDLINE_VALUE, "DIR",
     "Store and state directory (default " IMAGE_STORE_DEFAULT_ROOT ")"},
    {OPT_GLOBAL_RUN_ROOT, 0, "runroot", CMDLINE_VALUE, "DIR",
     "The runtime's state of running containers (default " ENGINE_DEFAULT_RUN_ROOT ")"},
    {'v', 'v', "version", CMDLINE_FLAG, NULL, "Print the version"},
    CMDLINE_OPTIONS_END,
};

/* The words before the command: global options, then the command's name. */
static const struct cmdline_command globals = {
    .name = "", .operands = "COMMAND [ARG...]",
    .summary = "A daemonless container engine: images, registries and containers",
    .options = global_options, .max_operands = -1, .flags = CMDLINE_STOP_AT_OPERAND,
    .stop_after = 1};

static const struct cmdline_command commands[] = {
    {.name = "run", .run = cmd_run, .operands = "IMAGE [COMMAND [ARG...]]",
     .summary = "Run a command in a new container", .options = run_options,
     .min_operands = 1, .max_operands = -1, .flags = CMDLINE_SEALED | CMDLINE_STOP_AT_OPERAND,
     .stop_after = 1, .complete = "image", .fail_status = EXIT_FAILURE_RUN,
     .aliases = ALIASES("container run")},
    {.name = "ps", .run = cmd_ps, .summary = "List containers", .options = ps_options,
     .aliases = ALIASES("container ls", "container ps", "container list")},
    {.name = "rm", .run = cmd_rm, .operands = "CONTAINER...", .summary = "Remove containers",
     .options = rm_options, .min_operands = 1, .max_operands = -1, .complete = "container",
     .aliases = ALIASES("container rm", "container remove")},
    {.name = "cp", .run = cmd_cp,
     .operands = "CONTAINER:SRC_PATH DEST_PATH|-  |  SRC_PATH|- CONTAINER:DEST_PATH",
     .summary = "Copy files between a container and the host", .options = cp_options,
     .min_operands = 2, .max_operands = 2, .complete = "container",
     .aliases = ALIASES("container cp")},
    {.name = "diff", .run = cmd_diff, .operands = "CONTAINER",
     .summary = "Show the changes to a container's files", .min_operands = 1,
     .max_operands = 1, .complete = "container", .aliases = ALIASES("container diff")},
    {.name = "commit", .run = cmd_commit, .operands = "CONTAINER [REPOSITORY[:TAG]]",
     .summary = "Make an image of a container's changes", .options = commit_options,
     .min_operands = 1, .max_operands = 2, .complete = "container",
     .aliases = ALIASES("container commit")},
    {.name = "export", .run = cmd_export, .operands = "CONTAINER",
     .summary = "Write a container's files as a tar archive", .options = export_options,
     .min_operands = 1, .max_operands = 1, .complete = "container",
     .aliases = ALIASES("container export")},
    {.name = "rename", .run = cmd_rename, .operands = "CONTAINER NEW_NAME",
     .summary = "Rename a container", .min_operands = 2, .max_operands = 2,
     .complete = "container", .aliases = ALIASES("container rename")},
    {.name = "inspect", .run = cmd_inspect, .operands = "NAME|ID...",
     .summary = "Show containers', images', volumes' or networks' details as JSON",
     .options = inspect_options, .min_operands = 1, .max_operands = -1,
     .complete = "container"},
    {.name = "container inspect", .run = cmd_container_inspect, .operands = "CONTAINER...",
     .summary = "Show containers' details as JSON", .options = container_inspect_options,
     .min_operands = 1, .max_operands = -1, .complete = "container"},
    {.name = "container prune", .run = cmd_container_prune,
     .summary = "Remove every stopped container", .options = container_prune_options},
    {.name = "pull", .run = cmd_pull, .operands = "NAME[:TAG|@DIGEST]",
     .summary = "Pull an image from a registry", .options = pull_options, .min_operands = 1,
     .max_operands = 1, .complete = "image", .aliases = ALIASES("image pull")},
    {.name = "push", .run = cmd_push, .operands = "IMAGE [DESTINATION]",
     .summary = "Push an image to a registry", .options = push_options, .min_operands = 1,
     .max_operands = 2, .complete = "image", .aliases = ALIASES("image push")},
    {.name = "login", .run = cmd_login, .operands = "REGISTRY", .summary = "Log in to a registry",
     .options = login_options, .min_operands = 1, .max_operands = 1},
    {.name = "logout", .run = cmd_logout, .operands = "REGISTRY",
     .summary = "Log out of a registry", .options = logout_options, .min_operands = 1,
     .max_operands = 1},
    {.name = "image ls", .run = cmd_images, .operands = "[REPOSITORY[:TAG]]",
     .summary = "List images", .options = images_options, .max_operands = 1,
     .complete = "image", .aliases = ALIASES("images", "image list")},
    {.name = "image tag", .run = cmd_tag, .operands = "SOURCE TARGET",
     .summary = "Give an image another name", .min_operands = 2, .max_operands = 2,
     .complete = "image", .aliases = ALIASES("tag")},
    {.name = "image rm", .run = cmd_rmi, .operands = "IMAGE...", .summary = "Remove images",
     .options = rmi_options, .min_operands = 1, .max_operands = -1, .complete = "image",
     .aliases = ALIASES("rmi", "image remove")},
    {.name = "image import", .run = cmd_import, .operands = "FILE|- [REFERENCE]",
     .summary = "Make a rootfs tarball an image", .options = import_options,
     .min_operands = 1, .max_operands = 2, .complete = "file", .aliases = ALIASES("import")},
    {.name = "image save", .run = cmd_save, .operands = "IMAGE...",
     .summary = "Write images to a tarball", .options = save_options, .min_operands = 1,
     .max_operands = -1, .complete = "image", .aliases = ALIASES("save")},
    {.name = "image load", .run = cmd_load, .summary = "Load images from a tarball",
     .options = load_options, .aliases = ALIASES("load")},
    {.name = "image inspect", .run = cmd_image_inspect, .operands = "IMAGE...",
     .summary = "Show images' details as JSON", .options = image_inspect_options,
     .min_operands = 1, .max_operands = -1,
     .complete = "image"},
    {.name = "image history", .run = cmd_image_history, .operands = "IMAGE",
     .summary = "Show an image's layers", .options = history_options, .min_operands = 1,
     .max_operands = 1, .complete = "image", .aliases = ALIASES("history")},
    {.name = "image prune", .run = cmd_image_prune, .summary = "Remove unused images",
     .options = prune_options},
    {.name = "volume create", .run = cmd_volume_create, .operands = "[VOLUME]",
     .summary = "Create a volume", .options = volume_create_options, .max_operands = 1},
    {.name = "volume ls", .run = cmd_volume_ls, .summary = "List volumes",
     .options = volume_ls_options, .aliases = ALIASES("volume list")},
    {.name = "volume inspect", .run = cmd_volume_inspect, .operands = "VOLUME...",
     .summary = "Show volumes' details as JSON", .options = volume_inspect_options,
     .min_operands = 1, .max_operands = -1,
     .complete = "volume"},
    {.name = "volume rm", .run = cmd_volume_rm, .operands = "VOLUME...",
     .summary = "Remove volumes no container uses", .options = volume_rm_options,
     .min_operands = 1, .max_operands = -1, .complete = "volume",
     .aliases = ALIASES("volume remove")},
    {.name = "volume prune", .run = cmd_volume_prune,
     .summary = "Remove the volumes no container uses (anonymous ones, all with -a)",
     .options = volume_prune_options},
    {.name = "network create", .run = cmd_network_create, .operands = "NETWORK",
     .summary = "Create a network", .options = network_create_options, .min_operands = 1,
     .max_operands = 1},
    {.name = "network ls", .run = cmd_network_ls, .summary = "List networks",
     .options = network_ls_options, .aliases = ALIASES("network list")},
    {.name = "network inspect", .run = cmd_network_inspect, .operands = "NETWORK...",
     .summary = "Show networks' details as JSON", .min_operands = 1, .max_operands = -1,
     .complete = "network"},
    {.name = "network rm", .run = cmd_network_rm, .operands = "NETWORK...",
     .summary = "Remove networks", .min_operands = 1, .max_operands = -1, .complete = "network",
     .aliases = ALIASES("network remove")},
    {.name = "network connect", .run = cmd_network_connect, .operands = "NETWORK CONTAINER",
     .summary = "Connect a container to a network", .min_operands = 2, .max_operands = 2,
     .complete = "network"},
    {.name = "network disconnect", .run = cmd_network_disconnect, .operands = "NETWORK CONTAINER",
     .summary = "Disconnect a container from a network", .options = network_disconnect_options,
     .min_operands = 2, .max_operands = 2, .complete = "network"},
    {.name = "network prune", .run = cmd_network_prune, .summary = "Remove unused networks",
     .options = network_prune_options},
    {.name = "port", .run = cmd_port, .operands = "CONTAINER [PRIVATE_PORT[/PROTO]]",
     .summary = "List a container's published ports", .min_operands = 1, .max_operands = 2,
     .complete = "container", .aliases = ALIASES("container port")},
    {.name = "system df", .run = cmd_system_df, .summary = "Show disk usage"},
    {.name = "system prune", .run = cmd_system_prune,
     .summary = "Remove stopped containers, unused networks and unused images",
     .options = system_prune_options},
    {.name = "system check", .run = cmd_system_check,
     .summary = "Verify and repair the store and the containers"},
    {.name = "exec", .run = cmd_exec, .operands = "CONTAINER COMMAND [ARG...]",
     .summary = "Run a command in a running container", .options = exec_options,
     .min_operands = 2, .max_operands = -1, .flags = CMDLINE_SEALED | CMDLINE_STOP_AT_OPERAND,
     .stop_after = 1, .complete = "container", .fail_status = EXIT_FAILURE_RUN,
     .aliases = ALIASES("container exec")},
    {.name = "top", .run = cmd_top, .operands = "CONTAINER [ps OPTIONS]",
     .summary = "Display the running processes of a container", .min_operands = 1,
     .max_operands = -1, .flags = CMDLINE_STOP_AT_OPERAND, .stop_after = 1,
     .complete = "container", .aliases = ALIASES("container top")},
    {.name = "pause", .run = cmd_pause, .operands = "CONTAINER...",
     .summary = "Pause all processes within one or more containers", .min_operands = 1,
     .max_operands = -1, .complete = "container", .aliases = ALIASES("container pause")},
    {.name = "unpause", .run = cmd_unpause, .operands = "CONTAINER...",
     .summary = "Unpause all processes within one or more containers", .min_operands = 1,
     .max_operands = -1, .complete = "container", .aliases = ALIASES("container unpause")},
    {.name = "stats", .run = cmd_stats, .operands = "[CONTAINER...]",
     .summary = "Display a live stream of containers' resource usage", .options = stats_options,
     .max_operands = -1, .complete = "container", .aliases = ALIASES("container stats")},
    {.name = "events", .run = cmd_events, .summary = "Get real time events from the engine",
     .options = events_options, .aliases = ALIASES("system events")},
    {.name = "info", .run = cmd_info, .summary = "Display system-wide information",
     .options = info_options, .aliases = ALIASES("system info")},
    {.name = "version", .run = cmd_version, .summary = "Show the version information",
     .options = info_options},
    {.name = "gen-docs", .run = cmd_gen_docs, .operands = "bash|man",
     .summary = "Write the bash completion script or the man page (make install)",
     .min_operands = 1, .max_operands = 1, .flags = CMDLINE_HIDDEN},
};

static const struct cmdline_completer completers[] = {
    {"container", "\"$@\" ps -a --format '{{.Names}}' 2>/dev/null"},
    {"image", "\"$@\" images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep -v '<none>'"},
    {"volume", "\"$@\" volume ls -q 2>/dev/null"},
    {"network", "\"$@\" network ls 2>/dev/null | awk 'NR > 1 {print $2}'"},
    {0},
};

const struct cmdline_program capsule_program = {
    .name = "capsule",
    .version = CAPSULE_VERSION,
    .globals = &globals,
    .table = commands,
    .n = sizeof commands / sizeof commands[0],
    .description = "capsule runs containers from OCI and docker images without a daemon: it "
                   "pulls, pushes, imports, loads and saves images, and runs containers with "
                   "its own OCI runtime in-process. Its commands and flags are docker's.",
    .exit_status = "0 on success; 125 for a usage error (an unknown flag, a missing value, a "
                   "wrong number of arguments) of any command; for run, 125 when capsule fails, "
                   "else the status of the container's command; 1 when another command fails.",
    .completers = completers,
};
