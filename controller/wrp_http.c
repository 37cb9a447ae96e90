/*  wrp_http — monitor's read-only HTTP endpoint. See wrp_http.h.            */

#include "wrp_http.h"

#include <arpa/inet.h>
#include <assert.h>
#include <czmq.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "wrp_buf.h"
#include "wrp_file.h"
#include "wrp_log.h"
#include "wrp_str.h"

#define S_MAX_CONNECTIONS 128              //  at once; more wait in the backlog
#define S_MAX_PER_IP      16               //  at once from one address; more closed
#define S_MEMORY_LIMIT    (32 * 1024)      //  per connection: request line + headers
#define S_TIMEOUT_S       10               //  an idle connection is closed after this
#define S_MAX_FILE        (1024 * 1024)    //  certificate, key, auth file

struct _wrp_http_t {
    struct MHD_Daemon *daemon;    //  the server (its own thread)
    pthread_mutex_t lock;         //  guards the documents below
    char *metrics;                //  /metrics body (NULL: not yet)
    char *json;                   //  /status.json body, ending in "}\n"
    char *html;                   //  / body, holding WRP_HTTP_AGE_MARK once
    double updated_at;            //  wall clock of the data
    int64_t polled_mono;          //  monotonic ms of the last poll (0: none)
    int interval_ms;              //  poll period
    char *tls_cert;               //  PEM (NULL: plain HTTP)
    char *tls_key;                //  PEM
    char *auth_user;              //  basic authentication (NULL: none)
    char *auth_password;          //
};

static double
s_wall_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int
wrp_http_parse_listen (const char *text, char **ret_host, int *ret_port, char **ret_err)
{
    assert (text && ret_host && ret_port && ret_err);
    const char *colon = strrchr (text, ':');
    const char *host = text;
    size_t host_len = colon ? (size_t) (colon - text) : 0;
    if (colon && *text == '[') {
        if (host_len < 2 || text[host_len - 1] != ']') {
            *ret_err = wrp_strf ("--listen '%.64s': expected [ADDRESS]:PORT", text);
            return -1;
        }
        host++;
        host_len -= 2;
    } else if (colon && memchr (text, ':', host_len)) {
        *ret_err =
            wrp_strf ("--listen '%.64s': write an IPv6 address as [ADDRESS]:PORT", text);
        return -1;
    }
    char *end = NULL;
    long port =
        colon && colon[1] >= '0' && colon[1] <= '9' ? strtol (colon + 1, &end, 10) : -1;
    if (port < 0 || *end || port > 65535 || host_len > 255 ||
        memchr (host, '[', host_len) || memchr (host, ']', host_len)) {
        *ret_err = wrp_strf ("--listen '%.64s': expected ADDRESS:PORT, e.g. "
                             "127.0.0.1:9464",
                             text);
        return -1;
    }
    *ret_host = host_len ? strndup (host, host_len) : NULL;
    *ret_port = (int) port;
    return 0;
}

//  Resolve the listen address into *ret_addr; -1 and *ret_err.
static int
s_resolve (const char *listen, struct sockaddr_storage *ret_addr, char **ret_err)
{
    char *host = NULL;
    int port;
    if (wrp_http_parse_listen (listen, &host, &port, ret_err))
        return -1;
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *found = NULL;
    char service[16];
    snprintf (service, sizeof service, "%d", port);
    int rc = getaddrinfo (host, service, &hints, &found);
    if (rc != 0 || !found) {
        *ret_err = wrp_strf ("--listen '%.64s': cannot resolve '%s': %s", listen,
                             host ? host : "", gai_strerror (rc));
        free (host);
        return -1;
    }
    memcpy (ret_addr, found->ai_addr, found->ai_addrlen);
    freeaddrinfo (found);
    free (host);
    return 0;
}

static bool
s_loopback (const struct sockaddr_storage *addr)
{
    if (addr->ss_family == AF_INET)
        return (ntohl (((const struct sockaddr_in *) addr)->sin_addr.s_addr) >> 24) ==
               127;
    if (addr->ss_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK (&((const struct sockaddr_in6 *) addr)->sin6_addr);
    return false;
}

static int
s_read_auth (wrp_http_t *self, const char *path, char **ret_err)
{
    char *data = NULL;
    size_t size = 0;
    if (wrp_file_read (path, S_MAX_FILE, &data, &size, ret_err))
        return -1;
    data[strcspn (data, "\r\n")] = '\0';
    char *colon = strchr (data, ':');
    if (!colon || colon == data || !colon[1]) {
        *ret_err = wrp_strf ("%s: expected one line user:password", path);
        free (data);
        return -1;
    }
    *colon = '\0';
    self->auth_user = strdup (data);
    self->auth_password = strdup (colon + 1);
    memset (data, 0, size);
    free (data);
    return self->auth_user && self->auth_password ? 0 : -1;
}

//  Compare without an early exit, so the time says nothing of the secret.
static bool
s_same_secret (const char *a, const char *b)
{
    size_t la = strlen (a), lb = strlen (b);
    unsigned char diff = la != lb;
    for (size_t i = 0; i < la; i++)
        diff |= (unsigned char) a[i] ^ (unsigned char) b[lb ? i % lb : 0];
    return diff == 0;
}

static enum MHD_Result
s_reply (struct MHD_Connection *conn, unsigned int code, const char *type, char *body,
         size_t size)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer (size, body, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free (body);
        return MHD_NO;
    }
    MHD_add_response_header (response, "Content-Type", type);
    MHD_add_response_header (response, "Cache-Control", "no-store");
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    enum MHD_Result rc = MHD_queue_response (conn, code, response);
    MHD_destroy_response (response);
    return rc;
}

static enum MHD_Result
s_reply_text (struct MHD_Connection *conn, unsigned int code, const char *text)
{
    char *body = strdup (text);
    return body ? s_reply (conn, code, "text/plain; charset=utf-8", body, strlen (body))
                : MHD_NO;
}

//  The document for path with the age filled in, under the lock; NULL if
//  the path is unknown (*ret_known false) or nothing is published yet.
static char *
s_document (wrp_http_t *self, const char *path, bool *ret_known, const char **ret_type)
{
    *ret_known = true;
    double age = s_wall_now () - self->updated_at;
    if (age < 0)
        age = 0;
    char *body = NULL;
    if (!strcmp (path, "/metrics")) {
        *ret_type = "text/plain; version=0.0.4; charset=utf-8";
        body = self->metrics ? strdup (self->metrics) : NULL;
    } else if (!strcmp (path, "/status.json")) {
        *ret_type = "application/json";
        size_t len = self->json ? strlen (self->json) : 0;
        if (len >= 2 && !strcmp (self->json + len - 2, "}\n"))
            body = wrp_strf ("%.*s,\"age_s\":%.3f}\n", (int) len - 2, self->json, age);
    } else if (!strcmp (path, "/") || !strcmp (path, "/index.html")) {
        *ret_type = "text/html; charset=utf-8";
        const char *mark = self->html ? strstr (self->html, WRP_HTTP_AGE_MARK) : NULL;
        if (mark)
            body = wrp_strf ("%.*s%.1f s%s", (int) (mark - self->html), self->html, age,
                             mark + strlen (WRP_HTTP_AGE_MARK));
    } else
        *ret_known = false;
    return body;
}

static enum MHD_Result
s_healthz (wrp_http_t *self, struct MHD_Connection *conn)
{
    pthread_mutex_lock (&self->lock);
    int64_t polled = self->polled_mono;
    pthread_mutex_unlock (&self->lock);
    double ago = polled ? (double) (zclock_mono () - polled) / 1000.0 : -1;
    double limit = 3.0 * self->interval_ms / 1000.0;
    char text[160];
    bool fresh = polled && ago <= limit;
    if (!polled)
        snprintf (text, sizeof text, "stale: no poll yet\n");
    else
        snprintf (text, sizeof text, "%s: last poll %.1f s ago (limit %.1f s)\n",
                  fresh ? "ok" : "stale", ago, limit);
    return s_reply_text (conn, fresh ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, text);
}

static enum MHD_Result
s_handle (void *cls, struct MHD_Connection *conn, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size,
          void **req_cls)
{
    (void) version;
    (void) upload_data;
    (void) upload_data_size;
    (void) req_cls;
    wrp_http_t *self = cls;
    if (strcmp (method, "GET") && strcmp (method, "HEAD")) {
        struct MHD_Response *response = MHD_create_response_from_buffer (
            strlen ("only GET and HEAD\n"), (void *) "only GET and HEAD\n",
            MHD_RESPMEM_PERSISTENT);
        if (!response)
            return MHD_NO;
        MHD_add_response_header (response, "Allow", "GET, HEAD");
        MHD_add_response_header (response, "Connection", "close");
        enum MHD_Result rc =
            MHD_queue_response (conn, MHD_HTTP_METHOD_NOT_ALLOWED, response);
        MHD_destroy_response (response);
        return rc;
    }
    if (self->auth_user) {
        char *password = NULL;
        char *user = MHD_basic_auth_get_username_password (conn, &password);
        bool ok = user && password && s_same_secret (user, self->auth_user) &&
                  s_same_secret (password, self->auth_password);
        MHD_free (user);
        MHD_free (password);
        if (!ok) {
            struct MHD_Response *response = MHD_create_response_from_buffer (
                strlen ("authentication required\n"),
                (void *) "authentication required\n", MHD_RESPMEM_PERSISTENT);
            if (!response)
                return MHD_NO;
            enum MHD_Result rc =
                MHD_queue_basic_auth_fail_response (conn, "wrp", response);
            MHD_destroy_response (response);
            return rc;
        }
    }
    if (!strcmp (url, "/healthz"))
        return s_healthz (self, conn);
    bool known;
    const char *type = NULL;
    pthread_mutex_lock (&self->lock);
    char *body = s_document (self, url, &known, &type);
    pthread_mutex_unlock (&self->lock);
    if (!known)
        return s_reply_text (conn, MHD_HTTP_NOT_FOUND,
                             "not found: try /, /metrics, /status.json, /healthz\n");
    if (!body)
        return s_reply_text (conn, MHD_HTTP_SERVICE_UNAVAILABLE, "no poll yet\n");
    return s_reply (conn, MHD_HTTP_OK, type, body, strlen (body));
}

static void
s_log (void *cls, const char *format, va_list ap)
{
    (void) cls;
    if (!wrp_log_enabled (WRP_LOG_DEBUG))
        return;
    char text[512];
    vsnprintf (text, sizeof text, format, ap);
    text[strcspn (text, "\n")] = '\0';
    wrp_debug ("http: %s", text);
}

wrp_http_t *
wrp_http_new (const wrp_http_config_t *config, char **ret_err)
{
    assert (config && config->listen && ret_err);
    struct sockaddr_storage addr = {0};
    if (s_resolve (config->listen, &addr, ret_err))
        return NULL;
    if (!config->tls_cert != !config->tls_key) {
        *ret_err = strdup ("--tls-cert and --tls-key go together");
        return NULL;
    }
    wrp_http_t *self = calloc (1, sizeof *self);
    if (!self) {
        *ret_err = strdup ("out of memory");
        return NULL;
    }
    pthread_mutex_init (&self->lock, NULL);
    self->interval_ms = config->interval_ms > 0 ? config->interval_ms : 1000;
    size_t size;
    if ((config->tls_cert &&
         (wrp_file_read (config->tls_cert, S_MAX_FILE, &self->tls_cert, &size, ret_err) ||
          wrp_file_read (config->tls_key, S_MAX_FILE, &self->tls_key, &size, ret_err))) ||
        (config->auth_file && s_read_auth (self, config->auth_file, ret_err))) {
        wrp_http_destroy (&self);
        return NULL;
    }
    unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (self->tls_cert)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, self->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, self->tls_key},
        {MHD_OPTION_END, 0, NULL},
    };
    self->daemon = MHD_start_daemon (
        flags, 0, NULL, NULL, s_handle, self, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int) S_MAX_CONNECTIONS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int) S_MAX_PER_IP,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) S_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) S_MEMORY_LIMIT,
        MHD_OPTION_EXTERNAL_LOGGER, s_log, NULL, MHD_OPTION_ARRAY,
        self->tls_cert ? tls : tls + 2, MHD_OPTION_END);
    if (!self->daemon) {
        *ret_err = wrp_strf ("--listen %s: cannot serve there (address in use, not "
                             "ours, or a bad certificate or key)",
                             config->listen);
        wrp_http_destroy (&self);
        return NULL;
    }
    if (!s_loopback (&addr))
        wrp_warning ("--listen %s: the status pages are reachable from other hosts%s",
                     config->listen,
                     self->auth_user ? "" : " by anyone (no --http-auth)");
    return self;
}

void
wrp_http_destroy (wrp_http_t **self_p)
{
    assert (self_p);
    wrp_http_t *self = *self_p;
    if (!self)
        return;
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    pthread_mutex_destroy (&self->lock);
    free (self->metrics);
    free (self->json);
    free (self->html);
    free (self->tls_cert);
    if (self->tls_key)
        memset (self->tls_key, 0, strlen (self->tls_key));
    free (self->tls_key);
    free (self->auth_user);
    if (self->auth_password)
        memset (self->auth_password, 0, strlen (self->auth_password));
    free (self->auth_password);
    free (self);
    *self_p = NULL;
}

int
wrp_http_port (wrp_http_t *self)
{
    assert (self);
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? (int) info->port : 0;
}

void
wrp_http_publish (wrp_http_t *self, char *metrics, char *json, char *html,
                  double updated_at, int64_t polled_mono)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    char *old[3] = {NULL, NULL, NULL};
    if (metrics) {
        old[0] = self->metrics;
        self->metrics = metrics;
    }
    if (json) {
        old[1] = self->json;
        self->json = json;
    }
    if (html) {
        old[2] = self->html;
        self->html = html;
    }
    self->updated_at = updated_at;
    if (polled_mono)
        self->polled_mono = polled_mono;
    pthread_mutex_unlock (&self->lock);
    for (int i = 0; i < 3; i++)
        free (old[i]);
}

//  --------------------------------------------------------------------------

void
wrp_http_test (bool verbose)
{
    (void) verbose;
    char *host = NULL, *err = NULL;
    int port = 0;
    assert (wrp_http_parse_listen ("127.0.0.1:9464", &host, &port, &err) == 0);
    assert (!strcmp (host, "127.0.0.1") && port == 9464);
    free (host);
    assert (wrp_http_parse_listen ("[::1]:80", &host, &port, &err) == 0);
    assert (!strcmp (host, "::1") && port == 80);
    free (host);
    assert (wrp_http_parse_listen (":0", &host, &port, &err) == 0);
    assert (host == NULL && port == 0);
    const char *bad[] = {"127.0.0.1", "127.0.0.1:", "a:70000",
                         "::1:80",    "[::1:80",    "x:1y"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert (wrp_http_parse_listen (bad[i], &host, &port, &err) == -1);
        assert (err && strstr (err, "--listen"));
        free (err);
        err = NULL;
    }
    assert (s_same_secret ("abc", "abc"));
    assert (!s_same_secret ("abc", "abd"));
    assert (!s_same_secret ("abc", "ab"));
    assert (!s_same_secret ("", "a"));

    //  A server on a free loopback port answers 503 before the first
    //  publish, then the documents with their age.
    wrp_http_config_t config = {.listen = "127.0.0.1:0", .interval_ms = 1000};
    wrp_http_t *http = wrp_http_new (&config, &err);
    assert (http);
    assert (wrp_http_port (http) > 0);
    bool known;
    const char *type;
    assert (s_document (http, "/metrics", &known, &type) == NULL && known);
    assert (s_document (http, "/nope", &known, &type) == NULL && !known);
    wrp_http_publish (
        http, strdup ("wrp_agent_up{host=\"a\"} 1\n"), strdup ("{\"nodes\":[]}\n"),
        strdup ("<p>age " WRP_HTTP_AGE_MARK "</p>"), s_wall_now () - 2, zclock_mono ());
    char *doc = s_document (http, "/status.json", &known, &type);
    assert (doc && strstr (doc, "{\"nodes\":[],\"age_s\":2.") == doc);
    free (doc);
    doc = s_document (http, "/", &known, &type);
    assert (doc && !strcmp (doc, "<p>age 2.0 s</p>"));
    free (doc);
    wrp_http_destroy (&http);
    assert (http == NULL);
    wrp_http_destroy (&http);

    config.tls_cert = "x";
    assert (wrp_http_new (&config, &err) == NULL && strstr (err, "go together"));
    free (err);
}
