/*  wrp_msg — the one codec for the wrp control protocol (see PROTOCOL.md).

    A message is a command, an id and an ordered list of fields (key, value).
    On the wire it is a ZeroMQ multipart message:

        frame 0   "WRP/1"          signature and protocol version
        frame 1   command          "STATUS", "START", "OK", ...
        frame 2   id               1..64 chars of [A-Za-z0-9._:-]
        frame 3+  key, value, ...  pairs; key 1..64 chars of [A-Za-z0-9_.-],
                                   value 0..WRP_MSG_MAX_VALUE bytes

    A ROUTER socket adds the peer's routing id in front; wrp_msg_recv and
    wrp_msg_send take and give it separately. Decoding checks the signature,
    the version, every length and count; a malformed frame gives -1 and an
    error text, never a crash. Keys sharing a prefix form a map
    ("env.PATH", "env.CHI_REPO_PATH"); a list whose items hold other
    characters is one value, one item a line, columns split by tabs.          */

#ifndef WRP_MSG_H_INCLUDED
#define WRP_MSG_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wrp_proto.h"

typedef struct _wrp_msg_t wrp_msg_t;

//  Create a message. id is copied (NULL: a fresh random id). Returns NULL if
//  the id is not valid.
wrp_msg_t *wrp_msg_new (wrp_cmd_t cmd, const char *id);

//  Destroy; accepts NULL, nulls the caller's pointer.
void wrp_msg_destroy (wrp_msg_t **self_p);

//  Copy. The values are shared, not copied (a value never changes: setting
//  a field gives it a new one), so copies of a message with a large value,
//  each then given its own small fields, hold that value once; wrp_msg_send
//  sends it by reference. Returns NULL only when out of memory.
wrp_msg_t *wrp_msg_dup (const wrp_msg_t *self);

wrp_cmd_t wrp_msg_cmd (const wrp_msg_t *self);
const char *wrp_msg_id (const wrp_msg_t *self);

//  Command <-> name ("START"); unknown name gives WRP_CMD_INVALID, an
//  unknown command "INVALID".
const char *wrp_msg_cmd_name (wrp_cmd_t cmd);
wrp_cmd_t wrp_msg_cmd_from_name (const char *name);

//  Set a field (replacing one with the same key). Value is copied. Returns -1
//  if key or length break the limits.
int wrp_msg_set (wrp_msg_t *self, const char *key, const void *value, size_t size);
int wrp_msg_set_str (wrp_msg_t *self, const char *key, const char *value);
int wrp_msg_set_int (wrp_msg_t *self, const char *key, int64_t value);
int wrp_msg_set_double (wrp_msg_t *self, const char *key, double value);

//  Remove a field. Returns 0, or -1 if it was absent.
int wrp_msg_unset (wrp_msg_t *self, const char *key);

//  Borrow a field. wrp_msg_get returns 0 and the bytes, or -1 if absent.
//  wrp_msg_str returns NULL if absent or if the value holds a NUL byte.
//  wrp_msg_int returns 0 and the value, -1 if absent or not a whole decimal
//  number in int64 range.
int wrp_msg_get (const wrp_msg_t *self, const char *key, const void **ret_data,
                 size_t *ret_size);
const char *wrp_msg_str (const wrp_msg_t *self, const char *key);
int wrp_msg_int (const wrp_msg_t *self, const char *key, int64_t *ret_value);
bool wrp_msg_has (const wrp_msg_t *self, const char *key);

//  Returns 0 and the value of a finite decimal number ("0.4", "-2", "1e3"),
//  -1 if absent or not a number. (wrp_msg_set_double writes the shortest
//  text that reads back to the same double; NaN/infinity are refused.)
int wrp_msg_double (const wrp_msg_t *self, const char *key, double *ret_value);

//  Iterate fields in order: index 0..count-1. Borrowed.
size_t wrp_msg_field_count (const wrp_msg_t *self);
const char *wrp_msg_field_key (const wrp_msg_t *self, size_t index);
const void *wrp_msg_field_value (const wrp_msg_t *self, size_t index, size_t *ret_size);

//  Encode into a new zmsg_t (caller owns). Never fails for a message built
//  with the calls above.
zmsg_t *wrp_msg_encode (const wrp_msg_t *self);

//  The message as one byte string, for storing it (the agent's reply
//  record): its frames, each behind a length prefix as czmq's zmsg_encode
//  writes them. Returns 0 and *ret_data (caller frees) and *ret_size, or -1
//  when out of memory.
int wrp_msg_to_bytes (const wrp_msg_t *self, uint8_t **ret_data, size_t *ret_size);

//  Decode what wrp_msg_to_bytes wrote, with every check of wrp_msg_decode
//  (and the size bounded before anything is allocated). The format has no
//  trailer: bytes cut between two fields decode as a message with fewer
//  fields, so write a record atomically. Returns 0 and
//  *ret_msg, or -1 and a one-line reason in err (if not NULL).
int wrp_msg_from_bytes (const void *data, size_t size, wrp_msg_t **ret_msg, char *err,
                        size_t err_size);

//  Decode frames (not consumed). Returns 0 and sets *ret_msg, or -1 and
//  writes a one-line reason into err (if not NULL).
int wrp_msg_decode (zmsg_t *frames, wrp_msg_t **ret_msg, char *err, size_t err_size);

//  After a failed wrp_msg_decode of frames: the ERROR reply the peer should
//  get, or NULL when the frames carry no usable id (frame 2), are not our
//  protocol at all, or are themselves a reply (OK/ERROR: never answered, so
//  two peers cannot loop). code is "VERSION" (plus field "version" = the
//  version this side speaks) when frame 0 is "WRP/n" with another n, else
//  "BAD_REQUEST"; text is err. Caller owns the result.
wrp_msg_t *wrp_msg_reject (zmsg_t *frames, const char *err);

//  Send on a socket; routing_id (may be NULL) is sent first for a ROUTER.
//  A value from 1 KiB up is not copied: libzmq holds a reference to it
//  until it is sent (safe to destroy the message meanwhile). Never blocks (ZMQ_DONTWAIT).
//  Returns 0 or -1 (errno from libzmq: EHOSTUNREACH for a gone peer under
//  ROUTER_MANDATORY, EAGAIN when the peer's queue is full).
int wrp_msg_send (const wrp_msg_t *self, zsock_t *sock, zframe_t *routing_id);

//  Receive one message; on a ROUTER pass ret_routing_id to get the peer's id
//  (caller owns). Returns 0 and *ret_msg, or -1: interrupted (err "")
//  or malformed (err says why; the frames were read and dropped).
int wrp_msg_recv (zsock_t *sock, wrp_msg_t **ret_msg, zframe_t **ret_routing_id,
                  char *err, size_t err_size);

//  Receive one request (agent side): as wrp_msg_recv, and in addition, when
//  the message is malformed but can be answered (see wrp_msg_reject),
//  *ret_reject is set to the ERROR reply and *ret_routing_id to the peer:
//  send it with wrp_msg_send (reject, sock, routing_id), then destroy both.
//  Returns 0 (*ret_msg set), or -1 (err says why, "" when interrupted;
//  *ret_reject and *ret_routing_id set only when there is a reply to send).
int wrp_msg_recv_request (zsock_t *sock, wrp_msg_t **ret_msg, zframe_t **ret_routing_id,
                          wrp_msg_t **ret_reject, char *err, size_t err_size);

//  A fresh random id (32 hex chars) into buf (at least 33 bytes).
void wrp_msg_new_id (char *buf);

void wrp_msg_test (bool verbose);

#endif
