/*  wrp_zap — the agent's ZAP handler and its security notices. See
    wrp_zap.h.                                                                */

#include "wrp_zap.h"
#include "wrp_cert.h"
#include "wrp_file.h"
#include "wrp_gate.h"
#include "wrp_proto.h"
#include "wrp_str.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_ZAP_ENDPOINT    "inproc://zeromq.zap.01"
#define S_AUTHORIZED_MAX  10000    //  files read from the directory
#define S_RESCAN_MS       2000     //  re-read the directory at least this often
#define S_NOTICE_EVERY_MS 60000    //  one notice per key or kind per minute
#define S_RATES_MAX       4096     //  keys and kinds remembered at most
#define S_SUFFIX          (sizeof WRP_KEY_SECRET_SUFFIX - 1)

//  ---------------------------------------------------------------------------
//  The authorized-keys directory: the set of public keys found in it.

typedef struct {
    char *dir;                //  directory path
    zhashx_t *keys;           //  Z85 public key -> file name
    zlistx_t *problems;       //  what the last scan refused, one line each
    struct timespec mtime;    //  directory mtime at the last scan
    struct timespec ctime;    //  and its ctime (a chmod or chown changes it)
    int64_t scanned_ms;       //  when it was last scanned
} s_keyring_t;

static void
s_keyring_problem (s_keyring_t *self, char *text)
{
    if (text && zlistx_size (self->problems) < 100)
        zlistx_add_end (self->problems, text);
    else
        free (text);
}

//  Reads the directory as ssh reads authorized_keys: the directory and each
//  file must be owned by root or the agent's user and not writable by
//  group or others, each file a regular file (no link, no FIFO: opened
//  O_NONBLOCK|O_NOFOLLOW), at most WRP_CERT_MAX bytes. What fails is left
//  out and described in self->problems.
static void
s_keyring_scan (s_keyring_t *self)
{
    zhashx_purge (self->keys);
    zlistx_purge (self->problems);
    self->scanned_ms = zclock_mono ();
    DIR *dir = opendir (self->dir);
    if (!dir)
        return;    //  gone: no key is authorized
    struct stat st;
    char *why = NULL;
    if (fstat (dirfd (dir), &st) == 0) {
        self->mtime = st.st_mtim;
        self->ctime = st.st_ctim;
    }
    if (fstat (dirfd (dir), &st) || wrp_file_check_trusted (&st, self->dir, &why)) {
        s_keyring_problem (
            self, wrp_strf ("authorized keys directory %s: every key refused", why));
        free (why);
        closedir (dir);
        return;
    }
    struct dirent *entry;
    size_t files = 0;
    while ((entry = readdir (dir)) && files < S_AUTHORIZED_MAX) {
        size_t length = strlen (entry->d_name);
        if (entry->d_name[0] == '.' ||
            (length >= S_SUFFIX &&
             !strcmp (entry->d_name + length - S_SUFFIX, WRP_KEY_SECRET_SUFFIX)))
            continue;
        files++;
        char *text = NULL;
        size_t size;
        if (wrp_file_read_at (dirfd (dir), entry->d_name, WRP_CERT_MAX,
                              WRP_FILE_NOFOLLOW | WRP_FILE_TRUSTED, &text, &size, &why)) {
            if (errno != ENOENT)
                s_keyring_problem (self,
                                   wrp_strf ("ignored an authorized key file in %s: %s",
                                             self->dir, why));
            free (why);
            why = NULL;
            continue;
        }
        char key[WRP_CERT_KEY_TEXT + 1];
        if (wrp_cert_parse_public_key (text, key) == 0)
            zhashx_update (self->keys, key, entry->d_name);
        free (text);
    }
    closedir (dir);
}

static s_keyring_t *
s_keyring_new (const char *dir)
{
    s_keyring_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->dir = strdup (dir);
    self->keys = zhashx_new ();
    self->problems = zlistx_new ();
    if (!self->dir || !self->keys || !self->problems) {
        free (self->dir);
        zhashx_destroy (&self->keys);
        zlistx_destroy (&self->problems);
        free (self);
        return NULL;
    }
    zhashx_set_duplicator (self->keys, (zhashx_duplicator_fn *) strdup);
    zhashx_set_destructor (self->keys, (zhashx_destructor_fn *) zstr_free);
    zlistx_set_destructor (self->problems, (zlistx_destructor_fn *) zstr_free);
    s_keyring_scan (self);
    return self;
}

static void
s_keyring_destroy (s_keyring_t **self_p)
{
    if (*self_p) {
        zhashx_destroy (&(*self_p)->keys);
        zlistx_destroy (&(*self_p)->problems);
        free ((*self_p)->dir);
        free (*self_p);
        *self_p = NULL;
    }
}

//  The file holding key, or NULL if it is not authorized (or there is no
//  key ring: it could not be allocated, so nobody is let in).
static const char *
s_keyring_lookup (s_keyring_t *self, const char *key)
{
    if (!self)
        return NULL;
    struct stat st;
    bool changed = stat (self->dir, &st) != 0 ||
                   st.st_mtim.tv_sec != self->mtime.tv_sec ||
                   st.st_mtim.tv_nsec != self->mtime.tv_nsec ||
                   st.st_ctim.tv_sec != self->ctime.tv_sec ||
                   st.st_ctim.tv_nsec != self->ctime.tv_nsec;
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
    s_keyring_t *keyring;     //  authorized keys (NULL: insecure, or none could be read)
    const char *dir;          //  the authorized-keys directory (NULL when insecure)
    zhashx_t *rates;          //  key or kind -> s_rate_t
    int64_t window_ms;        //  start of the current minute of notices
    size_t window_count;      //  notices sent in it
    size_t window_dropped;    //  notices not sent since the last one sent
    bool terminated;          //  $TERM received
} s_actor_t;

//  Returns true when an event under name may be reported now; then
//  *ret_suppressed is how many were not reported since the last time.
static bool
s_rate_allow (s_actor_t *self, const char *name, size_t *ret_suppressed)
{
    int64_t now = zclock_mono ();
    if (zhashx_size (self->rates) > S_RATES_MAX)
        zhashx_purge (self->rates);    //  bounded, whatever a peer does
    s_rate_t *rate = zhashx_lookup (self->rates, name);
    if (!rate) {
        rate = calloc (1, sizeof *rate);
        if (!rate)
            return false;    //  out of memory: say nothing rather than flood
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
    if (self->window_count >= WRP_ZAP_NOTICE_BURST) {
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
                  self->window_dropped, WRP_ZAP_NOTICE_BURST);
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
        char key[WRP_CERT_KEY_TEXT + 1];
        zmq_z85_encode (key, zframe_data (credential), 32);
        const char *file = s_keyring_lookup (self->keyring, key);
        //  What the directory scan refused, once a minute each.
        for (char *problem = self->keyring ? zlistx_first (self->keyring->problems)
                                           : NULL;
             problem; problem = zlistx_next (self->keyring->problems))
            s_notice (self, problem, "%s", problem);
        if (file) {
            status = "200";
            text = "OK";
        } else
            s_notice (self, key,
                      "refused controller key '%s' from %s: not in the authorized keys "
                      "directory %s",
                      key, address ? address : "?", self->dir);
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
int
wrp_zap_event_read (zsock_t *pair, uint16_t *ret_event, uint32_t *ret_value,
                    char *endpoint, size_t endpoint_size)
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
        return wrp_zap_event_read (pair, ret_event, ret_value, endpoint, endpoint_size);
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
    while (wrp_zap_event_read (monitor, &event, &value, endpoint, sizeof endpoint) == 0) {
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
            else if (value == WRP_GATE_DROPPED)
                s_notice (self, "gate", "dropped a client from %s", endpoint);
            else
                s_notice (self, "protocol",
                          "handshake failed on %s: a client sent bytes that "
                          "are not a valid ZMTP handshake (protocol error 0x%08x)",
                          endpoint, value);
        }
    }
}

//  The actor. Everything it needs was allocated by wrp_zap_new, so an
//  allocation failure cannot stop it half-way: without a poller it
//  answers nothing, and libzmq then drops every handshake (denied).
static void
s_actor (zsock_t *pipe, void *args)
{
    s_actor_t *self = args;
    self->pipe = pipe;
    zpoller_t *poller = zpoller_new (pipe, NULL);
    if (poller && self->handler)
        zpoller_add (poller, self->handler);
    zsock_signal (pipe, 0);
    while (poller && !self->terminated) {
        void *which = zpoller_wait (poller, -1);
        if (which == pipe) {
            zmsg_t *command = zmsg_recv (pipe);
            char *name = command ? zmsg_popstr (command) : NULL;
            if (!command || (name && streq (name, "$TERM")))
                self->terminated = true;
            else if (name && streq (name, "MONITOR")) {
                char *endpoint = zmsg_popstr (command);
                zsock_t *monitor = endpoint ? zsock_new (ZMQ_PAIR) : NULL;
                if (monitor && zsock_connect (monitor, "%s", endpoint) == 0 &&
                    zpoller_add (poller, monitor) == 0) {
                    zsock_set_linger (monitor, 0);
                    zlistx_add_end (self->monitors, monitor);
                } else
                    zsock_destroy (&monitor);
                zstr_free (&endpoint);
                zsock_signal (pipe, monitor ? 0 : 1);
            }
            zstr_free (&name);
            zmsg_destroy (&command);
        } else if (which && which == self->handler)
            s_zap_handle (self);
        else if (which)
            s_listener_event (self, which);
        else if (zpoller_terminated (poller))
            break;
    }
    zpoller_destroy (&poller);
    if (!self->terminated) {
        //  No poller: wait for $TERM so that the caller's destroy returns.
        zmsg_t *command;
        while ((command = zmsg_recv (pipe))) {
            char *name = zmsg_popstr (command);
            bool term = name && streq (name, "$TERM");
            zstr_free (&name);
            zmsg_destroy (&command);
            if (term)
                break;
        }
    }
}

//  ---------------------------------------------------------------------------
//  The class

struct _wrp_zap_t {
    zactor_t *actor;
    s_actor_t *state;    //  the actor's, freed after it stopped
};

static void
s_state_destroy (s_actor_t **self_p)
{
    s_actor_t *self = *self_p;
    if (!self)
        return;
    zlistx_destroy (&self->monitors);
    if (self->handler) {
        zsock_unbind (self->handler, S_ZAP_ENDPOINT);
        zsock_destroy (&self->handler);
    }
    zhashx_destroy (&self->rates);
    s_keyring_destroy (&self->keyring);
    free (self);
    *self_p = NULL;
}

wrp_zap_t *
wrp_zap_new (const char *authorized_dir, char **ret_err)
{
    if (authorized_dir) {
        struct stat st;
        int failed = stat (authorized_dir, &st) ? errno : 0;
        if (failed || !S_ISDIR (st.st_mode)) {
            wrp_str_set (ret_err,
                         "authorized keys directory %s: %s (create it and put each "
                         "controller's public key file there)",
                         authorized_dir, failed ? strerror (failed) : "not a directory");
            return NULL;
        }
        char *why = NULL;
        if (wrp_file_check_trusted (&st, authorized_dir, &why)) {
            wrp_str_set (ret_err, "authorized keys directory %s", why);
            free (why);
            return NULL;
        }
    }
    wrp_zap_t *self = calloc (1, sizeof *self);
    s_actor_t *state = self ? calloc (1, sizeof *state) : NULL;
    if (state) {
        state->dir = authorized_dir;
        state->rates = zhashx_new ();
        state->monitors = zlistx_new ();
        if (authorized_dir)
            state->keyring = s_keyring_new (authorized_dir);
    }
    if (!state || !state->rates || !state->monitors ||
        (authorized_dir && !state->keyring)) {
        s_state_destroy (&state);
        free (self);
        wrp_str_set (ret_err, "cannot start the ZAP handler: out of memory");
        return NULL;
    }
    state->dir = state->keyring ? state->keyring->dir : NULL;
    zlistx_set_destructor (state->monitors, (zlistx_destructor_fn *) zsock_destroy);
    zhashx_set_destructor (state->rates, (zhashx_destructor_fn *) zstr_free);
    if (authorized_dir) {
        //  Bound here, before any listener exists, and handed to the actor.
        state->handler = zsock_new (ZMQ_REP);
        if (!state->handler || zsock_bind (state->handler, S_ZAP_ENDPOINT) != 0) {
            wrp_str_set (ret_err,
                         "cannot start the ZAP handler (%s): is another agent transport "
                         "open in this process?",
                         zmq_strerror (zmq_errno ()));
            zsock_destroy (&state->handler);
            s_state_destroy (&state);
            free (self);
            return NULL;
        }
    }
    self->state = state;
    self->actor = zactor_new (s_actor, state);
    if (!self->actor) {
        wrp_str_set (ret_err, "cannot start the ZAP handler thread");
        wrp_zap_destroy (&self);
    }
    return self;
}

void
wrp_zap_destroy (wrp_zap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wrp_zap_t *self = *self_p;
    zactor_destroy (&self->actor);
    s_state_destroy (&self->state);
    free (self);
    *self_p = NULL;
}

int
wrp_zap_watch (wrp_zap_t *self, zsock_t *listener)
{
    assert (self);
    static unsigned sequence;    //  for the process: see wrp_transport_connect
    char monitor[80];
    snprintf (monitor, sizeof monitor, "inproc://wrp-listener-%u",
              __atomic_add_fetch (&sequence, 1, __ATOMIC_RELAXED));
    if (zmq_socket_monitor (zsock_resolve (listener), monitor,
                            ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0)
        return -1;
    return wrp_zap_watch_endpoint (self, monitor);
}

int
wrp_zap_watch_endpoint (wrp_zap_t *self, const char *endpoint)
{
    assert (self);
    if (zstr_sendx (self->actor, "MONITOR", endpoint, NULL))
        return -1;
    return zsock_wait (self->actor) == 0 ? 0 : -1;
}

zsock_t *
wrp_zap_notices (wrp_zap_t *self)
{
    assert (self);
    return zactor_sock (self->actor);
}

char *
wrp_zap_notice (wrp_zap_t *self)
{
    assert (self);
    void *handle = zsock_resolve (zactor_sock (self->actor));
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
//  Self-test: ZAP requests by hand, as libzmq sends them.

static char *
s_zap_ask (const char *mechanism, const uint8_t *key)
{
    zsock_t *req = zsock_new_req (S_ZAP_ENDPOINT);
    assert (req);
    zmsg_t *request = zmsg_new ();
    zmsg_addstr (request, "1.0");
    zmsg_addstr (request, "7");
    zmsg_addstr (request, WRP_ZAP_DOMAIN);
    zmsg_addstr (request, "192.0.2.1");
    zmsg_addstr (request, "");
    zmsg_addstr (request, mechanism);
    if (key)
        zmsg_addmem (request, key, 32);
    assert (zmsg_send (&request, req) == 0);
    zsock_set_rcvtimeo (req, 5000);
    zmsg_t *reply = zmsg_recv (req);
    assert (reply && zmsg_size (reply) == 6);
    char *version = zmsg_popstr (reply), *id = zmsg_popstr (reply);
    char *status = zmsg_popstr (reply);
    assert (streq (version, "1.0") && streq (id, "7"));
    zstr_free (&version);
    zstr_free (&id);
    zmsg_destroy (&reply);
    zsock_destroy (&req);
    return status;
}

static char *
s_wait_notice (wrp_zap_t *zap)
{
    zpoller_t *poller = zpoller_new (wrp_zap_notices (zap), NULL);
    char *notice = NULL;
    for (int64_t deadline = zclock_mono () + 5000;
         !notice && zclock_mono () < deadline;) {
        notice = wrp_zap_notice (zap);
        if (!notice)
            zpoller_wait (poller, 100);
    }
    zpoller_destroy (&poller);
    return notice;
}

void
wrp_zap_test (bool verbose)
{
    if (verbose)
        printf (" * wrp_zap: ");
    char dir[] = "/tmp/wrp_zap_test.XXXXXX";
    assert (mkdtemp (dir));
    char *err = NULL;
    char missing[100];
    snprintf (missing, sizeof missing, "%s/none", dir);
    assert (wrp_zap_new (missing, &err) == NULL && strstr (err, missing));
    zstr_free (&err);

    char key_file[100];
    snprintf (key_file, sizeof key_file, "%s/ctl.pub", dir);
    assert (wrp_cert_keygen (key_file, &err) == 0);
    char text[WRP_CERT_KEY_TEXT + 1];
    assert (wrp_cert_read_public_key (key_file, text, &err) == 0);
    uint8_t known[32], stranger[32];
    assert (zmq_z85_decode (known, text));
    memset (stranger, 7, sizeof stranger);

    wrp_zap_t *zap = wrp_zap_new (dir, &err);
    assert (zap);
    //  Only one handler per process
    assert (wrp_zap_new (dir, &err) == NULL && strstr (err, "ZAP"));
    zstr_free (&err);
    char *status = s_zap_ask ("CURVE", known);
    assert (streq (status, "200"));
    zstr_free (&status);
    status = s_zap_ask ("CURVE", stranger);
    assert (streq (status, "400"));
    zstr_free (&status);
    char *notice = s_wait_notice (zap);
    assert (notice && strstr (notice, "refused controller key") && strstr (notice, dir) &&
            strstr (notice, "192.0.2.1"));
    zstr_free (&notice);
    //  The same key again within the minute: refused, not reported again
    status = s_zap_ask ("CURVE", stranger);
    assert (streq (status, "400"));
    zstr_free (&status);
    status = s_zap_ask ("NULL", NULL);
    assert (streq (status, "400"));
    zstr_free (&status);
    notice = s_wait_notice (zap);
    assert (notice && strstr (notice, "CURVE is required"));
    zstr_free (&notice);
    assert (wrp_zap_notice (zap) == NULL);
    //  A revoked key is refused at once
    unlink (key_file);
    status = s_zap_ask ("CURVE", known);
    assert (streq (status, "400"));
    zstr_free (&status);
    wrp_zap_destroy (&zap);
    assert (zap == NULL);
    wrp_zap_destroy (&zap);
    //  The endpoint is free again; an insecure one has no handler
    zap = wrp_zap_new (NULL, &err);
    assert (zap && wrp_zap_notices (zap));
    wrp_zap_destroy (&zap);

    snprintf (missing, sizeof missing, "rm -rf %s", dir);
    assert (system (missing) == 0);
    if (verbose)
        printf ("OK\n");
}
