/*  wrp-send — send one wrp message to an agent and print the reply (tests).

    wrp-send [-t MS] [--key FILE --agent-key FILE] ENDPOINT COMMAND ID [KEY=VALUE |
   KEY=@FILE]... wrp-send --frames [-t MS] ENDPOINT FRAME...      raw frames (FRAME or
   @FILE)

    ID "-" makes a random one. Without --key the connection is plain TCP
    (the agent runs --insecure). The reply prints one field a line,
    "command=OK", "id=...", then "key=value"; a value of several lines
    prints as several "key=line" lines. Exit 0: a reply came; 2: no reply
    within the timeout (default 5000 ms); 1: bad usage.                       */

#include "wrp_msg.h"
#include "wrp_transport.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_value (const char *arg, char **ret_data, size_t *ret_size)
{
    if (arg[0] != '@') {
        *ret_data = strdup (arg);
        *ret_size = strlen (arg);
        return *ret_data ? 0 : -1;
    }
    FILE *file = fopen (arg + 1, "rb");
    if (!file) {
        perror (arg + 1);
        return -1;
    }
    size_t max = 64u << 20, size = 0;
    char *data = malloc (max);
    if (data)
        size = fread (data, 1, max, file);
    fclose (file);
    *ret_data = data;
    *ret_size = size;
    return data ? 0 : -1;
}

static void
s_print_field (const char *key, const char *value, size_t size)
{
    size_t start = 0;
    for (size_t i = 0; i <= size; i++)
        if (i == size || value[i] == '\n') {
            if (i > start || size == 0)
                printf ("%s=%.*s\n", key, (int) (i - start), value + start);
            start = i + 1;
        }
}

int
main (int argc, char **argv)
{
    int timeout = 5000;
    bool raw = false;
    const char *key = NULL, *agent_key = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (!strcmp (argv[i], "-t") && i + 1 < argc)
            timeout = atoi (argv[++i]);
        else if (!strcmp (argv[i], "--frames"))
            raw = true;
        else if (!strcmp (argv[i], "--key") && i + 1 < argc)
            key = argv[++i];
        else if (!strcmp (argv[i], "--agent-key") && i + 1 < argc)
            agent_key = argv[++i];
        else
            break;
    }
    if (argc - i < (raw ? 2 : 3)) {
        fprintf (stderr,
                 "usage: wrp-send [-t MS] ENDPOINT COMMAND ID [KEY=VALUE|KEY=@FILE]...\n"
                 "       wrp-send --frames [-t MS] ENDPOINT FRAME...\n");
        return 1;
    }
    zsys_set_logstream (NULL);
    const char *endpoint = argv[i++];
    wrp_security_t security = {.insecure = key == NULL, .key_file = key};
    char *err = NULL;
    wrp_transport_t *transport = wrp_transport_new (&security, false, &err);
    zsock_t *dealer =
        transport ? wrp_transport_connect (transport, endpoint, agent_key, &err) : NULL;
    if (!dealer) {
        fprintf (stderr, "wrp-send: %s\n", err ? err : "cannot connect");
        return 1;
    }
    if (raw) {
        zmsg_t *frames = zmsg_new ();
        for (; i < argc; i++) {
            char *data = NULL;
            size_t size = 0;
            if (s_value (argv[i], &data, &size))
                return 1;
            zmsg_addmem (frames, data, size);
            free (data);
        }
        zmsg_send (&frames, dealer);
    } else {
        wrp_cmd_t cmd = wrp_msg_cmd_from_name (argv[i]);
        const char *id = argv[i + 1];
        wrp_msg_t *msg = cmd == WRP_CMD_INVALID
                             ? NULL
                             : wrp_msg_new (cmd, strcmp (id, "-") ? id : NULL);
        if (!msg) {
            fprintf (stderr, "wrp-send: bad command '%s' or id '%s'\n", argv[i], id);
            return 1;
        }
        for (i += 2; i < argc; i++) {
            char *eq = strchr (argv[i], '=');
            char *data = NULL;
            size_t size = 0;
            if (!eq) {
                fprintf (stderr, "wrp-send: '%s' is not KEY=VALUE\n", argv[i]);
                return 1;
            }
            *eq = 0;
            if (s_value (eq + 1, &data, &size) ||
                wrp_msg_set (msg, argv[i], data, size)) {
                fprintf (stderr, "wrp-send: cannot set field '%s'\n", argv[i]);
                return 1;
            }
            free (data);
        }
        if (wrp_msg_send (msg, dealer, NULL)) {
            fprintf (stderr, "wrp-send: send failed\n");
            return 1;
        }
        wrp_msg_destroy (&msg);
    }
    zpoller_t *poller = zpoller_new (dealer, NULL);
    void *ready = zpoller_wait (poller, timeout);
    zpoller_destroy (&poller);
    int rc = 2;
    if (ready && raw) {
        zmsg_t *frames = zmsg_recv (dealer);
        int n = 0;
        for (zframe_t *f = zmsg_first (frames); f; f = zmsg_next (frames), n++) {
            char name[32];
            snprintf (name, sizeof name, "frame%d", n);
            s_print_field (name, (const char *) zframe_data (f), zframe_size (f));
        }
        zmsg_destroy (&frames);
        rc = 0;
    } else if (ready) {
        wrp_msg_t *reply = NULL;
        char why[256] = "";
        if (wrp_msg_recv (dealer, &reply, NULL, why, sizeof why) == 0) {
            printf ("command=%s\nid=%s\n", wrp_msg_cmd_name (wrp_msg_cmd (reply)),
                    wrp_msg_id (reply));
            for (size_t f = 0; f < wrp_msg_field_count (reply); f++) {
                size_t size = 0;
                const char *value = wrp_msg_field_value (reply, f, &size);
                s_print_field (wrp_msg_field_key (reply, f), value, size);
            }
            wrp_msg_destroy (&reply);
            rc = 0;
        } else
            fprintf (stderr, "wrp-send: bad reply: %s\n", why);
    } else
        fprintf (stderr, "wrp-send: no reply from %s within %d ms\n", endpoint, timeout);
    zsock_destroy (&dealer);
    wrp_transport_destroy (&transport);
    return rc;
}
