/*  floor — the least a fan-out over ZeroMQ can cost: one ROUTER connected to
    every server (one descriptor per server), one request to each, wait for
    every reply. bench/echo.c is the server.

    Usage: floor [--curve SERVER_CERT] [--rounds K] [--timeout MS] EPFILE
           floor --keygen FILE      (a zcert pair for echo --curve)

    EPFILE holds one endpoint a line. Connection i gets routing id "i"
    (ZMQ_CONNECT_ROUTING_ID, and with --curve the server key, set before
    its connect); ZMQ_ROUTER_MANDATORY makes a send to an unknown id an
    error. A request sent before its connection is up waits in that
    connection's queue. The request has the shape of a wrp STATUS (frames
    "WRP/1", "STATUS", id, "timeout_ms", "1000").
    cold: socket created, connected (CURVE handshakes included) and one
    round done, timed from before the socket to the last reply.
    warm: K more rounds on the same connections; median, min and max.
    Prints one line of key=value pairs; exit 0 when every server answered
    every round, 2 otherwise.                                                 */

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"

//  Send one request to every server, then read replies until each has
//  answered or the deadline passes. Returns how many answered.
static int
s_round (zsock_t *router, int count, int round, int timeout_ms)
{
    for (int i = 0; i < count; i++) {
        char rid[16], id[32];
        snprintf (rid, sizeof rid, "%d", i);
        snprintf (id, sizeof id, "floor-%d-%d", round, i);
        if (zstr_sendx (router, rid, "WRP/1", "STATUS", id, "timeout_ms", "1000", NULL) <
            0)
            fprintf (stderr, "floor: cannot send to %d: %s\n", i,
                     zmq_strerror (zmq_errno ()));
    }
    char *seen = calloc ((size_t) count, 1);
    int answered = 0;
    double deadline = bench_now_ms () + timeout_ms;
    while (answered < count) {
        double left = deadline - bench_now_ms ();
        if (left <= 0)
            break;
        zsock_set_rcvtimeo (router, (int) left + 1);
        zmsg_t *reply = zmsg_recv (router);
        if (!reply)
            break;
        //  [routing id, "WRP/1", "STATUS", id, ...]: the id says which
        //  server and round; a late reply to an earlier round is ignored.
        zframe_t *frame = zmsg_first (reply);
        for (int skip = 0; frame && skip < 3; skip++)
            frame = zmsg_next (reply);
        char *id = frame ? zframe_strdup (frame) : NULL;
        int r, i;
        if (id && sscanf (id, "floor-%d-%d", &r, &i) == 2 && r == round && i >= 0 &&
            i < count && !seen[i]) {
            seen[i] = 1;
            answered++;
        }
        free (id);
        zmsg_destroy (&reply);
    }
    free (seen);
    return answered;
}

int
main (int argc, char **argv)
{
    const char *server_cert_file = NULL;
    int rounds = 20;
    int timeout_ms = 30000;
    if (argc == 3 && streq (argv[1], "--keygen")) {
        zcert_t *cert = zcert_new ();
        int rc = cert ? zcert_save (cert, argv[2]) : -1;
        zcert_destroy (&cert);
        return rc == 0 ? 0 : 1;
    }
    int argn = 1;
    while (argn < argc - 1) {
        if (streq (argv[argn], "--curve"))
            server_cert_file = argv[argn + 1];
        else if (streq (argv[argn], "--rounds"))
            rounds = atoi (argv[argn + 1]);
        else if (streq (argv[argn], "--timeout"))
            timeout_ms = atoi (argv[argn + 1]);
        else
            break;
        argn += 2;
    }
    if (argn != argc - 1 || rounds < 0 || timeout_ms <= 0) {
        fprintf (stderr, "usage: floor [--curve SERVER_CERT] [--rounds K] "
                         "[--timeout MS] EPFILE\n");
        return 1;
    }
    FILE *file = fopen (argv[argn], "re");
    if (!file) {
        fprintf (stderr, "floor: cannot open %s\n", argv[argn]);
        return 1;
    }
    zlistx_t *endpoints = zlistx_new ();
    zlistx_set_destructor (endpoints, (zlistx_destructor_fn *) zstr_free);
    char line[256];
    while (fgets (line, sizeof line, file)) {
        line[strcspn (line, "\r\n")] = 0;
        if (*line)
            zlistx_add_end (endpoints, strdup (line));
    }
    fclose (file);
    int count = (int) zlistx_size (endpoints);
    if (count == 0) {
        fprintf (stderr, "floor: no endpoints in %s\n", argv[argn]);
        return 1;
    }
    bench_raise_fd_limit ();

    //  Keys are made before the clock starts: the controller loads its own
    //  from a file, which is not what this measures.
    zcert_t *client_cert = NULL;
    char *server_key = NULL;
    if (server_cert_file) {
        zcert_t *server_cert = zcert_load (server_cert_file);
        if (!server_cert) {
            fprintf (stderr, "floor: cannot load %s\n", server_cert_file);
            return 1;
        }
        server_key = strdup (zcert_public_txt (server_cert));
        zcert_destroy (&server_cert);
        client_cert = zcert_new ();
    }
    double *warm = calloc ((size_t) rounds + 1, sizeof *warm);

    double t0 = bench_now_ms ();
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    if (!router) {
        fprintf (stderr, "floor: cannot create the socket\n");
        return 1;
    }
    zsock_set_linger (router, 0);
    zsock_set_router_mandatory (router, 1);
    //  No handshake deadline (libzmq's is 30 s): --timeout bounds the round.
    zsock_set_handshake_ivl (router, 0);
    if (client_cert)
        zcert_apply (client_cert, router);
    int i = 0;
    for (char *ep = zlistx_first (endpoints); ep; ep = zlistx_next (endpoints), i++) {
        char rid[16];
        snprintf (rid, sizeof rid, "%d", i);
        zsock_set_connect_rid (router, rid);
        if (server_key)
            zsock_set_curve_serverkey (router, server_key);
        if (zsock_connect (router, "%s", ep) < 0) {
            fprintf (stderr, "floor: cannot connect %s: %s\n", ep,
                     zmq_strerror (zmq_errno ()));
            return 1;
        }
    }
    int answered = s_round (router, count, 0, timeout_ms);
    double cold = bench_now_ms () - t0;
    int warm_ok = 1;
    for (int r = 0; r < rounds; r++) {
        double start = bench_now_ms ();
        if (s_round (router, count, r + 1, timeout_ms) != count)
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

    zsock_destroy (&router);
    free (warm);
    free (server_key);
    zcert_destroy (&client_cert);
    zlistx_destroy (&endpoints);
    return answered == count && warm_ok ? 0 : 2;
}
