/* The capsule-runtime command table (runc's commands): one entry per
 * command, in the order `capsule-runtime --help` lists them. Help, bash
 * completion and the man page are generated from it.
 *
 * To add a command: write `RUNTIME_COMMAND(cmd_x)` (declared in cli.h) in the
 * file of its group; it gets the parsed arguments (cmdline_value,
 * cmdline_has, cmdline_next, args->operands) and returns the exit status, or
 * -1 with `e` set (main.c prints it once and exits 1, as runc does). Define
 * its options next to it (`const struct cmdline_option x_options[]`, declared
 * in cli.h), then add its entry below: name, function, operands and summary
 * for help, options, operand count (min, max; -1: any), flags, and what
 * completion offers for operands ("container", "file").
 *
 * Flags: CMDLINE_SEALED for a command that starts processes in a container
 * (it runs from a sealed copy of the binary, runtime/self_protect.h);
 * CMDLINE_STOP_AT_OPERAND with stop_after = N when the words after the Nth
 * operand are not ours ("exec ID ls -l", "ps ID -o pid"). The parsing rules
 * are in util/cmdline.h. The hidden `capsule-runtime gen-docs bash|man` writes
 * the bash completion script and the man page from this table (`make
 * install` installs them). */
#include "cli/runtime/cli.h"
#include "oci/defaults.h"
#include "util/version.h"

#define ID "<container-id>"

static const struct cmdline_option global_options[] = {
    {OPT_GLOBAL_ROOT, 0, "root", CMDLINE_VALUE, "DIR",
     "state directory (default " RUNTIME_DEFAULT_ROOT ")"},
    {OPT_GLOBAL_LOG, 0, "log", CMDLINE_VALUE, "FILE", "also write warnings and errors to FILE"},
    {OPT_GLOBAL_LOG_FORMAT, 0, "log-format", CMDLINE_VALUE, "text|json", "format of the log lines"},
    {OPT_GLOBAL_DEBUG, 0, "debug", CMDLINE_FLAG, NULL, "log debug messages"},
    {OPT_GLOBAL_SYSTEMD, 0, "systemd-cgroup", CMDLINE_FLAG, NULL,
     "use systemd to manage cgroups (needs systemd)"},
    {OPT_GLOBAL_CGROUP_MANAGER, 0, "cgroup-manager", CMDLINE_VALUE, "cgroupfs|systemd",
     "crun's spelling: systemd is --systemd-cgroup"},
    {OPT_GLOBAL_IGNORED, 0, "criu", CMDLINE_VALUE, "PATH", "accepted for runc compatibility",
     true},
    {OPT_GLOBAL_ROOTLESS, 0, "rootless", CMDLINE_VALUE, "auto|true|false",
     "accepted for runc compatibility", true},
    {'v', 'v', "version", CMDLINE_FLAG, NULL, "print the version"},
    CMDLINE_OPTIONS_END,
};

/* The words before the command: global options, then the command's name. */
static const struct cmdline_command globals = {
    .name = "", .operands = "COMMAND [OPTIONS] [ARGUMENTS]",
    .summary = "an OCI runtime, command-line compatible with runc", .options = global_options,
    .max_operands = -1, .flags = CMDLINE_STOP_AT_OPERAND, .stop_after = 1};

static const struct cmdline_command commands[] = {
    {.name = "create", .run = cmd_create, .operands = ID, .summary = "create a container",
     .options = create_options, .min_operands = 1, .max_operands = 1, .flags = CMDLINE_SEALED},
    {.name = "run", .run = cmd_run, .operands = ID, .summary = "create and start a container",
     .options = run_options, .min_operands = 1, .max_operands = 1, .flags = CMDLINE_SEALED},
    {.name = "start", .run = cmd_start, .operands = ID, .summary = "start a created container",
     .min_operands = 1, .max_operands = 1, .complete = "container"},
    {.name = "delete", .run = cmd_delete, .operands = ID, .summary = "delete a container",
     .options = delete_options, .min_operands = 1, .max_operands = 1, .complete = "container"},
    {.name = "kill", .run = cmd_kill, .operands = ID " [signal]",
     .summary = "send a signal (name or number, default TERM) to the container's init",
     .options = kill_options, .min_operands = 1, .max_operands = 2, .complete = "container"},
    {.name = "exec", .run = cmd_exec, .operands = ID " [command [args...]]",
     .summary = "run a process in a running container", .options = exec_options,
     .min_operands = 1, .max_operands = -1, .flags = CMDLINE_SEALED | CMDLINE_STOP_AT_OPERAND,
     .stop_after = 1, .complete = "container"},
    {.name = "state", .run = cmd_state, .operands = ID,
     .summary = "print the container's state as JSON", .min_operands = 1, .max_operands = 1,
     .complete = "container"},
    {.name = "list", .run = cmd_list, .summary = "list containers", .options = list_options},
    {.name = "ps", .run = cmd_ps, .operands = ID " [ps options]",
     .summary = "list the container's processes", .options = ps_options, .min_operands = 1,
     .max_operands = -1, .flags = CMDLINE_STOP_AT_OPERAND, .stop_after = 1,
     .complete = "container"},
    {.name = "spec", .run = cmd_spec, .summary = "write a default config.json",
     .options = spec_options},
    {.name = "features", .run = cmd_features, .summary = "print the runtime-spec features JSON"},
    {.name = "update", .run = cmd_update, .operands = ID, .summary = "change resource limits",
     .options = update_options, .min_operands = 1, .max_operands = 1, .complete = "container"},
    {.name = "events", .run = cmd_events, .operands = ID,
     .summary = "print the container's usage (cpu, memory, pids, blkio) and OOM events as JSON",
     .options = events_options, .min_operands = 1, .max_operands = 1, .complete = "container"},
    {.name = "pause", .run = cmd_pause, .operands = ID,
     .summary = "freeze every process of the container", .min_operands = 1, .max_operands = 1,
     .complete = "container"},
    {.name = "resume", .run = cmd_resume, .operands = ID, .summary = "thaw a paused container",
     .min_operands = 1, .max_operands = 1, .complete = "container"},
    {.name = "checkpoint", .run = cmd_checkpoint, .operands = ID,
     .summary = "save a running container to disk with CRIU", .options = checkpoint_options,
     .min_operands = 1, .max_operands = 1, .complete = "container"},
    {.name = "restore", .run = cmd_restore, .operands = ID,
     .summary = "make a container from a bundle and a checkpoint", .options = restore_options,
     .min_operands = 1, .max_operands = 1, .flags = CMDLINE_SEALED},
    {.name = "gen-docs", .run = cmd_gen_docs, .operands = "bash|man",
     .summary = "write the bash completion script or the man page (make install)",
     .min_operands = 1, .max_operands = 1, .flags = CMDLINE_HIDDEN},
};

static const struct cmdline_completer completers[] = {
    {"container", "\"$@\" list -q 2>/dev/null"},
    {0},
};

const struct cmdline_program runtime_program = {
    .name = "capsule-runtime",
    .version = CAPSULE_VERSION,
    .globals = &globals,
    .table = commands,
    .n = sizeof commands / sizeof commands[0],
    .description = "capsule-runtime creates and runs containers from OCI bundles (a directory "
                   "with config.json and a root filesystem), with runc's commands and flags, "
                   "so that containerd, podman or docker can use it as their runtime.",
    .exit_status = "1 on an error of the runtime; otherwise, for run and exec in the "
                   "foreground, the status of the container's process; 0 on success.",
    .completers = completers,
};
