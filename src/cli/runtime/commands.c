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
 * are in util/cmdline.h. */
#include "cli/runtime/cli.h"

#define ID "<container-id>"

const struct cmdline_command runtime_commands[] = {
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
};
const size_t runtime_n_commands = sizeof runtime_commands / sizeof runtime_commands[0];
