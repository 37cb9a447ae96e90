/*  wrp_http — the read-only HTTP endpoint of `monitor --listen`, on
    libmicrohttpd: GET /metrics (Prometheus text), /status.json (the status
    document plus "age_s"), / (the HTML page) and /healthz.

    The monitor publishes its documents after each poll (wrp_http_publish);
    a request only copies the last published one, so a GET never triggers
    a fan-out and costs the same at 1000 nodes as at one. The server runs
    in libmicrohttpd's own thread; publish takes a mutex for the swap.

    Bounded: GET and HEAD only (405 otherwise), S_MAX_CONNECTIONS at once
    and S_MAX_PER_IP from one address (more are closed at once), request
    headers within S_MEMORY_LIMIT (431 beyond), an idle connection closed
    after S_TIMEOUT_S. Optional TLS (PEM certificate and key) and basic
    authentication (a file holding one "user:password" line).              */

#ifndef WRP_HTTP_H_INCLUDED
#define WRP_HTTP_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

typedef struct _wrp_http_t wrp_http_t;

typedef struct {
    const char *listen;       //  "ADDR:PORT", "[ADDR6]:PORT" (port 0: any free one)
    const char *tls_cert;     //  PEM certificate file (NULL: plain HTTP)
    const char *tls_key;      //  PEM key file (with tls_cert)
    const char *auth_file;    //  "user:password" file (NULL: no authentication)
    int interval_ms;          //  the poll period: /healthz is 503 after 3 of them
} wrp_http_config_t;

//  Where / shows the age of its data: the page holds this marker once and
//  each request replaces it with "3.2 s".
#define WRP_HTTP_AGE_MARK "<!--wrp-age-->"

//  Bind and start serving (503 on every path until the first publish).
//  Warns on stderr when bound beyond loopback. Returns NULL and *ret_err
//  (caller frees) naming what is wrong: the address, a file, the bind.
wrp_http_t *wrp_http_new (const wrp_http_config_t *config, char **ret_err);

//  Stop serving and free; NULL-safe, nulls the caller's pointer.
void wrp_http_destroy (wrp_http_t **self_p);

//  The port actually bound (for port 0).
int wrp_http_port (wrp_http_t *self);

//  Replace the served documents (takes ownership of the three strings,
//  any may be NULL to keep the last one). updated_at: wall clock time of
//  the data; polled_mono: monotonic ms of the last poll, for /healthz.
void wrp_http_publish (wrp_http_t *self, char *metrics, char *json, char *html,
                       double updated_at, int64_t polled_mono);

//  Parse "ADDR:PORT" / "[ADDR6]:PORT" / ":PORT" (all addresses). Returns 0
//  and the parts (caller frees *ret_host; NULL for all addresses), or -1 and
//  *ret_err.
int wrp_http_parse_listen (const char *text, char **ret_host, int *ret_port,
                           char **ret_err);

void wrp_http_test (bool verbose);

#endif
