/*  wrp_render_fold — sinfo-style folded view. See wrp_render_fold.h.       */

#include "wrp_render_fold.h"
#include "wrp_hostfile.h"
#include "wrp_proto.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_LABEL_MAX 48    //  longest state label

//  The state label of a node.
static void
s_label (const wrp_render_node_t *node, char *buf, size_t size)
{
    const char *state = wrp_render_state (node);
    if (node->unauthorized)
        snprintf (buf, size, "denied");
    else if (!node->reachable)
        snprintf (buf, size, "down");
    else if (node->result && strcmp (node->result, "ok"))
        snprintf (buf, size, "error");
    else
        snprintf (buf, size, "%.32s%s", state ? state : "unknown",
                  node->stale > 0 ? " stale" : "");
}

char *
wrp_render_fold (const wrp_render_view_t *view)
{
    assert (view);
    size_t n = view->count;
    char (*labels)[S_LABEL_MAX] = calloc (n ? n : 1, sizeof *labels);
    const char **names = calloc (n ? n : 1, sizeof *names);
    bool *done = calloc (n ? n : 1, sizeof *done);
    wrp_buf_t b = {0};
    if (!labels || !names || !done)
        b.failed = true;
    for (size_t i = 0; i < n && !b.failed; i++)
        s_label (&view->nodes[i], labels[i], S_LABEL_MAX);
    if (!view->no_header)
        wrp_buf_printf (&b, "%-14s %6s  %s\n", "STATE", "NODES", "HOSTS");
    //  One line per label, in the order labels first appear.
    for (size_t i = 0; i < n && !b.failed; i++) {
        if (done[i])
            continue;
        size_t count = 0;
        for (size_t j = i; j < n; j++)
            if (!done[j] && !strcmp (labels[j], labels[i])) {
                names[count++] = view->nodes[j].host;
                done[j] = true;
            }
        char *hosts = wrp_hostfile_fold (names, count);
        if (!hosts) {
            b.failed = true;
            break;
        }
        wrp_buf_printf (&b, "%-14s %6zu  %s\n", labels[i], count, hosts);
        free (hosts);
    }
    wrp_buf_str (&b, "\n");
    wrp_render_summary_line (view, &b);
    free (labels);
    free (names);
    free (done);
    return wrp_buf_finish (&b, NULL);
}

void
wrp_render_fold_test (bool verbose)
{
    wrp_msg_t *running = wrp_msg_new (WRP_CMD_OK, NULL);
    assert (running);
    wrp_msg_set_str (running, WRP_F_STATE, WRP_STATE_RUNNING);
    char hosts[6][16];
    wrp_render_node_t nodes[6] = {{0}};
    for (size_t i = 0; i < 6; i++) {
        snprintf (hosts[i], sizeof hosts[i], "node%02zu", i + 1);
        nodes[i] = (wrp_render_node_t){
            .host = hosts[i], .reachable = i != 3, .status = running, .rtt_ms = 1};
    }
    nodes[5].stale = 1;
    wrp_render_view_t view = {
        .pipeline = "p", .command = "status", .nodes = nodes, .count = 6};
    char *text = wrp_render_fold (&view);
    if (verbose)
        printf ("%s", text);
    assert (text && strstr (text, "STATE"));
    assert (strstr (text, "running             4  node[01-03,05]\n"));
    assert (strstr (text, "down                1  node04\n"));
    assert (strstr (text, "running stale       1  node06\n"));
    assert (strstr (text, "6 nodes: 5 reachable, 5 running, 1 stale"));
    free (text);
    view.no_header = true;
    text = wrp_render_fold (&view);
    assert (text && !strstr (text, "STATE"));
    free (text);
    wrp_msg_destroy (&running);
}
