/*  wrp_zap — the agent's ZAP handler and its security notices.

    An actor (a thread with a pipe) that answers libzmq's ZAP requests
    (RFC 27) for the agent's CURVE ROUTER: status 200 when the client's
    long-term public key is in a file of the authorized-keys directory, 400
    otherwise. The directory is re-read when its mtime changes (a key file
    added or removed: revocation needs no restart) and at least every 2 s
    (a file edited in place). The same actor watches the listeners' failed
    handshakes. Each refusal becomes a notice line for the agent's log,
    rate-limited to one per key or kind a minute and WRP_ZAP_NOTICE_BURST in
    all. Nothing here blocks the handshakes: a notice that does not fit in
    the pipe is dropped, and an allocation failure denies (never aborts).

    We handle ZAP ourselves rather than with czmq's zauth because (1) the
    agent must log which key it refused, and zauth only says so through
    zsys logging in verbose mode, (2) zcertstore, which zauth uses, asserts
    (aborts the agent) when two files in the directory hold the same key,
    and (3) zauth accepts the NULL mechanism for any address.

    One per process (ZAP is per ZeroMQ context). It must outlive the
    listeners it serves: libzmq built without draft API lets any CURVE
    client in while no handler is bound.                                      */

#ifndef WRP_ZAP_H_INCLUDED
#define WRP_ZAP_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#define WRP_ZAP_NOTICE_BURST 20    //  notices a minute at most, all kinds together

typedef struct _wrp_zap_t wrp_zap_t;

//  Start the handler. authorized_dir NULL: no ZAP handler (an insecure
//  agent), only the handshake notices. Returns NULL and a message (caller
//  frees) when the directory is missing, the ZAP endpoint is taken (another
//  handler in this process) or the thread cannot start.
wrp_zap_t *wrp_zap_new (const char *authorized_dir, char **ret_err);

//  Stop the handler; accepts NULL, nulls the pointer.
void wrp_zap_destroy (wrp_zap_t **self_p);

//  Report failed handshakes on listener (call before it binds). Returns 0,
//  or -1 when the socket cannot be monitored.
int wrp_zap_watch (wrp_zap_t *self, zsock_t *listener);

//  Report the events a monitor-style PAIR bound at endpoint sends (a
//  wrp_gate's drops). Returns 0, or -1.
int wrp_zap_watch_endpoint (wrp_zap_t *self, const char *endpoint);

//  A socket that becomes readable when a notice is waiting (borrowed).
zsock_t *wrp_zap_notices (wrp_zap_t *self);

//  The next notice as one line (caller frees), or NULL when none is
//  waiting. Never blocks.
char *wrp_zap_notice (wrp_zap_t *self);

//  Read one libzmq socket-monitor event from pair (6 bytes: uint16 event,
//  uint32 value; then the endpoint, cut to endpoint_size). Never blocks.
//  Returns 0, or -1 when none is waiting. (The controller's handshake
//  monitors in wrp_transport read theirs with it too.)
int wrp_zap_event_read (zsock_t *pair, uint16_t *ret_event, uint32_t *ret_value,
                        char *endpoint, size_t endpoint_size);

void wrp_zap_test (bool verbose);

#endif
