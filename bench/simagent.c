/*  simagent — many cheap simulated agents in one process, for measuring the
    controller at sizes no machine runs real agents at (10,000 nodes).

    Usage: simagent SEC [--state-dir-each] EPFILE
        SEC: --insecure, or --key FILE --authorized-keys DIR (CURVE, with
        the product's ZAP handler).
        --state-dir-each: every simulated node reports a state dir of its
        own (as agents with their own state dirs do), so `start` generates
        a config, and a START, per node.

    One ROUTER made by the product's transport (wrp_transport_listen: the
    same options, CURVE and ZAP as wrp-agentd) bound to every endpoint of
    EPFILE (one a line), answering with the product's codec. Each peer (a
    controller DEALER, by routing id) is one simulated node with a runtime
    state: STATUS answers it, START makes it running, STOP and KILL
    stopped, CLEAN removes nothing. Replies carry what the controller reads
    (node, state, pid, state_dir, pipeline, generation). Stops on
    SIGINT/SIGTERM.                                                          */

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wrp_msg.h"
#include "wrp_transport.h"

static int
s_usage (void)
{
    fprintf (stderr, "usage: simagent --insecure | --key FILE --authorized-keys DIR "
                     "[--state-dir-each] EPFILE\n");
    return 1;
}

//  The reply to one request from the simulated node whose state is *running.
static wrp_msg_t *
s_answer (const wrp_msg_t *request, bool *running, const char *node, bool state_dir_each)
{
    wrp_cmd_t cmd = wrp_msg_cmd (request);
    wrp_msg_t *reply = wrp_msg_new (WRP_CMD_OK, wrp_msg_id (request));
    if (cmd == WRP_CMD_START)
        *running = true;
    else if (cmd == WRP_CMD_STOP || cmd == WRP_CMD_KILL)
        *running = false;
    else if (cmd == WRP_CMD_CLEAN)
        wrp_msg_set_str (reply, "removed", "");
    wrp_msg_set_str (reply, "node", node);
    wrp_msg_set_str (reply, "state", *running ? "running" : "stopped");
    char state_dir[300];
    snprintf (state_dir, sizeof state_dir, "/var/lib/wrp-sim%s%s",
              state_dir_each ? "/" : "", state_dir_each ? node : "");
    wrp_msg_set_str (reply, "state_dir", state_dir);
    if (*running) {
        wrp_msg_set_int (reply, "pid", 4242);
        wrp_msg_set_int (reply, "uptime_ms", 1000);
        const char *pipeline = wrp_msg_str (request, "pipeline");
        if (pipeline)
            wrp_msg_set_str (reply, "pipeline", pipeline);
    }
    return reply;
}

int
main (int argc, char **argv)
{
    wrp_security_t security = {0};
    bool state_dir_each = false;
    int argn = 1;
    while (argn < argc - 1) {
        if (streq (argv[argn], "--insecure"))
            security.insecure = true, argn++;
        else if (streq (argv[argn], "--state-dir-each"))
            state_dir_each = true, argn++;
        else if (argn + 1 < argc - 1 && streq (argv[argn], "--key"))
            security.key_file = argv[argn + 1], argn += 2;
        else if (argn + 1 < argc - 1 && streq (argv[argn], "--authorized-keys"))
            security.authorized_dir = argv[argn + 1], argn += 2;
        else
            return s_usage ();
    }
    if (argn != argc - 1)
        return s_usage ();
    FILE *file = fopen (argv[argn], "re");
    if (!file) {
        fprintf (stderr, "simagent: cannot open %s\n", argv[argn]);
        return 1;
    }
    char *err = NULL;
    wrp_transport_t *transport = wrp_transport_new (&security, true, &err);
    if (!transport) {
        fprintf (stderr, "simagent: %s\n", err ? err : "transport failed");
        return 1;
    }
    zsock_t *router = NULL;
    char line[256];
    size_t count = 0;
    while (fgets (line, sizeof line, file)) {
        line[strcspn (line, "\r\n")] = 0;
        if (!*line)
            continue;
        if (!router && !(router = wrp_transport_listen (transport, line, &err)))
            fprintf (stderr, "simagent: %s\n", err ? err : "listen failed");
        else if (count > 0 && zsock_bind (router, "%s", line) < 0)
            fprintf (stderr, "simagent: cannot bind %s: %s\n", line,
                     zmq_strerror (zmq_errno ()));
        else {
            count++;
            continue;
        }
        //  Sockets before the transport (its ZAP handler), then out.
        fclose (file);
        zsock_destroy (&router);
        wrp_transport_destroy (&transport);
        return 1;
    }
    fclose (file);
    if (!router)
        return s_usage ();
    fprintf (stderr, "simagent: %zu endpoints\n", count);

    //  Simulated node state by routing id (value: "1" running, "0" stopped).
    zhashx_t *running = zhashx_new ();
    zpoller_t *poller = zpoller_new (router, wrp_transport_notices (transport), NULL);
    //  A signal may land in another thread (the ZAP handler's): look at
    //  the flag at least every 100 ms.
    while (!zsys_interrupted) {
        zsock_t *which = zpoller_wait (poller, 100);
        if (!which) {
            if (zpoller_terminated (poller))
                break;
            continue;
        }
        if (which != router) {
            char *notice;
            while ((notice = wrp_transport_notice (transport)))
                zstr_free (&notice);
            continue;
        }
        while (zsock_events (router) & ZMQ_POLLIN) {
            wrp_msg_t *request = NULL;
            zframe_t *peer = NULL;
            char why[256];
            if (wrp_msg_recv (router, &request, &peer, why, sizeof why) != 0) {
                zframe_destroy (&peer);
                continue;
            }
            char *key = zframe_strhex (peer);
            bool state = zhashx_lookup (running, key) != NULL;
            wrp_msg_t *reply = s_answer (request, &state, key, state_dir_each);
            if (state)
                zhashx_update (running, key, (void *) "1");
            else
                zhashx_delete (running, key);
            wrp_msg_send (reply, router, peer);
            wrp_msg_destroy (&reply);
            wrp_msg_destroy (&request);
            zframe_destroy (&peer);
            free (key);
        }
    }
    zpoller_destroy (&poller);
    zhashx_destroy (&running);
    zsock_destroy (&router);
    wrp_transport_destroy (&transport);
    return 0;
}
