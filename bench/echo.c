/*  echo — the server half of the floor benchmark: a bare ZeroMQ ROUTER that
    sends every message straight back to its sender, nothing else.

    Usage: echo [--curve CERT] ENDPOINT...
           echo [--curve CERT] @EPFILE     one ROUTER bound to every endpoint

    One ROUTER per endpoint, all in one poll loop. bench/run.sh starts one
    process per endpoint (as many processes as there are agents), so the
    floor pays the same per-process scheduling the agents do. With @EPFILE
    (one endpoint a line) one ROUTER binds them all: the floor beside
    bench/simagent, which serves its simulated agents the same way; it says
    "echo: N endpoints" on stderr once they are bound. With --curve,
    CERT (and CERT_secret) is the server key pair and every socket is a
    CURVE server; no ZAP handler runs (any client key is accepted), which
    is the cheapest CURVE server there is. Stops on SIGINT/SIGTERM.          */

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"

int
main (int argc, char **argv)
{
    const char *cert_file = NULL;
    int first = 1;
    if (argc > 2 && streq (argv[1], "--curve")) {
        cert_file = argv[2];
        first = 3;
    }
    if (first >= argc) {
        fprintf (stderr, "usage: echo [--curve CERT] ENDPOINT...\n");
        return 1;
    }
    int count = argc - first;
    FILE *many = argv[first][0] == '@' ? fopen (argv[first] + 1, "re") : NULL;
    if (argv[first][0] == '@' && !many) {
        fprintf (stderr, "echo: cannot open %s\n", argv[first] + 1);
        return 1;
    }
    if (many)
        count = 1;
    zsys_set_max_sockets (count + 16);
    bench_raise_fd_limit ();

    zcert_t *cert = NULL;
    if (cert_file) {
        cert = zcert_load (cert_file);
        if (!cert) {
            fprintf (stderr, "echo: cannot load certificate %s\n", cert_file);
            return 1;
        }
    }
    zsock_t **socks = calloc ((size_t) count, sizeof *socks);
    zmq_pollitem_t *items = calloc ((size_t) count, sizeof *items);
    if (!socks || !items)
        return 1;
    for (int i = 0; i < count; i++) {
        socks[i] = zsock_new (ZMQ_ROUTER);
        if (!socks[i])
            return 1;
        zsock_set_linger (socks[i], 0);
        //  No handshake deadline: 10,000 CURVE handshakes at once can take
        //  longer than libzmq's 30 s on a slow machine, and the client's
        //  own deadline bounds its round anyway.
        zsock_set_handshake_ivl (socks[i], 0);
        if (cert) {
            zcert_apply (cert, socks[i]);
            zsock_set_curve_server (socks[i], 1);
        }
        char line[256];
        int bound = 0;
        while (many && fgets (line, sizeof line, many)) {
            line[strcspn (line, "\r\n")] = 0;
            if (*line && zsock_bind (socks[i], "%s", line) < 0) {
                fprintf (stderr, "echo: cannot bind %s: %s\n", line,
                         zmq_strerror (zmq_errno ()));
                return 1;
            }
            bound += *line != 0;
        }
        if (many)
            fprintf (stderr, "echo: %d endpoints\n", bound);
        if (!many && zsock_bind (socks[i], "%s", argv[first + i]) < 0) {
            fprintf (stderr, "echo: cannot bind %s: %s\n", argv[first + i],
                     zmq_strerror (zmq_errno ()));
            return 1;
        }
        items[i].socket = zsock_resolve (socks[i]);
        items[i].events = ZMQ_POLLIN;
    }
    while (!zsys_interrupted) {
        int rc = zmq_poll (items, count, 500);
        if (rc < 0)
            break;
        for (int i = 0; i < count; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            //  Drain what is there: a ROUTER message is [routing id, frames...],
            //  and sending it back as is routes it to the sender.
            while (zsock_events (socks[i]) & ZMQ_POLLIN) {
                zmsg_t *msg = zmsg_recv (socks[i]);
                if (!msg)
                    break;
                zmsg_send (&msg, socks[i]);
            }
        }
    }
    for (int i = 0; i < count; i++)
        zsock_destroy (&socks[i]);
    free (socks);
    free (items);
    zcert_destroy (&cert);
    return 0;
}
