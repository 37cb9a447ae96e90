/*  wrp_transport — the sockets of the control channel. See wrp_transport.h.

    Security. The agent's ROUTER is a CURVE server in ZAP domain "wrp". Our
    own ZAP handler (RFC 27; an actor bound to inproc://zeromq.zap.01 in
    czmq's context) answers each handshake: 200 when the client's public key
    is in the authorized-keys directory, 400 otherwise. We handle ZAP
    ourselves rather than with czmq's zauth because (1) the agent must log
    which key it refused, and zauth only says so through zsys logging in
    verbose mode, (2) zcertstore, which zauth uses, asserts (aborts the
    agent) when two files in the directory hold the same key, and (3) zauth
    accepts the NULL mechanism for any address. The directory is re-read
    when its mtime changes (a key file added or removed: revocation needs no
    restart) and at least every 2 s (a file edited in place).

    The controller learns about refusals from the ZMTP handshake events that
    libzmq (>= 4.3) emits on the client socket: a socket monitor per DEALER
    sees ZMQ_EVENT_HANDSHAKE_FAILED_AUTH with the ZAP status code (400),
    and ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL for a mechanism mismatch.       */

#include "wrp_transport.h"
#include "wrp_msg.h"
#include "wrp_file.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_ZAP_ENDPOINT    "inproc://zeromq.zap.01"
#define S_KEY_TEXT        40             //  Z85 text of a 32-byte key
#define S_CERT_MAX        (64 * 1024)    //  a certificate file is small
#define S_AUTHORIZED_MAX  10000          //  files read from the directory
#define S_RESCAN_MS       2000           //  re-read the directory at least this often
#define S_NOTICE_EVERY_MS 60000          //  one notice per key or kind per minute
#define S_NOTICE_BURST    20             //  and at most this many a minute in all
#define S_PATH_MAX        240            //  zcert_load copes with 255

//  Socket options (why each one is set: see the s_set_common comments).
#define S_MAX_SOCKETS      65536
#define S_BACKLOG          4096
#define S_MAXMSGSIZE       ((int64_t) WRP_MSG_MAX_TOTAL + 65536)
#define S_LINGER_MS        200
#define S_RECONNECT_MS     100
#define S_RECONNECT_MAX_MS 5000
#define S_HEARTBEAT_IVL    2000
#define S_HEARTBEAT_TTL    10000
#define S_HEARTBEAT_TMO    6000
#define S_TCP_MAXRT_MS     15000
#define S_HANDSHAKE_MS     10000
//  A handshake cut off this soon after the connect is the agent refusing it
//  (a wrong key, or CURVE against plain); later, a busy agent timing it out.
#define S_MISMATCH_MS 1000

//  ZMQ_ZAP_ENFORCE_DOMAIN is draft API in libzmq 4.3 (Debian's build has no
//  drafts); the option number is stable, so set it and ignore EINVAL.
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

//  What a client socket's monitor has seen.
typedef enum { S_HS_NONE, S_HS_OK, S_HS_FAILED } s_hs_state_t;

typedef struct {
    zsock_t *pair;                //  receives the DEALER's monitor events
    char *endpoint;               //  what the DEALER connects to
    char *agent_key_file;         //  the agent key it was given (may be NULL)
    s_hs_state_t state;           //  last handshake outcome
    char *reason;                 //  why it failed (S_HS_FAILED)
    int dropped;                  //  plain handshakes cut off in a row
    int64_t connected_ms;         //  when the last TCP connection was made
    wrp_transport_link_t link;    //  what the connection did so far
} s_monitor_t;

struct _wrp_transport_t {
    bool server;             //  agent side (ROUTER, ZAP handler)
    bool insecure;           //  plain TCP
    zcert_t *cert;           //  own certificate (NULL when insecure)
    char *key_file;          //  its file (expanded)
    char *authorized_dir;    //  server: directory of client certificates
    zactor_t *zap;           //  server: ZAP handler and notice source
    zhashx_t *monitors;      //  client: zsock_t * -> s_monitor_t *
    unsigned sequence;       //  numbers monitor endpoints
};

//  ---------------------------------------------------------------------------
//  Small helpers

//  Sets *ret_err to a formatted message (if ret_err); returns NULL.
static void *
s_error (char **ret_err, const char *format, ...)
{
    if (ret_err) {
        va_list args;
        va_start (args, format);
        if (vasprintf (ret_err, format, args) < 0)
            *ret_err = NULL;
        va_end (args);
    }
    return NULL;
}

//  A copy of path with a leading "~/" replaced by $HOME.
static char *
s_expand (const char *path)
{
    const char *home = getenv ("HOME");
    if (path[0] == '~' && path[1] == '/' && home && *home) {
        char *full;
        if (asprintf (&full, "%s%s", home, path + 1) < 0)
            return NULL;
        return full;
    }
    return strdup (path);
}

static bool
s_valid_z85_key (const char *text)
{
    uint8_t key[32];
    return strlen (text) == S_KEY_TEXT && zmq_z85_decode (key, text) != NULL;
}

//  ---------------------------------------------------------------------------
//  Read the public key from a zcert certificate file (public or secret):
//  the line `    public-key = "<40 chars of Z85>"` in its curve section.

int
wrp_transport_read_public_key (const char *file, char *ret_key, char **ret_err)
{
    char *text = NULL, *why = NULL;
    size_t size = 0;
    if (wrp_file_read (file, S_CERT_MAX, &text, &size, ret_err ? &why : NULL)) {
        s_error (ret_err, "key %s", why);
        free (why);
        return -1;
    }
    int rc = -1;
    for (char *line = text; line && *line;
         line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL) {
        char *cursor = line + strspn (line, " \t");
        if (strncmp (cursor, "public-key", 10))
            continue;
        cursor += 10;
        cursor += strspn (cursor, " \t");
        if (*cursor++ != '=')
            continue;
        cursor += strspn (cursor, " \t");
        if (*cursor++ != '"')
            continue;
        char *end = strchr (cursor, '"');
        if (!end || end - cursor != S_KEY_TEXT)
            continue;
        char key[S_KEY_TEXT + 1];
        memcpy (key, cursor, S_KEY_TEXT);
        key[S_KEY_TEXT] = 0;
        if (!s_valid_z85_key (key))
            continue;
        strcpy (ret_key, key);
        rc = 0;
        break;
    }
    free (text);
    if (rc)
        s_error (ret_err,
                 "key %s: no 'public-key = \"...\"' line with a 40-character Z85 key "
                 "(not a czmq certificate; make one with 'wrp-controller keygen FILE')",
                 file);
    return rc;
}

//  Loads the own certificate: FILE (public) and FILE_secret (mode 0600 or
//  stricter, like ssh), which must hold the same public key.
static zcert_t *
s_load_own_cert (const char *file, char **ret_err)
{
    char hint[S_PATH_MAX + 100];
    snprintf (hint, sizeof hint,
              "make a key pair with 'wrp-controller keygen %.*s', or run "
              "with --insecure",
              S_PATH_MAX, file);
    if (strlen (file) > S_PATH_MAX)
        return s_error (ret_err, "key %s: path longer than %d characters", file,
                        S_PATH_MAX);
    struct stat st;
    if (stat (file, &st))
        return s_error (ret_err, "key %s: %s (%s)", file, strerror (errno), hint);
    char secret[S_PATH_MAX + 16];
    snprintf (secret, sizeof secret, "%s_secret", file);
    if (stat (secret, &st))
        return s_error (ret_err, "key %s: secret part %s: %s (%s)", file, secret,
                        strerror (errno), hint);
    if (!S_ISREG (st.st_mode))
        return s_error (ret_err, "key %s: %s is not a regular file", file, secret);
    if (st.st_mode & 077)
        return s_error (ret_err,
                        "key %s: %s is accessible by group or others (mode %04o); "
                        "run 'chmod 600 %s'",
                        file, secret, (unsigned) (st.st_mode & 07777), secret);
    char public_key[S_KEY_TEXT + 1], secret_public[S_KEY_TEXT + 1];
    if (wrp_transport_read_public_key (file, public_key, ret_err) ||
        wrp_transport_read_public_key (secret, secret_public, ret_err))
        return NULL;
    if (strcmp (public_key, secret_public))
        return s_error (ret_err, "key %s: %s holds another key pair (public keys differ)",
                        file, secret);
    zcert_t *cert = zcert_load (file);    //  reads FILE_secret first
    if (!cert || strcmp (zcert_public_txt (cert), public_key) ||
        !s_valid_z85_key (zcert_secret_txt (cert)) ||
        !strcmp (zcert_secret_txt (cert), "0000000000000000000000000000000000000000")) {
        zcert_destroy (&cert);
        return s_error (ret_err,
                        "key %s: %s has no valid 'secret-key' (not a czmq secret "
                        "certificate)",
                        file, secret);
    }
    return cert;
}

//  The ZeroMQ context allows 1023 sockets and a process 1024 fds by default;
//  a controller needs a DEALER, a monitor pair and a connection per agent.
//  zsys_set_max_sockets asserts once a socket exists, so set the context
//  option directly: libzmq reads it when the first socket is made.
static void
s_raise_limits (void)
{
    zmq_ctx_set (zsys_init (), ZMQ_MAX_SOCKETS, S_MAX_SOCKETS);
    //  Up to 2^20 descriptors (a controller at 10,000 agents needs ~30,000):
    //  the hard limit too when we may (root), else the soft one up to it.
    struct rlimit limit, want = {1 << 20, 1 << 20};
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_max < want.rlim_max &&
        setrlimit (RLIMIT_NOFILE, &want) == 0)
        return;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max > (1 << 20) ? (1 << 20) : limit.rlim_max;
        setrlimit (RLIMIT_NOFILE, &limit);
    }
}

//  ---------------------------------------------------------------------------
//  The authorized-keys directory: the set of public keys found in it.

typedef struct {
    char *dir;                //  directory path
    zhashx_t *keys;           //  Z85 public key -> file name
    struct timespec mtime;    //  directory mtime at the last scan
    int64_t scanned_ms;       //  when it was last scanned
} s_keyring_t;

static void
s_keyring_scan (s_keyring_t *self)
{
    zhashx_purge (self->keys);
    self->scanned_ms = zclock_mono ();
    DIR *dir = opendir (self->dir);
    if (!dir)
        return;    //  gone: no key is authorized
    struct stat st;
    if (fstat (dirfd (dir), &st) == 0)
        self->mtime = st.st_mtim;
    struct dirent *entry;
    size_t files = 0;
    while ((entry = readdir (dir)) && files < S_AUTHORIZED_MAX) {
        size_t length = strlen (entry->d_name);
        if (entry->d_name[0] == '.' ||
            (length >= 7 && !strcmp (entry->d_name + length - 7, "_secret")))
            continue;
        files++;
        char path[PATH_MAX];
        if (snprintf (path, sizeof path, "%s/%s", self->dir, entry->d_name) >=
            (int) sizeof path)
            continue;
        char key[S_KEY_TEXT + 1];
        if (wrp_transport_read_public_key (path, key, NULL) == 0)
            zhashx_update (self->keys, key, entry->d_name);
    }
    closedir (dir);
}

static s_keyring_t *
s_keyring_new (const char *dir)
{
    s_keyring_t *self = calloc (1, sizeof *self);
    assert (self);
    self->dir = strdup (dir);
    self->keys = zhashx_new ();
    zhashx_set_duplicator (self->keys, (zhashx_duplicator_fn *) strdup);
    zhashx_set_destructor (self->keys, (zhashx_destructor_fn *) zstr_free);
    s_keyring_scan (self);
    return self;
}

static void
s_keyring_destroy (s_keyring_t **self_p)
{
    if (*self_p) {
        zhashx_destroy (&(*self_p)->keys);
        free ((*self_p)->dir);
        free (*self_p);
        *self_p = NULL;
    }
}

//  The file holding key, or NULL if it is not authorized.
static const char *
s_keyring_lookup (s_keyring_t *self, const char *key)
{
    struct stat st;
    bool changed = stat (self->dir, &st) != 0 ||
                   st.st_mtim.tv_sec != self->mtime.tv_sec ||
                   st.st_mtim.tv_nsec != self->mtime.tv_nsec;
    if (changed || zclock_mono () - self->scanned_ms >= S_RESCAN_MS)
        s_keyring_scan (self);
    return zhashx_lookup (self->keys, key);
}

//  ---------------------------------------------------------------------------
//  The server's actor: ZAP handler, listener monitor, and source of notices
//  (sent on its pipe, never blocking: a notice that does not fit is dropped,
//  so a flood of bad clients can never stall the handshakes of good ones).

typedef struct {
    int64_t last_ms;      //  when this key/kind was last reported
    size_t suppressed;    //  events since, not reported
} s_rate_t;

typedef struct {
    zsock_t *pipe;            //  to the transport
    zsock_t *handler;         //  ZAP REP socket (NULL when insecure)
    zlistx_t *monitors;       //  listener event sockets (one per MONITOR)
    s_keyring_t *keyring;     //  authorized keys (NULL when insecure)
    zhashx_t *rates;          //  key or kind -> s_rate_t
    int64_t window_ms;        //  start of the current minute of notices
    size_t window_count;      //  notices sent in it
    size_t window_dropped;    //  notices not sent since the last one sent
    bool terminated;          //  $TERM received
} s_actor_t;

typedef struct {
    zsock_t *handler;    //  bound ZAP socket, handed to the actor
    const char *dir;     //  authorized-keys directory (NULL: insecure)
} s_actor_args_t;

//  Returns true when an event under name may be reported now; then
//  *ret_suppressed is how many were not reported since the last time.
static bool
s_rate_allow (s_actor_t *self, const char *name, size_t *ret_suppressed)
{
    int64_t now = zclock_mono ();
    if (zhashx_size (self->rates) > 4096)
        zhashx_purge (self->rates);    //  bounded, whatever a peer does
    s_rate_t *rate = zhashx_lookup (self->rates, name);
    if (!rate) {
        rate = calloc (1, sizeof *rate);
        assert (rate);
        rate->last_ms = now;
        zhashx_insert (self->rates, name, rate);
        *ret_suppressed = 0;
        return true;
    }
    if (now - rate->last_ms < S_NOTICE_EVERY_MS) {
        rate->suppressed++;
        return false;
    }
    *ret_suppressed = rate->suppressed;
    rate->suppressed = 0;
    rate->last_ms = now;
    return true;
}

static void
s_notice (s_actor_t *self, const char *name, const char *format, ...)
{
    size_t suppressed;
    if (!s_rate_allow (self, name, &suppressed))
        return;
    //  Many different keys (or kinds) must not flood the log either.
    int64_t now = zclock_mono ();
    if (now - self->window_ms >= S_NOTICE_EVERY_MS) {
        self->window_ms = now;
        self->window_count = 0;
    }
    if (self->window_count >= S_NOTICE_BURST) {
        self->window_dropped++;
        return;
    }
    self->window_count++;
    char text[700];
    va_list args;
    va_start (args, format);
    int length = vsnprintf (text, sizeof text, format, args);
    va_end (args);
    if (length < 0)
        return;
    if (suppressed && (size_t) length < sizeof text)
        length += snprintf (text + length, sizeof text - (size_t) length,
                            " (%zu more since the last report)", suppressed);
    if (self->window_dropped && length >= 0 && (size_t) length < sizeof text) {
        snprintf (text + length, sizeof text - (size_t) length,
                  " (%zu other security notices were not logged: more than %d a minute)",
                  self->window_dropped, S_NOTICE_BURST);
        self->window_dropped = 0;
    }
    zmq_send (zsock_resolve (self->pipe), text, strlen (text), ZMQ_DONTWAIT);
}

//  Answers one ZAP request (RFC 27): version, request id, domain, address,
//  routing id, mechanism, credentials -> version, request id, status code,
//  status text, user id, metadata.
static void
s_zap_handle (s_actor_t *self)
{
    zmsg_t *request = zmsg_recv (self->handler);
    if (!request)
        return;
    char *version = zmsg_popstr (request);
    char *sequence = zmsg_popstr (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    zframe_t *identity = zmsg_pop (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *credential = zmsg_pop (request);
    const char *status = "400";
    const char *text = "not authorized";
    if (!version || !streq (version, "1.0") || !mechanism) {
        status = "500";
        text = "bad ZAP request";
    } else if (!streq (mechanism, "CURVE") || !domain || !streq (domain, WRP_ZAP_DOMAIN))
        s_notice (self, mechanism, "refused a %s client from %s: CURVE is required",
                  mechanism, address ? address : "?");
    else if (credential && zframe_size (credential) == 32) {
        char key[S_KEY_TEXT + 1];
        zmq_z85_encode (key, zframe_data (credential), 32);
        if (s_keyring_lookup (self->keyring, key)) {
            status = "200";
            text = "OK";
        } else
            s_notice (self, key,
                      "refused controller key '%s' from %s: not in the authorized keys "
                      "directory %s",
                      key, address ? address : "?", self->keyring->dir);
    }
    zstr_sendx (self->handler, "1.0", sequence ? sequence : "", status, text, "", "",
                NULL);
    zstr_free (&version);
    zstr_free (&sequence);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&mechanism);
    zframe_destroy (&identity);
    zframe_destroy (&credential);
    zmsg_destroy (&request);
}

//  Reads one monitor event: 6 bytes (uint16 event, uint32 value, host
//  order) then the endpoint. Returns 0, or -1 when none is waiting.
static int
s_monitor_read (zsock_t *pair, uint16_t *ret_event, uint32_t *ret_value, char *endpoint,
                size_t endpoint_size)
{
    void *handle = zsock_resolve (pair);
    uint8_t head[6];
    int size = zmq_recv (handle, head, sizeof head, ZMQ_DONTWAIT);
    if (size < 0)
        return -1;
    endpoint[0] = 0;
    int more = 0;
    size_t more_size = sizeof more;
    zmq_getsockopt (handle, ZMQ_RCVMORE, &more, &more_size);
    while (more) {
        int got = zmq_recv (handle, endpoint, endpoint_size - 1, 0);
        if (got >= 0)
            endpoint[(size_t) got < endpoint_size - 1 ? (size_t) got
                                                      : endpoint_size - 1] = 0;
        zmq_getsockopt (handle, ZMQ_RCVMORE, &more, &more_size);
    }
    if (size != 6)
        return s_monitor_read (pair, ret_event, ret_value, endpoint, endpoint_size);
    memcpy (ret_event, head, 2);
    memcpy (ret_value, head + 2, 4);
    return 0;
}

static void
s_listener_event (s_actor_t *self, zsock_t *monitor)
{
    uint16_t event;
    uint32_t value;
    char endpoint[256];
    while (s_monitor_read (monitor, &event, &value, endpoint, sizeof endpoint) == 0) {
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
            if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
                s_notice (self, "mismatch",
                          "handshake failed on %s: a client without CURVE "
                          "(a controller run with --insecure?) was refused",
                          endpoint);
            else if (value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
                s_notice (self, "crypto",
                          "CURVE handshake failed on %s: a client used another "
                          "agent public key",
                          endpoint);
            else
                s_notice (self, "protocol",
                          "handshake failed on %s: a client sent bytes that "
                          "are not a valid ZMTP handshake (protocol error 0x%08x)",
                          endpoint, value);
        }
    }
}

static void
s_actor (zsock_t *pipe, void *args)
{
    s_actor_args_t *setup = args;
    s_actor_t self = {.pipe = pipe, .handler = setup->handler};
    if (setup->dir)
        self.keyring = s_keyring_new (setup->dir);
    self.rates = zhashx_new ();
    self.monitors = zlistx_new ();
    zlistx_set_destructor (self.monitors, (zlistx_destructor_fn *) zsock_destroy);
    zhashx_set_destructor (self.rates, (zhashx_destructor_fn *) zstr_free);
    zpoller_t *poller = zpoller_new (pipe, NULL);
    if (self.handler)
        zpoller_add (poller, self.handler);
    zsock_signal (pipe, 0);
    while (!self.terminated) {
        void *which = zpoller_wait (poller, -1);
        if (which == pipe) {
            zmsg_t *command = zmsg_recv (pipe);
            char *name = command ? zmsg_popstr (command) : NULL;
            if (!name || streq (name, "$TERM"))
                self.terminated = true;
            else if (streq (name, "MONITOR")) {
                char *endpoint = zmsg_popstr (command);
                zsock_t *monitor = endpoint ? zsock_new (ZMQ_PAIR) : NULL;
                if (monitor && zsock_connect (monitor, "%s", endpoint) == 0) {
                    zsock_set_linger (monitor, 0);
                    zpoller_add (poller, monitor);
                    zlistx_add_end (self.monitors, monitor);
                } else
                    zsock_destroy (&monitor);
                zstr_free (&endpoint);
                zsock_signal (pipe, monitor ? 0 : 1);
            }
            zstr_free (&name);
            zmsg_destroy (&command);
        } else if (which && which == self.handler)
            s_zap_handle (&self);
        else if (which)
            s_listener_event (&self, which);
        else if (zpoller_terminated (poller))
            break;
    }
    zpoller_destroy (&poller);
    zlistx_destroy (&self.monitors);
    if (self.handler) {
        zsock_unbind (self.handler, S_ZAP_ENDPOINT);
        zsock_destroy (&self.handler);
    }
    zhashx_destroy (&self.rates);
    s_keyring_destroy (&self.keyring);
}

//  ---------------------------------------------------------------------------
//  Client monitors

static void
s_monitor_destroy (s_monitor_t **self_p)
{
    if (*self_p) {
        s_monitor_t *self = *self_p;
        zsock_destroy (&self->pair);
        free (self->endpoint);
        free (self->agent_key_file);
        free (self->reason);
        free (self);
        *self_p = NULL;
    }
}

static size_t
s_pointer_hash (const void *key)
{
    uintptr_t value = (uintptr_t) key;
    return (size_t) (value ^ (value >> 17));
}

static int
s_pointer_compare (const void *a, const void *b)
{
    return a < b ? -1 : a > b;
}

//  ---------------------------------------------------------------------------
//  Load the keys (and for a server start the ZAP handler).

wrp_transport_t *
wrp_transport_new (const wrp_security_t *security, bool server, char **ret_err)
{
    assert (security);
    if (!security->insecure && (!security->key_file || !*security->key_file)) {
        if (server)
            return s_error (
                ret_err,
                "no CURVE key: make the agent's key pair with 'wrp-controller keygen "
                "%s' and start with --key %s, put each controller's public key file "
                "(made with 'wrp-controller keygen %s') into %s/; or run with "
                "--insecure (plain TCP, no authentication)",
                WRP_AGENT_KEY_DEFAULT, WRP_AGENT_KEY_DEFAULT, WRP_CONTROLLER_KEY_DEFAULT,
                WRP_AUTHORIZED_KEYS_DEFAULT);
        return s_error (
            ret_err,
            "no CURVE key: make one with 'wrp-controller keygen %s' and pass it with "
            "--key, or run with --insecure (plain TCP, no authentication)",
            WRP_CONTROLLER_KEY_DEFAULT);
    }
    s_raise_limits ();
    wrp_transport_t *self = calloc (1, sizeof *self);
    if (!self)
        return s_error (ret_err, "out of memory");
    self->server = server;
    self->insecure = security->insecure;
    self->monitors = zhashx_new ();
    zhashx_set_key_hasher (self->monitors, s_pointer_hash);
    zhashx_set_key_comparator (self->monitors, s_pointer_compare);
    zhashx_set_key_duplicator (self->monitors, NULL);
    zhashx_set_key_destructor (self->monitors, NULL);
    zhashx_set_destructor (self->monitors, (zhashx_destructor_fn *) s_monitor_destroy);
    if (!self->insecure) {
        self->key_file = s_expand (security->key_file);
        self->cert = self->key_file ? s_load_own_cert (self->key_file, ret_err) : NULL;
        if (!self->cert) {
            wrp_transport_destroy (&self);
            return NULL;
        }
    }
    if (!server)
        return self;

    zsock_t *handler = NULL;
    if (!self->insecure) {
        self->authorized_dir =
            strdup (security->authorized_dir ? security->authorized_dir
                                             : WRP_AUTHORIZED_KEYS_DEFAULT);
        struct stat st;
        int failed = stat (self->authorized_dir, &st) ? errno : 0;
        if (failed || !S_ISDIR (st.st_mode)) {
            s_error (ret_err,
                     "authorized keys directory %s: %s (create it and put each "
                     "controller's public key file there)",
                     self->authorized_dir,
                     failed ? strerror (failed) : "not a directory");
            wrp_transport_destroy (&self);
            return NULL;
        }
        //  Bound here, before any listener exists, and handed to the actor.
        handler = zsock_new (ZMQ_REP);
        if (!handler || zsock_bind (handler, S_ZAP_ENDPOINT) != 0) {
            zsock_destroy (&handler);
            s_error (ret_err,
                     "cannot start the ZAP handler (%s): is another agent transport "
                     "open in this process?",
                     zmq_strerror (zmq_errno ()));
            wrp_transport_destroy (&self);
            return NULL;
        }
    }
    s_actor_args_t args = {.handler = handler, .dir = self->authorized_dir};
    self->zap = zactor_new (s_actor, &args);
    if (!self->zap) {
        zsock_destroy (&handler);
        s_error (ret_err, "cannot start the ZAP handler thread");
        wrp_transport_destroy (&self);
        return NULL;
    }
    return self;
}

//  ---------------------------------------------------------------------------
//  Destroy; accepts NULL, nulls the pointer.

void
wrp_transport_destroy (wrp_transport_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wrp_transport_t *self = *self_p;
    zhashx_destroy (&self->monitors);
    zactor_destroy (&self->zap);
    zcert_destroy (&self->cert);
    free (self->key_file);
    free (self->authorized_dir);
    free (self);
    *self_p = NULL;
}

bool
wrp_transport_insecure (wrp_transport_t *self)
{
    assert (self);
    return self->insecure;
}

const char *
wrp_transport_public_key (wrp_transport_t *self)
{
    assert (self);
    return self->cert ? zcert_public_txt (self->cert) : NULL;
}

//  Options both ends set, and why.
static void
s_set_common (zsock_t *sock)
{
    //  A frame larger than this drops the connection before it is buffered.
    //  libzmq checks each frame; the codec checks the whole message
    //  (WRP_MSG_MAX_TOTAL), so a slightly oversized request still gets a
    //  BAD_REQUEST answer instead of a silent disconnect.
    zsock_set_maxmsgsize (sock, (int) S_MAXMSGSIZE);
    //  On close, give queued replies a moment, but never hang an exit.
    zsock_set_linger (sock, S_LINGER_MS);
    //  ZMTP heartbeats: a node that vanishes without a FIN/RST (power off,
    //  cable) is noticed in seconds; the DEALER then reconnects and the
    //  ROUTER frees the peer. TTL tells the peer to drop us likewise.
    zsock_set_heartbeat_ivl (sock, S_HEARTBEAT_IVL);
    zsock_set_heartbeat_ttl (sock, S_HEARTBEAT_TTL);
    zsock_set_heartbeat_timeout (sock, S_HEARTBEAT_TMO);
    //  TCP_USER_TIMEOUT: unacknowledged data (and on Linux a connect) gives
    //  up after this, not after the kernel's ~15 minutes of retransmits.
    zsock_set_tcp_maxrt (sock, S_TCP_MAXRT_MS);
    //  A peer that connects and never finishes the handshake (a port scan,
    //  a stuck client) is dropped after this.
    zsock_set_handshake_ivl (sock, S_HANDSHAKE_MS);
}

//  ---------------------------------------------------------------------------
//  Agent side: a ROUTER bound to endpoint.

zsock_t *
wrp_transport_listen (wrp_transport_t *self, const char *endpoint, char **ret_err)
{
    assert (self);
    if (!self->server)
        return s_error (ret_err, "listen: not a server transport");
    if (!endpoint || !*endpoint)
        return s_error (ret_err, "listen: empty endpoint");
    zsock_t *sock = zsock_new (ZMQ_ROUTER);
    if (!sock)
        return s_error (ret_err, "cannot create a socket: %s",
                        zmq_strerror (zmq_errno ()));
    s_set_common (sock);
    //  Many controllers' DEALERs (or one controller's fan-out restarting)
    //  connect at once; the kernel caps this at net.core.somaxconn.
    zsock_set_backlog (sock, S_BACKLOG);
    //  A reply to a controller that has gone fails with EHOSTUNREACH (the
    //  agent logs it) instead of vanishing silently.
    zsock_set_router_mandatory (sock, 1);
    //  The controller's DEALERs carry a fixed routing id: after a reconnect
    //  the new connection takes the id over, so a deferred reply (START
    //  answers when the runtime is up) still reaches the controller.
    zsock_set_router_handover (sock, 1);
    if (!self->insecure) {
        zcert_apply (self->cert, sock);
        zsock_set_curve_server (sock, 1);
        zsock_set_zap_domain (sock, WRP_ZAP_DOMAIN);
        //  Fail closed if no ZAP handler answered (draft option in 4.3:
        //  ignored where not built; then our handler's lifetime covers it).
        int on = 1;
        zmq_setsockopt (zsock_resolve (sock), ZMQ_ZAP_ENFORCE_DOMAIN, &on, sizeof on);
    }
    //  Watch failed handshakes for the notices. Set up before bind so that
    //  no connection is missed.
    char monitor[80];
    snprintf (monitor, sizeof monitor, "inproc://wrp-listener-%p-%u", (void *) self,
              ++self->sequence);
    if (zmq_socket_monitor (zsock_resolve (sock), monitor,
                            ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) == 0) {
        zstr_sendx (self->zap, "MONITOR", monitor, NULL);
        zsock_wait (self->zap);
    }
    if (zsock_bind (sock, "%s", endpoint) == -1) {
        int error = zmq_errno ();
        zsock_destroy (&sock);
        return s_error (ret_err, "cannot listen on %s: %s", endpoint,
                        zmq_strerror (error));
    }
    return sock;
}

zsock_t *
wrp_transport_notices (wrp_transport_t *self)
{
    assert (self);
    return self->zap ? zactor_sock (self->zap) : NULL;
}

char *
wrp_transport_notice (wrp_transport_t *self)
{
    assert (self);
    if (!self->zap)
        return NULL;
    void *handle = zsock_resolve (zactor_sock (self->zap));
    while (true) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&part);
            return NULL;
        }
        size_t size = zmq_msg_size (&part);
        bool more = zmq_msg_more (&part);
        char *text = NULL;
        //  A signal (8 bytes, 0x7766554433221100 + status) is not a notice.
        if (!more && !(size == 8 && ((uint8_t *) zmq_msg_data (&part))[7] == 0x77)) {
            text = malloc (size + 1);
            if (text) {
                memcpy (text, zmq_msg_data (&part), size);
                text[size] = 0;
            }
        }
        zmq_msg_close (&part);
        if (text)
            return text;
    }
}

//  ---------------------------------------------------------------------------
//  Controller side: a DEALER connected to endpoint.

zsock_t *
wrp_transport_connect (wrp_transport_t *self, const char *endpoint,
                       const char *agent_key_file, bool monitor_handshakes,
                       char **ret_err)
{
    assert (self);
    if (!endpoint || !*endpoint)
        return s_error (ret_err, "connect: empty endpoint");
    char agent_key[S_KEY_TEXT + 1] = "";
    if (!self->insecure) {
        if (!agent_key_file || !*agent_key_file)
            return s_error (ret_err,
                            "no agent public key for %s: pass --agent-key FILE (the "
                            "agent's FILE, without _secret)",
                            endpoint);
        char *file = s_expand (agent_key_file);
        int rc = file ? wrp_transport_read_public_key (file, agent_key, ret_err) : -1;
        free (file);
        if (rc)
            return NULL;
    }
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    if (!sock)
        return s_error (ret_err, "cannot create a socket for %s: %s", endpoint,
                        zmq_strerror (zmq_errno ()));
    s_set_common (sock);
    //  Reconnect after 100 ms, doubling up to 5 s: an agent that restarts
    //  is found again quickly, one that is down costs little. libzmq has no
    //  jitter option; the DEALERs of one controller go to different agents,
    //  so their retries do not converge on one listener anyway.
    zsock_set_reconnect_ivl (sock, S_RECONNECT_MS);
    zsock_set_reconnect_ivl_max (sock, S_RECONNECT_MAX_MS);
    //  ZMQ_IMMEDIATE stays off on purpose: the fan-out connects and sends
    //  at once, and the request must wait in the pipe for the connection
    //  (with IMMEDIATE a non-blocking send fails until the handshake is
    //  done). Queued requests survive a reconnect, which is what a deferred
    //  command wants; the monitor keeps one STATUS outstanding per agent, so
    //  nothing piles up while an agent is down.
    //  A fixed, unguessable routing id: see ROUTER_HANDOVER above.
    char routing_id[40];
    char random_id[33];
    wrp_msg_new_id (random_id);
    snprintf (routing_id, sizeof routing_id, "ctl-%s", random_id);
    zmq_setsockopt (zsock_resolve (sock), ZMQ_ROUTING_ID, routing_id,
                    strlen (routing_id));
    if (!self->insecure) {
        zcert_apply (self->cert, sock);
        zsock_set_curve_serverkey (sock, agent_key);
    }
    if (!monitor_handshakes) {
        if (zsock_connect (sock, "%s", endpoint) != 0) {
            int error = zmq_errno ();
            zsock_destroy (&sock);
            return s_error (ret_err, "cannot connect to %s: %s", endpoint,
                            zmq_strerror (error));
        }
        return sock;
    }
    //  The monitor, before connect so that the first handshake is seen.
    s_monitor_t *monitor = calloc (1, sizeof *monitor);
    char name[80];
    snprintf (name, sizeof name, "inproc://wrp-monitor-%p-%u", (void *) self,
              ++self->sequence);
    if (!monitor ||
        zmq_socket_monitor (zsock_resolve (sock), name,
                            ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_CONNECTED |
                                ZMQ_EVENT_CONNECT_RETRIED | ZMQ_EVENT_DISCONNECTED |
                                ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0 ||
        !(monitor->pair = zsock_new (ZMQ_PAIR)) ||
        zsock_connect (monitor->pair, "%s", name) != 0) {
        int error = zmq_errno ();
        s_monitor_destroy (&monitor);
        zsock_destroy (&sock);
        return s_error (ret_err, "cannot monitor the socket for %s: %s", endpoint,
                        zmq_strerror (error));
    }
    zsock_set_linger (monitor->pair, 0);
    monitor->endpoint = strdup (endpoint);
    monitor->agent_key_file = agent_key_file ? strdup (agent_key_file) : NULL;
    //  A stale record under a recycled pointer (socket freed with
    //  zsock_destroy) is replaced.
    zhashx_update (self->monitors, sock, monitor);
    if (zsock_connect (sock, "%s", endpoint) != 0) {
        int error = zmq_errno ();
        zhashx_delete (self->monitors, sock);
        zsock_destroy (&sock);
        return s_error (ret_err, "cannot connect to %s: %s", endpoint,
                        zmq_strerror (error));
    }
    return sock;
}

void
wrp_transport_close (wrp_transport_t *self, zsock_t **sock_p)
{
    assert (self);
    if (!sock_p || !*sock_p)
        return;
    zhashx_delete (self->monitors, *sock_p);
    zsock_destroy (sock_p);
}

zsock_t *
wrp_transport_monitor (wrp_transport_t *self, zsock_t *sock)
{
    assert (self);
    s_monitor_t *monitor = sock ? zhashx_lookup (self->monitors, sock) : NULL;
    return monitor ? monitor->pair : NULL;
}

//  Sets the failure reason of a monitor from an event.
static void
s_monitor_fail (wrp_transport_t *self, s_monitor_t *monitor, uint16_t event,
                uint32_t value)
{
    char *reason = NULL;
    const char *key_file = self->key_file ? self->key_file : "?";
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && value == 400)
        s_error (
            &reason,
            "not authorized: the agent at %s refused this controller's key '%s' "
            "(%s); add that public key file to the agent's authorized keys directory",
            monitor->endpoint, wrp_transport_public_key (self), key_file);
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        s_error (&reason,
                 "not authorized: the agent at %s refused the handshake (ZAP status %u)",
                 monitor->endpoint, value);
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
             value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        s_error (
            &reason,
            self->insecure
                ? "security mismatch: the agent at %s requires CURVE, this controller "
                  "runs --insecure"
                : "security mismatch: the agent at %s runs --insecure (plain TCP), this "
                  "controller requires CURVE",
            monitor->endpoint);
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        s_error (&reason, "handshake with the agent at %s failed (protocol error 0x%08x)",
                 monitor->endpoint, value);
    else if (zclock_mono () - monitor->connected_ms >= S_MISMATCH_MS)
        return;    //  cut off late: a busy agent timing the handshake out
    else if (!self->insecure)
        s_error (&reason,
                 "CURVE handshake failed: the agent at %s dropped the connection (is "
                 "--agent-key %s the public key of that agent?)",
                 monitor->endpoint,
                 monitor->agent_key_file ? monitor->agent_key_file : "?");
    else if (++monitor->dropped >= 2)
        //  A CURVE agent that reads our NULL greeting first closes before we
        //  read its own, so the mismatch often shows only as a cut-off
        //  handshake; a plain agent never cuts one off twice.
        s_error (&reason,
                 "security mismatch: the agent at %s closes every plain (--insecure) "
                 "handshake; it probably requires CURVE",
                 monitor->endpoint);
    else
        return;    //  one plain connection lost mid-handshake: not yet a failure
    free (monitor->reason);
    monitor->reason = reason;
    monitor->state = reason ? S_HS_FAILED : S_HS_NONE;
}

//  Reads every event waiting on a client socket's monitor into its record.
static void
s_monitor_drain (wrp_transport_t *self, s_monitor_t *monitor)
{
    uint16_t event;
    uint32_t value;
    char endpoint[256];
    while (s_monitor_read (monitor->pair, &event, &value, endpoint, sizeof endpoint) ==
           0) {
        wrp_transport_link_t *link = &monitor->link;
        if (event == ZMQ_EVENT_CONNECTED) {
            link->tcp = true;
            monitor->connected_ms = zclock_mono ();
        } else if (event == ZMQ_EVENT_CONNECT_RETRIED)
            link->retries++;
        else if (event == ZMQ_EVENT_DISCONNECTED) {
            if (link->up)
                link->drops++;
            link->tcp = link->up = false;
        } else if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            link->up = true;
            link->handshakes++;
        }
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            monitor->state = S_HS_OK;
            monitor->dropped = 0;
            zstr_free (&monitor->reason);
        } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL &&
                   monitor->state == S_HS_FAILED)
            ;    //  a refused client is then dropped: keep the better reason
        else if (event &
                 (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                  ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL))
            s_monitor_fail (self, monitor, event, value);
    }
}

int
wrp_transport_link (wrp_transport_t *self, zsock_t *sock, wrp_transport_link_t *ret_link)
{
    assert (self);
    assert (ret_link);
    s_monitor_t *monitor = sock ? zhashx_lookup (self->monitors, sock) : NULL;
    if (!monitor)
        return -1;
    s_monitor_drain (self, monitor);
    *ret_link = monitor->link;
    return 0;
}

int
wrp_transport_auth_failed (wrp_transport_t *self, zsock_t *sock, char **ret_reason)
{
    assert (self);
    s_monitor_t *monitor = sock ? zhashx_lookup (self->monitors, sock) : NULL;
    if (!monitor)
        return -1;
    s_monitor_drain (self, monitor);
    if (monitor->state != S_HS_FAILED)
        return 0;
    if (ret_reason)
        *ret_reason = strdup (monitor->reason);
    return 1;
}

//  ---------------------------------------------------------------------------
//  Write a new key pair: FILE (public) and FILE_secret (0600).

//  mkdir -p of the directories above file, each new one mode 0700.
static int
s_make_parents (const char *file, char **ret_err)
{
    char *path = strdup (file);
    if (!path) {
        s_error (ret_err, "out of memory");
        return -1;
    }
    for (char *slash = strchr (path + 1, '/'); slash; slash = strchr (slash + 1, '/')) {
        *slash = 0;
        if (mkdir (path, 0700) && errno != EEXIST) {
            s_error (ret_err, "cannot create directory %s: %s", path, strerror (errno));
            free (path);
            return -1;
        }
        *slash = '/';
    }
    free (path);
    return 0;
}

int
wrp_transport_keygen (const char *file, char **ret_err)
{
    if (!file || !*file || file[strlen (file) - 1] == '/') {
        s_error (ret_err, "keygen: give a file name, e.g. 'wrp-controller keygen %s'",
                 WRP_CONTROLLER_KEY_DEFAULT);
        return -1;
    }
    char *path = s_expand (file);
    if (!path || strlen (path) > S_PATH_MAX) {
        s_error (ret_err, "keygen %s: path longer than %d characters", file, S_PATH_MAX);
        free (path);
        return -1;
    }
    char secret[S_PATH_MAX + 16];
    snprintf (secret, sizeof secret, "%s_secret", path);
    struct stat st;
    const char *exists = lstat (path, &st) == 0     ? path
                         : lstat (secret, &st) == 0 ? secret
                                                    : NULL;
    if (exists) {
        s_error (ret_err,
                 "keygen: %s already exists; refusing to overwrite a key (remove %s "
                 "and %s first to make a new pair)",
                 exists, path, secret);
        free (path);
        return -1;
    }
    if (s_make_parents (path, ret_err)) {
        free (path);
        return -1;
    }
    //  Claim both names first (O_EXCL: nobody else's file, no symlink
    //  followed); zcert_save then fills them in place, keeping the modes.
    int public_fd =
        open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (public_fd < 0) {
        s_error (ret_err, "keygen: cannot create %s: %s", path, strerror (errno));
        free (path);
        return -1;
    }
    close (public_fd);
    int secret_fd =
        open (secret, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (secret_fd < 0) {
        s_error (ret_err, "keygen: cannot create %s: %s", secret, strerror (errno));
        unlink (path);
        free (path);
        return -1;
    }
    fchmod (secret_fd, 0600);
    close (secret_fd);
    zcert_t *cert = zcert_new ();
    char host[256] = "";
    gethostname (host, sizeof host - 1);
    if (cert) {
        zcert_set_meta (cert, "created-by", "wrp-controller keygen");
        if (*host)
            zcert_set_meta (cert, "hostname", "%s", host);
    }
    if (!cert || zcert_save_public (cert, path) || zcert_save_secret (cert, secret) ||
        chmod (secret, 0600)) {
        int error = errno;
        unlink (path);
        unlink (secret);
        zcert_destroy (&cert);
        s_error (ret_err, "keygen: cannot write %s: %s", path, strerror (error));
        free (path);
        return -1;
    }
    zcert_destroy (&cert);
    free (path);
    return 0;
}

//  ---------------------------------------------------------------------------
//  Self-test

//  Sends a STATUS from client to server and an OK back. Returns true when
//  the round trip completed within timeout_ms.
static bool
s_round_trip (zsock_t *server, zsock_t *client, int timeout_ms)
{
    wrp_msg_t *request = wrp_msg_new (WRP_CMD_STATUS, NULL);
    bool ok = wrp_msg_send (request, client, NULL) == 0;
    zpoller_t *poller = zpoller_new (server, NULL);
    ok = ok && zpoller_wait (poller, timeout_ms) == server;
    zpoller_destroy (&poller);
    wrp_msg_t *got = NULL;
    zframe_t *peer = NULL;
    char err[256];
    ok = ok && wrp_msg_recv (server, &got, &peer, err, sizeof err) == 0;
    if (ok) {
        wrp_msg_t *reply = wrp_msg_new (WRP_CMD_OK, wrp_msg_id (got));
        ok = wrp_msg_send (reply, server, peer) == 0;
        wrp_msg_destroy (&reply);
    }
    wrp_msg_destroy (&got);
    zframe_destroy (&peer);
    poller = zpoller_new (client, NULL);
    ok = ok && zpoller_wait (poller, timeout_ms) == client;
    zpoller_destroy (&poller);
    ok = ok && wrp_msg_recv (client, &got, NULL, err, sizeof err) == 0 &&
         wrp_msg_cmd (got) == WRP_CMD_OK &&
         streq (wrp_msg_id (got), wrp_msg_id (request));
    wrp_msg_destroy (&got);
    wrp_msg_destroy (&request);
    return ok;
}

//  Waits up to timeout_ms for the client side to see a handshake failure.
static int
s_wait_failed (wrp_transport_t *client, zsock_t *sock, int timeout_ms, char **ret_reason)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        int rc = wrp_transport_auth_failed (client, sock, ret_reason);
        if (rc)
            return rc;
        zpoller_t *poller = zpoller_new (wrp_transport_monitor (client, sock), NULL);
        zpoller_wait (poller, 50);
        zpoller_destroy (&poller);
    }
    return 0;
}

//  Waits up to timeout_ms for a server notice holding needle.
static char *
s_wait_notice (wrp_transport_t *server, const char *needle, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        char *notice = wrp_transport_notice (server);
        if (notice && strstr (notice, needle))
            return notice;
        free (notice);
        if (!notice) {
            zpoller_t *poller = zpoller_new (wrp_transport_notices (server), NULL);
            zpoller_wait (poller, 50);
            zpoller_destroy (&poller);
        }
    }
    return NULL;
}

static int
s_free_port (void)
{
    //  A plain socket: closing it frees the port at once, where libzmq
    //  unbinds in its I/O thread some time after zsock_destroy returns.
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert (fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    assert (bind (fd, (struct sockaddr *) &sa, sizeof sa) == 0);
    assert (getsockname (fd, (struct sockaddr *) &sa, &len) == 0);
    close (fd);
    return ntohs (sa.sin_port);
}

void
wrp_transport_test (bool verbose)
{
    if (verbose)
        printf (" * wrp_transport:\n");
    char dir[] = "/tmp/wrp_transport_test.XXXXXX";
    assert (mkdtemp (dir));
    char agent_key[200], ctl_key[200], other_key[200], authorized[200], path[1024];
    snprintf (agent_key, sizeof agent_key, "%s/keys/agent.key", dir);
    snprintf (ctl_key, sizeof ctl_key, "%s/ctl/controller.key", dir);
    snprintf (other_key, sizeof other_key, "%s/other.key", dir);
    snprintf (authorized, sizeof authorized, "%s/authorized_keys", dir);
    char *err = NULL;

    //  keygen: makes FILE and FILE_secret (0600), parents 0700, no overwrite
    assert (wrp_transport_keygen (agent_key, &err) == 0);
    assert (wrp_transport_keygen (ctl_key, &err) == 0);
    assert (wrp_transport_keygen (other_key, &err) == 0);
    struct stat st;
    snprintf (path, sizeof path, "%s_secret", agent_key);
    assert (stat (path, &st) == 0 && (st.st_mode & 0777) == 0600);
    snprintf (path, sizeof path, "%s/keys", dir);
    assert (stat (path, &st) == 0 && (st.st_mode & 0777) == 0700);
    assert (wrp_transport_keygen (agent_key, &err) == -1);
    if (verbose)
        printf ("    %s\n", err);
    assert (strstr (err, "refusing to overwrite"));
    zstr_free (&err);
    zcert_t *loaded = zcert_load (agent_key);    //  czmq reads it back
    char public_key[S_KEY_TEXT + 1];
    assert (loaded && wrp_transport_read_public_key (agent_key, public_key, &err) == 0);
    assert (streq (public_key, zcert_public_txt (loaded)));
    zcert_destroy (&loaded);
    assert (wrp_transport_keygen ("", &err) == -1);
    zstr_free (&err);

    //  Missing keys: the message says how to make them
    wrp_security_t security = {.insecure = false};
    assert (wrp_transport_new (&security, true, &err) == NULL);
    if (verbose)
        printf ("    %s\n", err);
    assert (strstr (err, "wrp-controller keygen") && strstr (err, "--insecure"));
    zstr_free (&err);
    security.key_file = "/nonexistent/agent.key";
    assert (wrp_transport_new (&security, true, &err) == NULL);
    assert (strstr (err, "/nonexistent/agent.key") && strstr (err, "keygen"));
    zstr_free (&err);
    //  A readable secret is refused, like ssh does
    snprintf (path, sizeof path, "%s_secret", other_key);
    chmod (path, 0644);
    security.key_file = other_key;
    assert (wrp_transport_new (&security, false, &err) == NULL);
    if (verbose)
        printf ("    %s\n", err);
    assert (strstr (err, "chmod 600"));
    zstr_free (&err);
    chmod (path, 0600);
    //  Not a certificate
    assert (wrp_transport_read_public_key ("/etc/hostname", public_key, &err) == -1);
    zstr_free (&err);
    //  No authorized keys directory
    security.key_file = agent_key;
    security.authorized_dir = authorized;
    assert (wrp_transport_new (&security, true, &err) == NULL);
    assert (strstr (err, authorized));
    zstr_free (&err);
    assert (mkdir (authorized, 0700) == 0);
    snprintf (path, sizeof path, "cp %s %s/ctl.pub", ctl_key, authorized);
    assert (system (path) == 0);
    //  The same key twice does not upset the key ring (zcertstore asserts)
    snprintf (path, sizeof path, "cp %s %s/ctl-copy.pub", ctl_key, authorized);
    assert (system (path) == 0);

    //  CURVE: an authorized controller gets through
    wrp_transport_t *server = wrp_transport_new (&security, true, &err);
    assert (server && !wrp_transport_insecure (server) && wrp_transport_notices (server));
    int port = s_free_port ();
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    zsock_t *router = wrp_transport_listen (server, endpoint, &err);
    assert (router);
    //  A second listener on the same port fails with a message
    assert (wrp_transport_listen (server, endpoint, &err) == NULL &&
            strstr (err, endpoint));
    zstr_free (&err);

    wrp_security_t ctl = {.key_file = ctl_key};
    wrp_transport_t *client = wrp_transport_new (&ctl, false, &err);
    assert (client && wrp_transport_notices (client) == NULL);
    assert (wrp_transport_connect (client, endpoint, NULL, true, &err) ==
            NULL);    //  no agent key
    assert (strstr (err, "--agent-key"));
    zstr_free (&err);
    zsock_t *dealer = wrp_transport_connect (client, endpoint, agent_key, true, &err);
    assert (dealer);
    assert (s_round_trip (router, dealer, 5000));
    assert (wrp_transport_auth_failed (client, dealer, &err) == 0);
    assert (wrp_transport_auth_failed (client, router, &err) == -1);    //  not ours
    if (verbose)
        printf ("    CURVE round trip with an authorized key: OK\n");

    //  An unknown key: refused, the controller learns it, the agent logs it
    wrp_security_t stranger = {.key_file = other_key};
    wrp_transport_t *client2 = wrp_transport_new (&stranger, false, &err);
    assert (client2);
    zsock_t *dealer2 = wrp_transport_connect (client2, endpoint, agent_key, true, &err);
    assert (dealer2);
    //  The send may be refused already (the handshake can fail first): what
    //  counts is that the refusal is reported.
    wrp_msg_t *msg = wrp_msg_new (WRP_CMD_STATUS, "refused");
    (void) wrp_msg_send (msg, dealer2, NULL);
    wrp_msg_destroy (&msg);
    char *reason = NULL;
    assert (s_wait_failed (client2, dealer2, 5000, &reason) == 1);
    if (verbose)
        printf ("    controller: %s\n", reason);
    assert (strstr (reason, "not authorized") && strstr (reason, other_key));
    zstr_free (&reason);
    char other_public[S_KEY_TEXT + 1];
    assert (wrp_transport_read_public_key (other_key, other_public, &err) == 0);
    char *notice = s_wait_notice (server, other_public, 5000);
    assert (notice && strstr (notice, "refused controller key") &&
            strstr (notice, authorized));
    if (verbose)
        printf ("    agent: %s\n", notice);
    zstr_free (&notice);
    //  ... nothing got through, and the authorized controller still works
    zpoller_t *poller = zpoller_new (router, NULL);
    assert (zpoller_wait (poller, 200) == NULL);
    zpoller_destroy (&poller);
    assert (s_round_trip (router, dealer, 5000));

    //  Authorizing the key needs no restart: a new connection gets through.
    //  (libzmq does not retry a connection refused by ZAP: the refused
    //  DEALER stays refused, and its queued request is dropped.)
    snprintf (path, sizeof path, "cp %s %s/other.pub", other_key, authorized);
    assert (system (path) == 0);
    wrp_transport_close (client2, &dealer2);
    dealer2 = wrp_transport_connect (client2, endpoint, agent_key, true, &err);
    assert (s_round_trip (router, dealer2, 5000));
    assert (wrp_transport_auth_failed (client2, dealer2, &reason) == 0);
    //  ... and revoking it refuses the next connection
    snprintf (path, sizeof path, "%s/other.pub", authorized);
    assert (unlink (path) == 0);
    zsock_t *dealer3 = wrp_transport_connect (client2, endpoint, agent_key, true, &err);
    assert (s_wait_failed (client2, dealer3, 5000, &reason) == 1);
    zstr_free (&reason);
    //  The same key refused again within a minute is not logged again
    notice = s_wait_notice (server, other_public, 300);
    assert (notice == NULL);
    wrp_transport_close (client2, &dealer3);
    wrp_transport_close (client2, &dealer2);
    assert (dealer2 == NULL);
    wrp_transport_destroy (&client2);
    if (verbose)
        printf (
            "    unknown key refused, reported both sides; added and revoked live: OK\n");

    //  A wrong agent key: the controller is told to check --agent-key
    zsock_t *wrong = wrp_transport_connect (client, endpoint, other_key, true, &err);
    assert (wrong);
    assert (s_wait_failed (client, wrong, 5000, &reason) == 1);
    if (verbose)
        printf ("    controller: %s\n", reason);
    assert (strstr (reason, "--agent-key"));
    zstr_free (&reason);
    wrp_transport_close (client, &wrong);

    //  A plain controller against the CURVE agent: a clear mismatch
    wrp_security_t plain = {.insecure = true};
    wrp_transport_t *plain_client = wrp_transport_new (&plain, false, &err);
    assert (plain_client && wrp_transport_insecure (plain_client));
    assert (wrp_transport_public_key (plain_client) == NULL);
    zsock_t *plain_dealer =
        wrp_transport_connect (plain_client, endpoint, NULL, true, &err);
    assert (s_wait_failed (plain_client, plain_dealer, 5000, &reason) == 1);
    if (verbose)
        printf ("    controller: %s\n", reason);
    assert (strstr (reason, "requires CURVE"));
    zstr_free (&reason);
    notice = s_wait_notice (server, "without CURVE", 5000);
    assert (notice);
    if (verbose)
        printf ("    agent: %s\n", notice);
    zstr_free (&notice);
    wrp_transport_close (plain_client, &plain_dealer);
    assert (s_round_trip (router, dealer, 5000));

    wrp_transport_close (client, &dealer);
    wrp_transport_destroy (&client);
    zsock_destroy (&router);
    wrp_transport_destroy (&server);
    assert (server == NULL);
    wrp_transport_destroy (&server);

    //  Insecure round trip (and the ZAP endpoint is free again)
    wrp_security_t open_server = {.insecure = true};
    server = wrp_transport_new (&open_server, true, &err);
    assert (server);
    router = wrp_transport_listen (server, "tcp://127.0.0.1:*", &err);
    assert (router);
    char *bound = zsock_last_endpoint (router);
    snprintf (endpoint, sizeof endpoint, "%s", bound);
    zstr_free (&bound);
    plain_dealer = wrp_transport_connect (plain_client, endpoint, NULL, true, &err);
    assert (s_round_trip (router, plain_dealer, 5000));
    assert (wrp_transport_auth_failed (plain_client, plain_dealer, &reason) == 0);
    wrp_transport_close (plain_client, &plain_dealer);
    //  A second listener on the same transport works too
    zsock_t *router2 = wrp_transport_listen (server, "tcp://127.0.0.1:*", &err);
    assert (router2);
    bound = zsock_last_endpoint (router2);
    plain_dealer = wrp_transport_connect (plain_client, bound, NULL, true, &err);
    zstr_free (&bound);
    assert (s_round_trip (router2, plain_dealer, 5000));
    wrp_transport_close (plain_client, &plain_dealer);
    zsock_destroy (&router2);
    wrp_transport_destroy (&plain_client);
    zsock_destroy (&router);
    wrp_transport_destroy (&server);
    server = wrp_transport_new (&security, true, &err);
    assert (server);
    wrp_transport_destroy (&server);
    if (verbose)
        printf ("    insecure round trip: OK\n");

    snprintf (path, sizeof path, "rm -rf %s", dir);
    assert (system (path) == 0);
    if (verbose)
        printf ("   OK\n");
}
