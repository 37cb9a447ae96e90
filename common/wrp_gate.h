/*  wrp_gate — bounds a plain-TCP (NULL mechanism) listener per message.

    libzmq bounds each frame (ZMQ_MAXMSGSIZE) but not a message: it keeps
    every frame of a multipart message until the last one arrives, so a peer
    that sends frames with MORE and never a last one grows the receiver
    without bound before the application sees a byte. The gate stands in
    front of an insecure agent's ROUTER: it accepts the TCP connections
    itself, relays each to the ROUTER (bound on an abstract unix socket that
    only this process may connect to), reads the ZMTP 3 framing of what the
    peer sends as it passes and drops the peer (both connections) as soon as
    one message holds more than WRP_GATE_MAX_FRAMES frames or
    WRP_GATE_MAX_BYTES bytes, or all peers' unfinished messages together
    more than WRP_GATE_MAX_PENDING bytes. The bounds sit above the
    protocol's (1027 frames, 8 MiB) by one value, so a request a little too
    big still reaches the codec and is answered BAD_REQUEST.
    Under CURVE the framing is encrypted; there only an authorized
    controller can send a message, and it could run code on the node anyway.
    A drop is reported as a libzmq-style monitor event (HANDSHAKE_FAILED_
    PROTOCOL with value WRP_GATE_DROPPED, endpoint "PEER on ENDPOINT") on a
    PAIR socket at the notices endpoint, which wrp_zap turns into a log line.  */

#ifndef WRP_GATE_H_INCLUDED
#define WRP_GATE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wrp_proto.h"

#define WRP_GATE_MAX_FRAMES  (2 * WRP_MSG_MAX_FRAMES)
#define WRP_GATE_MAX_BYTES   (WRP_MSG_MAX_TOTAL + WRP_MSG_MAX_VALUE + (64u << 10))
#define WRP_GATE_MAX_PENDING (64u << 20)    //  unfinished messages, all peers
#define WRP_GATE_MAX_PEERS   4096           //  connections at once
#define WRP_GATE_DROPPED     0x57525001u    //  the event value of a drop

typedef struct _wrp_gate_t wrp_gate_t;

//  The framing scanner of one peer's bytes (its state; plain data).
typedef struct {
    int at;            //  greeting, flags, size or body
    uint64_t need;     //  bytes left of the greeting, size field or body
    uint8_t flags;     //  the current frame's flags
    uint64_t size;     //  the current frame's size, as read so far
    size_t frames;     //  frames of the unfinished message
    uint64_t bytes;    //  bytes of the unfinished message
} wrp_gate_scan_t;

//  Start scanning a new connection.
void wrp_gate_scan_init (wrp_gate_scan_t *self);

//  Scan the next size bytes the peer sent (any split of a stream scans the
//  same). pending (may be NULL) holds the bytes of every peer's unfinished
//  message, updated here. Returns 0, or -1 and why the peer is to be
//  dropped: not ZMTP 3, or a message over WRP_GATE_MAX_FRAMES frames,
//  WRP_GATE_MAX_BYTES bytes, or over WRP_GATE_MAX_PENDING in all. Pure.
int wrp_gate_scan (wrp_gate_scan_t *self, const uint8_t *data, size_t size,
                   uint64_t *pending, const char **ret_why);

//  Listen on endpoint ("tcp://HOST:PORT", HOST "*" for every address, PORT
//  "*" for any free one) and relay to the ZMTP listener at inner (an
//  "ipc://@NAME" endpoint). Drop events go to a PAIR bound at notices.
//  Returns NULL and a message (caller frees).
wrp_gate_t *wrp_gate_new (const char *endpoint, const char *inner, const char *notices,
                          char **ret_err);

//  Stop relaying and close every connection; accepts NULL, nulls the pointer.
void wrp_gate_destroy (wrp_gate_t **self_p);

//  The endpoint it listens on, with the port it got ("tcp://127.0.0.1:5560").
//  Borrowed.
const char *wrp_gate_endpoint (wrp_gate_t *self);

void wrp_gate_test (bool verbose);

#endif
