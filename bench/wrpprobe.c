/*  wrpprobe — measurements that need a client living longer than one
    wrp-controller command. Built on the product's own codec (wrp_msg) and
    transport (wrp_transport), so it speaks to agents exactly as the
    controller does.

    wrpprobe poll  SEC [--rounds K] [--timeout MS] EPFILE
        the controller's fan-out (one ROUTER connected to every agent of
        EPFILE, one endpoint a line); one cold STATUS round (connects and
        handshakes included), then K warm rounds on the same connections:
        the cost of one heartbeat sweep of `monitor`.
        Prints "n= answered= cold_ms= warm_median_ms= warm_min_ms= warm_max_ms=".
    wrpprobe crash SEC [--timeout MS] ENDPOINT
        asks the agent for its runtime's pid, sends that pid SIGSEGV, then
        sends STATUS back to back until the agent says `failed`.
        Prints "crash_ms=" (from the kill to the reply saying failed).

    SEC is --insecure, or --key FILE --agent-key FILE (CURVE).
    Exit 0 on success, 2 when an agent did not answer, 1 on bad usage.       */

#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"

#include "wrp_msg.h"
#include "wrp_transport.h"

static int
s_usage (void)
{
    fprintf (stderr, "usage: wrpprobe poll  SEC [--rounds K] [--timeout MS] EPFILE\n"
                     "       wrpprobe crash SEC [--timeout MS] ENDPOINT\n"
                     "SEC: --insecure | --key FILE --agent-key FILE\n");
    return 1;
}

//  The routing id of agent i ("n" and its index).
static zframe_t *
s_rid (int i)
{
    char text[16];
    snprintf (text, sizeof text, "n%d", i);
    return zframe_new (text, strlen (text));
}

//  One STATUS to every agent; wait until each answered or the deadline.
//  Returns how many answered. ret_reply (if not NULL) gets agent 0's reply.
static int
s_round (zsock_t *sock, int count, int timeout_ms, wrp_msg_t **ret_reply)
{
    for (int i = 0; i < count; i++) {
        wrp_msg_t *request = wrp_msg_new (WRP_CMD_STATUS, NULL);
        zframe_t *rid = s_rid (i);
        wrp_msg_send (request, sock, rid);
        zframe_destroy (&rid);
        wrp_msg_destroy (&request);
    }
    char *seen = calloc ((size_t) count, 1);
    int answered = 0;
    double deadline = bench_now_ms () + timeout_ms;
    zmq_pollitem_t item = {zsock_resolve (sock), 0, ZMQ_POLLIN, 0};
    while (answered < count) {
        double left = deadline - bench_now_ms ();
        if (left <= 0 || zmq_poll (&item, 1, (long) left + 1) < 0)
            break;
        while (zsock_events (sock) & ZMQ_POLLIN) {
            wrp_msg_t *reply = NULL;
            zframe_t *rid = NULL;
            char err[256];
            if (wrp_msg_recv (sock, &reply, &rid, err, sizeof err) < 0) {
                zframe_destroy (&rid);
                break;
            }
            char *text = zframe_strdup (rid);
            int i = text && text[0] == 'n' ? atoi (text + 1) : -1;
            free (text);
            zframe_destroy (&rid);
            if (i >= 0 && i < count && !seen[i]) {
                seen[i] = 1;
                answered++;
            }
            if (i == 0 && ret_reply) {
                wrp_msg_destroy (ret_reply);
                *ret_reply = reply;
            } else
                wrp_msg_destroy (&reply);
        }
    }
    free (seen);
    return answered;
}

int
main (int argc, char **argv)
{
    if (argc < 2)
        return s_usage ();
    const char *mode = argv[1];
    if (!streq (mode, "poll") && !streq (mode, "crash"))
        return s_usage ();

    wrp_security_t security = {0};
    const char *agent_key = NULL;
    int rounds = 20, timeout_ms = 10000;
    int argn = 2;
    while (argn < argc - 1) {
        if (streq (argv[argn], "--insecure")) {
            security.insecure = true;
            argn++;
            continue;
        }
        if (argn + 1 >= argc - 1)
            break;
        if (streq (argv[argn], "--key"))
            security.key_file = argv[argn + 1];
        else if (streq (argv[argn], "--agent-key"))
            agent_key = argv[argn + 1];
        else if (streq (argv[argn], "--rounds"))
            rounds = atoi (argv[argn + 1]);
        else if (streq (argv[argn], "--timeout"))
            timeout_ms = atoi (argv[argn + 1]);
        else
            return s_usage ();
        argn += 2;
    }
    if (argn != argc - 1 || rounds < 0 || timeout_ms <= 0)
        return s_usage ();

    zlistx_t *endpoints = zlistx_new ();
    zlistx_set_destructor (endpoints, (zlistx_destructor_fn *) zstr_free);
    if (streq (mode, "crash"))
        zlistx_add_end (endpoints, strdup (argv[argn]));
    else {
        FILE *file = fopen (argv[argn], "re");
        if (!file) {
            fprintf (stderr, "wrpprobe: cannot open %s\n", argv[argn]);
            return 1;
        }
        char line[256];
        while (fgets (line, sizeof line, file)) {
            line[strcspn (line, "\r\n")] = 0;
            if (*line)
                zlistx_add_end (endpoints, strdup (line));
        }
        fclose (file);
    }
    int count = (int) zlistx_size (endpoints);
    if (count == 0)
        return s_usage ();
    //  The transport raises the socket and fd limits itself.
    char *err = NULL;
    wrp_transport_t *transport = wrp_transport_new (&security, false, &err);
    if (!transport) {
        fprintf (stderr, "wrpprobe: %s\n", err ? err : "transport failed");
        free (err);
        return 1;
    }
    double *warm = calloc ((size_t) rounds + 1, sizeof *warm);
    int rc = 0;

    double t0 = bench_now_ms ();
    zsock_t *sock = wrp_transport_fanout (transport, (size_t) count, &err);
    int i = 0;
    for (char *ep = zlistx_first (endpoints); sock && ep;
         ep = zlistx_next (endpoints), i++) {
        char rid[16];
        snprintf (rid, sizeof rid, "n%d", i);
        if (wrp_transport_dial (transport, sock, ep, rid, agent_key, &err) != 0) {
            fprintf (stderr, "wrpprobe: %s: %s\n", ep, err ? err : "connect failed");
            free (err);
            return 1;
        }
    }
    if (!sock) {
        fprintf (stderr, "wrpprobe: %s\n", err ? err : "no socket");
        free (err);
        return 1;
    }
    wrp_msg_t *reply = NULL;
    int answered = s_round (sock, count, timeout_ms, &reply);
    double cold = bench_now_ms () - t0;

    if (streq (mode, "poll")) {
        int warm_ok = 1;
        for (int r = 0; r < rounds; r++) {
            double start = bench_now_ms ();
            if (s_round (sock, count, timeout_ms, NULL) != count)
                warm_ok = 0;
            warm[r] = bench_now_ms () - start;
        }
        printf ("n=%d answered=%d cold_ms=%.3f", count, answered, cold);
        if (rounds > 0) {
            qsort (warm, (size_t) rounds, sizeof *warm, bench_cmp_double);
            printf (" warm_median_ms=%.3f warm_min_ms=%.3f warm_max_ms=%.3f",
                    warm[rounds / 2], warm[0], warm[rounds - 1]);
        }
        printf ("\n");
        rc = answered == count && warm_ok ? 0 : 2;
    } else {
        int64_t pid = 0;
        const char *state = reply ? wrp_msg_str (reply, "state") : NULL;
        if (!reply || !state || !streq (state, "running") ||
            wrp_msg_int (reply, "pid", &pid) < 0 || pid <= 1) {
            fprintf (stderr, "wrpprobe: the agent reports no running runtime (%s)\n",
                     state ? state : "no answer");
            rc = 2;
        } else {
            double killed = bench_now_ms ();
            kill ((pid_t) pid, SIGSEGV);
            double seen = -1;
            while (bench_now_ms () - killed < timeout_ms) {
                wrp_msg_t *status = NULL;
                if (s_round (sock, 1, timeout_ms, &status) != 1) {
                    wrp_msg_destroy (&status);
                    break;
                }
                state = wrp_msg_str (status, "state");
                bool failed = state && streq (state, "failed");
                wrp_msg_destroy (&status);
                if (failed) {
                    seen = bench_now_ms () - killed;
                    break;
                }
            }
            if (seen < 0) {
                fprintf (stderr, "wrpprobe: the agent did not report failed\n");
                rc = 2;
            } else
                printf ("crash_ms=%.3f\n", seen);
        }
    }
    wrp_msg_destroy (&reply);
    wrp_transport_close (transport, &sock);
    free (warm);
    zlistx_destroy (&endpoints);
    wrp_transport_destroy (&transport);
    return rc;
}
