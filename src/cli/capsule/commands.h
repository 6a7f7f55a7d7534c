/* Every `capsule` command's function and option list; the table that names
 * them is in commands.c (how to add a command: see there). */
#ifndef CAPSULE_CLI_COMMANDS_H
#define CAPSULE_CLI_COMMANDS_H

#include <stddef.h>

#include "util/cmdline.h"

#define CAPSULE_COMMAND(fn) int fn(struct cli *cli, struct cmdline_args *args, err_t *e)

CAPSULE_COMMAND(cmd_run);
CAPSULE_COMMAND(cmd_node_init);
CAPSULE_COMMAND(cmd_node_run);
CAPSULE_COMMAND(cmd_node_status);
CAPSULE_COMMAND(cmd_node_events);
CAPSULE_COMMAND(cmd_node_join);
CAPSULE_COMMAND(cmd_node_leave);
CAPSULE_COMMAND(cmd_create);
CAPSULE_COMMAND(cmd_start);
CAPSULE_COMMAND(cmd_stop);
CAPSULE_COMMAND(cmd_restart);
CAPSULE_COMMAND(cmd_kill);
CAPSULE_COMMAND(cmd_wait);
CAPSULE_COMMAND(cmd_attach);
CAPSULE_COMMAND(cmd_logs);
CAPSULE_COMMAND(cmd_ps);
CAPSULE_COMMAND(cmd_rm);
CAPSULE_COMMAND(cmd_pull);
CAPSULE_COMMAND(cmd_push);
CAPSULE_COMMAND(cmd_login);
CAPSULE_COMMAND(cmd_logout);
CAPSULE_COMMAND(cmd_images);
CAPSULE_COMMAND(cmd_tag);
CAPSULE_COMMAND(cmd_rmi);
CAPSULE_COMMAND(cmd_import);
CAPSULE_COMMAND(cmd_save);
CAPSULE_COMMAND(cmd_load);
CAPSULE_COMMAND(cmd_image_inspect);
CAPSULE_COMMAND(cmd_image_history);
CAPSULE_COMMAND(cmd_image_prune);
CAPSULE_COMMAND(cmd_system_check);
CAPSULE_COMMAND(cmd_version);
CAPSULE_COMMAND(cmd_exec);
CAPSULE_COMMAND(cmd_top);
CAPSULE_COMMAND(cmd_pause);
CAPSULE_COMMAND(cmd_unpause);
CAPSULE_COMMAND(cmd_stats);
CAPSULE_COMMAND(cmd_events);
CAPSULE_COMMAND(cmd_info);
CAPSULE_COMMAND(cmd_gen_docs);
CAPSULE_COMMAND(cmd_volume_create);
CAPSULE_COMMAND(cmd_volume_ls);
CAPSULE_COMMAND(cmd_volume_inspect);
CAPSULE_COMMAND(cmd_volume_rm);
CAPSULE_COMMAND(cmd_volume_prune);
CAPSULE_COMMAND(cmd_network_create);
CAPSULE_COMMAND(cmd_network_ls);
CAPSULE_COMMAND(cmd_network_inspect);
CAPSULE_COMMAND(cmd_network_rm);
CAPSULE_COMMAND(cmd_network_connect);
CAPSULE_COMMAND(cmd_network_disconnect);
CAPSULE_COMMAND(cmd_network_prune);
CAPSULE_COMMAND(cmd_port);
CAPSULE_COMMAND(cmd_cp);
CAPSULE_COMMAND(cmd_diff);
CAPSULE_COMMAND(cmd_commit);
CAPSULE_COMMAND(cmd_build);
CAPSULE_COMMAND(cmd_export);
CAPSULE_COMMAND(cmd_rename);
CAPSULE_COMMAND(cmd_inspect);
CAPSULE_COMMAND(cmd_container_inspect);
CAPSULE_COMMAND(cmd_container_prune);
CAPSULE_COMMAND(cmd_system_df);
CAPSULE_COMMAND(cmd_system_prune);

/* Each command's options, defined next to its function. */
extern const struct cmdline_option start_options[], stop_options[], kill_options[],
    attach_options[], logs_options[];
extern const struct cmdline_option run_options[], ps_options[], rm_options[], pull_options[],
    push_options[], login_options[], logout_options[], images_options[], rmi_options[],
    import_options[], save_options[], load_options[], history_options[], prune_options[],
    volume_create_options[], volume_ls_options[], volume_inspect_options[], volume_rm_options[],
    volume_prune_options[], exec_options[], stats_options[], events_options[], info_options[],
    network_create_options[], network_ls_options[], network_prune_options[],
    network_disconnect_options[],
    cp_options[], commit_options[], export_options[], inspect_options[], container_inspect_options[],
    image_inspect_options[], container_prune_options[], system_prune_options[],
    system_df_options[], build_options[];

extern const struct cmdline_option node_init_options[], node_run_options[], node_format_options[];

/* The global options' ids ("--root"; "-v" is 'v'). */
enum { OPT_GLOBAL_ROOT = 256, OPT_GLOBAL_RUN_ROOT };

/* The table and the global options (commands.c). */
extern const struct cmdline_program capsule_program;

#endif
