/*  wrp_msg — the one codec for the wrp control protocol. See wrp_msg.h and
    PROTOCOL.md.

    A message keeps its fields in an array, in the order they were set or
    received. Every value is stored with one extra NUL byte after it so that
    wrp_msg_str can hand out a C string without copying; the NUL is never
    sent. Values never change once made and are counted: wrp_msg_dup shares
    them, and wrp_msg_send hands a large one to libzmq by reference, so a
    value many messages carry (the hostfile in every START) is held once.
    The encoded size is tracked as fields are set, so that a message built
    with the calls below always encodes within WRP_MSG_MAX_TOTAL.           */

#include "wrp_msg.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

//  A field's value: immutable once made, counted references, so that a copy
//  of a message (wrp_msg_dup) and every send of it share the bytes. The
//  count is atomic: libzmq drops a sent value's reference in its I/O thread.
typedef struct {
    atomic_size_t refs;    //  holders: fields and messages in libzmq's queues
    size_t size;           //  value size without the NUL
    uint8_t data[];        //  value bytes + one NUL (not sent)
} s_value_t;

typedef struct {
    char key[WRP_MSG_MAX_KEY + 1];    //  NUL-terminated key
    s_value_t *value;                 //  the value (one reference)
} s_field_t;

//  Values from this size up are sent by reference: libzmq's message points
//  at the value itself and drops its reference when sent, so one START to
//  a thousand agents, or a thousand STARTs made with wrp_msg_dup, hold a
//  large value once.
#define S_SHARE_MIN 1024

//  A new value holding a copy of size bytes, NUL-terminated so text values
//  read as strings. NULL when out of memory.
static s_value_t *
s_value_new (const void *data, size_t size)
{
    s_value_t *value = malloc (sizeof *value + size + 1);
    if (!value)
        return NULL;
    atomic_init (&value->refs, 1);
    value->size = size;
    if (size)
        memcpy (value->data, data, size);
    value->data[size] = 0;
    return value;
}

static s_value_t *
s_value_ref (s_value_t *value)
{
    atomic_fetch_add_explicit (&value->refs, 1, memory_order_relaxed);
    return value;
}

static void
s_value_unref (s_value_t *value)
{
    if (value && atomic_fetch_sub_explicit (&value->refs, 1, memory_order_acq_rel) == 1)
        free (value);
}

//  libzmq's free function for a value sent by reference.
static void
s_value_sent (void *data, void *hint)
{
    (void) data;
    s_value_unref (hint);
}

//  Sends a field's value: a large one by reference. Returns 0 or -1.
static int
s_send_value (void *handle, const s_field_t *field, int flags)
{
    s_value_t *value = field->value;
    if (value->size < S_SHARE_MIN)
        return zmq_send (handle, value->data, value->size, flags) == -1 ? -1 : 0;
    zmq_msg_t part;
    if (zmq_msg_init_data (&part, value->data, value->size, s_value_sent,
                           s_value_ref (value)) != 0) {
        s_value_unref (value);
        return -1;
    }
    if (zmq_msg_send (&part, handle, flags) == -1) {
        zmq_msg_close (&part);    //  drops the reference
        return -1;
    }
    return 0;
}

struct _wrp_msg_t {
    wrp_cmd_t cmd;                  //  the command
    char id[WRP_MSG_MAX_ID + 1];    //  NUL-terminated id
    s_field_t *fields;              //  fields in order
    size_t count;                   //  fields used
    size_t capacity;                //  fields allocated
    size_t total;                   //  encoded size of all frames
};

static const char *s_cmd_names[] = {
    [WRP_CMD_INVALID] = "INVALID", [WRP_CMD_STATUS] = "STATUS", [WRP_CMD_START] = "START",
    [WRP_CMD_STOP] = "STOP",       [WRP_CMD_KILL] = "KILL",     [WRP_CMD_CLEAN] = "CLEAN",
    [WRP_CMD_OK] = "OK",           [WRP_CMD_ERROR] = "ERROR",
};
#define S_CMD_COUNT (sizeof s_cmd_names / sizeof s_cmd_names[0])

//  Longest command name, so a frame longer than this is not a command.
#define S_CMD_MAX 16

//  1 to max bytes of [A-Za-z0-9._-], and ':' too when colon.
static bool
s_valid_name (const void *data, size_t size, size_t max, bool colon)
{
    const uint8_t *bytes = data;
    if (size < 1 || size > max)
        return false;
    for (size_t i = 0; i < size; i++) {
        int c = bytes[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
              (colon && c == ':')))
            return false;
    }
    return true;
}

static bool
s_valid_id (const void *data, size_t size)
{
    return s_valid_name (data, size, WRP_MSG_MAX_ID, true);
}

static bool
s_valid_key (const void *data, size_t size)
{
    return s_valid_name (data, size, WRP_MSG_MAX_KEY, false);
}

//  Formats an error into err (if any); always returns -1.
static int
s_fail (char *err, size_t err_size, const char *format, ...)
{
    if (err && err_size) {
        va_list args;
        va_start (args, format);
        vsnprintf (err, err_size, format, args);
        va_end (args);
    }
    return -1;
}

//  Copies up to 32 bytes of a peer's frame as printable text for an error
//  message: other bytes become "\xNN", a longer frame ends in "...".
static void
s_printable (const uint8_t *data, size_t size, char *buf, size_t buf_size)
{
    size_t out = 0;
    for (size_t i = 0; i < size && i < 32 && out + 5 < buf_size; i++) {
        if (data[i] >= 0x20 && data[i] < 0x7f && data[i] != '\'' && data[i] != '\\')
            buf[out++] = (char) data[i];
        else
            out += (size_t) snprintf (buf + out, buf_size - out, "\\x%02x", data[i]);
    }
    if (size > 32 && out + 4 < buf_size) {
        memcpy (buf + out, "...", 3);
        out += 3;
    }
    buf[out] = 0;
}

static s_field_t *
s_find (const wrp_msg_t *self, const char *key)
{
    for (size_t i = 0; i < self->count; i++)
        if (!strcmp (self->fields[i].key, key))
            return &self->fields[i];
    return NULL;
}

static size_t
s_header_size (wrp_cmd_t cmd, const char *id)
{
    return strlen (WRP_PROTO_SIGNATURE) + strlen (s_cmd_names[cmd]) + strlen (id);
}

//  ---------------------------------------------------------------------------
//  Create a message. id is copied (NULL: a fresh random id). Returns NULL if
//  the id or the command is not valid.

wrp_msg_t *
wrp_msg_new (wrp_cmd_t cmd, const char *id)
{
    if (cmd <= WRP_CMD_INVALID || (size_t) cmd >= S_CMD_COUNT)
        return NULL;
    char fresh[33];
    if (!id) {
        wrp_msg_new_id (fresh);
        id = fresh;
    }
    if (!s_valid_id (id, strlen (id)))
        return NULL;
    wrp_msg_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->cmd = cmd;
    strcpy (self->id, id);
    self->total = s_header_size (cmd, id);
    return self;
}

//  ---------------------------------------------------------------------------
//  Destroy; accepts NULL, nulls the caller's pointer.

void
wrp_msg_destroy (wrp_msg_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wrp_msg_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        s_value_unref (self->fields[i].value);
    free (self->fields);
    free (self);
    *self_p = NULL;
}

//  Appends a field holding value (taking its reference) without checks
//  beyond memory. Returns 0, or -1 (the reference dropped).
static int
s_append (wrp_msg_t *self, const char *key, size_t key_size, s_value_t *value)
{
    if (!value)
        return -1;
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 8;
        if (capacity > WRP_MSG_MAX_FIELDS)
            capacity = WRP_MSG_MAX_FIELDS;
        s_field_t *fields = realloc (self->fields, capacity * sizeof *fields);
        if (!fields) {
            s_value_unref (value);
            return -1;
        }
        self->fields = fields;
        self->capacity = capacity;
    }
    s_field_t *field = &self->fields[self->count++];
    memcpy (field->key, key, key_size);
    field->key[key_size] = 0;
    field->value = value;
    self->total += key_size + value->size;
    return 0;
}

//  ---------------------------------------------------------------------------
//  Copy: the values are shared (they never change; setting a field gives
//  it a new one). Returns NULL only when out of memory.

wrp_msg_t *
wrp_msg_dup (const wrp_msg_t *self)
{
    assert (self);
    wrp_msg_t *copy = wrp_msg_new (self->cmd, self->id);
    if (!copy)
        return NULL;
    for (size_t i = 0; i < self->count; i++) {
        const s_field_t *field = &self->fields[i];
        if (s_append (copy, field->key, strlen (field->key),
                      s_value_ref (field->value))) {
            wrp_msg_destroy (&copy);
            return NULL;
        }
    }
    return copy;
}

wrp_cmd_t
wrp_msg_cmd (const wrp_msg_t *self)
{
    assert (self);
    return self->cmd;
}

const char *
wrp_msg_id (const wrp_msg_t *self)
{
    assert (self);
    return self->id;
}

//  ---------------------------------------------------------------------------
//  Command <-> name.

const char *
wrp_msg_cmd_name (wrp_cmd_t cmd)
{
    if (cmd <= WRP_CMD_INVALID || (size_t) cmd >= S_CMD_COUNT)
        return s_cmd_names[WRP_CMD_INVALID];
    return s_cmd_names[cmd];
}

wrp_cmd_t
wrp_msg_cmd_from_name (const char *name)
{
    if (!name)
        return WRP_CMD_INVALID;
    for (size_t i = WRP_CMD_INVALID + 1; i < S_CMD_COUNT; i++)
        if (!strcmp (name, s_cmd_names[i]))
            return (wrp_cmd_t) i;
    return WRP_CMD_INVALID;
}

//  ---------------------------------------------------------------------------
//  Set a field (replacing one with the same key, keeping its place). Value is
//  copied. Returns -1 (errno EINVAL) if the key, the value's length, the
//  field count or the total size break the limits, or ENOMEM.

int
wrp_msg_set (wrp_msg_t *self, const char *key, const void *value, size_t size)
{
    assert (self);
    if (!key || !s_valid_key (key, strlen (key)) || size > WRP_MSG_MAX_VALUE ||
        (size && !value)) {
        errno = EINVAL;
        return -1;
    }
    s_field_t *field = s_find (self, key);
    size_t key_size = strlen (key);
    size_t total =
        self->total - (field ? key_size + field->value->size : 0) + key_size + size;
    if (total > WRP_MSG_MAX_TOTAL || (!field && self->count >= WRP_MSG_MAX_FIELDS)) {
        errno = EINVAL;
        return -1;
    }
    if (!field)
        return s_append (self, key, key_size, s_value_new (value, size));
    s_value_t *fresh = s_value_new (value, size);
    if (!fresh)
        return -1;
    s_value_unref (field->value);
    field->value = fresh;
    self->total = total;
    return 0;
}

int
wrp_msg_set_str (wrp_msg_t *self, const char *key, const char *value)
{
    if (!value) {
        errno = EINVAL;
        return -1;
    }
    return wrp_msg_set (self, key, value, strlen (value));
}

int
wrp_msg_set_int (wrp_msg_t *self, const char *key, int64_t value)
{
    char text[24];
    snprintf (text, sizeof text, "%" PRId64, value);
    return wrp_msg_set_str (self, key, text);
}

//  Doubles go out in the shortest "%.Ng" form that reads back to the same
//  value, so 0.4 is "0.4", not "0.40000000000000002". NaN and infinities
//  have no decimal form and are refused.
int
wrp_msg_set_double (wrp_msg_t *self, const char *key, double value)
{
    if (!isfinite (value)) {
        errno = EINVAL;
        return -1;
    }
    char text[40];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf (text, sizeof text, "%.*g", digits, value);
        if (strtod (text, NULL) == value)
            break;
    }
    return wrp_msg_set_str (self, key, text);
}

//  ---------------------------------------------------------------------------
//  Remove a field. Returns 0, or -1 if it was absent.

int
wrp_msg_unset (wrp_msg_t *self, const char *key)
{
    assert (self);
    s_field_t *field = key ? s_find (self, key) : NULL;
    if (!field)
        return -1;
    self->total -= strlen (field->key) + field->value->size;
    s_value_unref (field->value);
    size_t index = (size_t) (field - self->fields);
    memmove (field, field + 1, (self->count - index - 1) * sizeof *field);
    self->count--;
    return 0;
}

//  ---------------------------------------------------------------------------
//  Borrow a field.

int
wrp_msg_get (const wrp_msg_t *self, const char *key, const void **ret_data,
             size_t *ret_size)
{
    assert (self);
    const s_field_t *field = key ? s_find (self, key) : NULL;
    if (!field)
        return -1;
    if (ret_data)
        *ret_data = field->value->data;
    if (ret_size)
        *ret_size = field->value->size;
    return 0;
}

const char *
wrp_msg_str (const wrp_msg_t *self, const char *key)
{
    assert (self);
    const s_field_t *field = key ? s_find (self, key) : NULL;
    if (!field || memchr (field->value->data, 0, field->value->size))
        return NULL;
    return (const char *) field->value->data;
}

int
wrp_msg_int (const wrp_msg_t *self, const char *key, int64_t *ret_value)
{
    const char *text = wrp_msg_str (self, key);
    if (!text)
        return -1;
    //  Strictly [-]digits: strtoll alone would accept spaces, '+' and "0x".
    const char *digit = text[0] == '-' ? text + 1 : text;
    if (!*digit || strspn (digit, "0123456789") != strlen (digit) || strlen (digit) > 19)
        return -1;
    errno = 0;
    char *end;
    long long value = strtoll (text, &end, 10);
    if (errno || *end)
        return -1;
    *ret_value = (int64_t) value;
    return 0;
}

//  Returns 0 and the value of a decimal number ("12", "-0.5", "1e3"), or -1
//  if absent, not a finite number, or not all of the value.
int
wrp_msg_double (const wrp_msg_t *self, const char *key, double *ret_value)
{
    const char *text = wrp_msg_str (self, key);
    if (!text || !*text || strspn (text, "0123456789+-.eE") != strlen (text))
        return -1;
    errno = 0;
    char *end;
    double value = strtod (text, &end);
    if (errno || *end || !isfinite (value))
        return -1;
    *ret_value = value;
    return 0;
}

bool
wrp_msg_has (const wrp_msg_t *self, const char *key)
{
    assert (self);
    return key && s_find (self, key) != NULL;
}

//  ---------------------------------------------------------------------------
//  Iterate fields in order.

size_t
wrp_msg_field_count (const wrp_msg_t *self)
{
    assert (self);
    return self->count;
}

const char *
wrp_msg_field_key (const wrp_msg_t *self, size_t index)
{
    assert (self);
    return index < self->count ? self->fields[index].key : NULL;
}

const void *
wrp_msg_field_value (const wrp_msg_t *self, size_t index, size_t *ret_size)
{
    assert (self);
    if (index >= self->count)
        return NULL;
    if (ret_size)
        *ret_size = self->fields[index].value->size;
    return self->fields[index].value->data;
}

//  ---------------------------------------------------------------------------
//  Encode into a new zmsg_t (caller owns). Returns NULL only when out of
//  memory.

zmsg_t *
wrp_msg_encode (const wrp_msg_t *self)
{
    assert (self);
    zmsg_t *frames = zmsg_new ();
    if (!frames)
        return NULL;
    int rc = zmsg_addstr (frames, WRP_PROTO_SIGNATURE);
    rc |= zmsg_addstr (frames, s_cmd_names[self->cmd]);
    rc |= zmsg_addstr (frames, self->id);
    for (size_t i = 0; i < self->count && rc == 0; i++) {
        rc |= zmsg_addstr (frames, self->fields[i].key);
        rc |= zmsg_addmem (frames, self->fields[i].value->data,
                           self->fields[i].value->size);
    }
    if (rc)
        zmsg_destroy (&frames);
    return frames;
}

//  ---------------------------------------------------------------------------
//  The message as one byte string (czmq's zmsg_encode of its frames).

int
wrp_msg_to_bytes (const wrp_msg_t *self, uint8_t **ret_data, size_t *ret_size)
{
    assert (self);
    assert (ret_data);
    assert (ret_size);
    zmsg_t *frames = wrp_msg_encode (self);
    zframe_t *encoded = frames ? zmsg_encode (frames) : NULL;
    zmsg_destroy (&frames);
    if (!encoded)
        return -1;
    size_t size = zframe_size (encoded);
    uint8_t *data = malloc (size ? size : 1);
    if (data)
        memcpy (data, zframe_data (encoded), size);
    zframe_destroy (&encoded);
    if (!data)
        return -1;
    *ret_data = data;
    *ret_size = size;
    return 0;
}

//  ---------------------------------------------------------------------------
//  Splits zmsg_encode's format (a 1-byte length, or 0xFF and a 4-byte
//  big-endian length, then the bytes) into frames. Returns NULL when a
//  length runs past the end or there are more frames than the protocol has.
static zmsg_t *
s_frames_from_bytes (const uint8_t *data, size_t size)
{
    zmsg_t *frames = zmsg_new ();
    size_t at = 0;
    while (frames && at < size) {
        size_t length = data[at++];
        if (length == 0xFF) {
            if (size - at < 4)
                break;
            length = ((size_t) data[at] << 24) | ((size_t) data[at + 1] << 16) |
                     ((size_t) data[at + 2] << 8) | (size_t) data[at + 3];
            at += 4;
        }
        if (length > size - at || zmsg_size (frames) >= (size_t) WRP_MSG_MAX_FRAMES)
            break;
        if (zmsg_addmem (frames, data + at, length) != 0)
            break;
        at += length;
    }
    if (at != size)
        zmsg_destroy (&frames);
    return frames;
}

//  Decode what wrp_msg_to_bytes wrote.

int
wrp_msg_from_bytes (const void *data, size_t size, wrp_msg_t **ret_msg, char *err,
                    size_t err_size)
{
    assert (ret_msg);
    //  A frame's length prefix is 1 byte, or 5 from 255 bytes on.
    size_t limit = (size_t) WRP_MSG_MAX_TOTAL + 5 * (size_t) WRP_MSG_MAX_FRAMES;
    if (!data && size)
        return s_fail (err, err_size, "no data");
    if (size > limit)
        return s_fail (err, err_size, "record of %zu bytes exceeds the limit of %zu",
                       size, limit);
    //  The prefixes are walked here, not by zmsg_decode: czmq 4.2 computes a
    //  5-byte prefix in int arithmetic, so a length from 2^31 up wraps past
    //  its bound check and a damaged record would crash the reader.
    zmsg_t *frames = s_frames_from_bytes (data, size);
    if (!frames)
        return s_fail (err, err_size, "not an encoded message (bad frame lengths)");
    int rc = wrp_msg_decode (frames, ret_msg, err, err_size);
    zmsg_destroy (&frames);
    return rc;
}

//  Checks frame 0. Returns 0, or -1 with the reason; *ret_version is the
//  peer's version when the frame is "WRP/n" (else -1).
static int
s_check_signature (zframe_t *frame, long *ret_version, char *err, size_t err_size)
{
    *ret_version = -1;
    if (!frame)
        return s_fail (err, err_size, "empty message (no signature frame)");
    const uint8_t *data = zframe_data (frame);
    size_t size = zframe_size (frame);
    size_t prefix = strlen (WRP_PROTO_NAME "/");
    if (size == strlen (WRP_PROTO_SIGNATURE) && !memcmp (data, WRP_PROTO_SIGNATURE, size))
        return 0;
    if (size > prefix && size <= prefix + 9 &&
        !memcmp (data, WRP_PROTO_NAME "/", prefix)) {
        long version = 0;
        size_t i;
        for (i = prefix; i < size && data[i] >= '0' && data[i] <= '9'; i++)
            version = version * 10 + (data[i] - '0');
        if (i == size && version != WRP_PROTO_VERSION) {
            *ret_version = version;
            return s_fail (
                err, err_size,
                "frame 0: peer speaks protocol version %ld ('%.*s'), this side "
                "speaks version %d ('%s')",
                version, (int) size, (const char *) data, WRP_PROTO_VERSION,
                WRP_PROTO_SIGNATURE);
        }
    }
    char shown[140];
    s_printable (data, size, shown, sizeof shown);
    return s_fail (err, err_size,
                   "frame 0: not a wrp message (signature '%s', expected '%s')", shown,
                   WRP_PROTO_SIGNATURE);
}

//  ---------------------------------------------------------------------------
//  Decode frames (not consumed). Returns 0 and sets *ret_msg, or -1 and
//  writes a one-line reason into err (if not NULL).

int
wrp_msg_decode (zmsg_t *frames, wrp_msg_t **ret_msg, char *err, size_t err_size)
{
    assert (ret_msg);
    if (!frames)
        return s_fail (err, err_size, "no message");
    size_t count = zmsg_size (frames);
    size_t total = zmsg_content_size (frames);
    if (total > WRP_MSG_MAX_TOTAL)
        return s_fail (err, err_size,
                       "message of %zu bytes exceeds the limit of %u bytes", total,
                       WRP_MSG_MAX_TOTAL);
    long version;
    zframe_t *frame = zmsg_first (frames);
    if (s_check_signature (frame, &version, err, err_size))
        return -1;
    if (count < 3)
        return s_fail (err, err_size,
                       "message has %zu frames, at least 3 needed (signature, "
                       "command, id)",
                       count);
    if ((count - 3) % 2)
        return s_fail (err, err_size,
                       "message has %zu frames: a field key without a value", count);
    if ((count - 3) / 2 > WRP_MSG_MAX_FIELDS)
        return s_fail (err, err_size, "message has %zu fields, the limit is %d",
                       (count - 3) / 2, WRP_MSG_MAX_FIELDS);
    char shown[140];
    frame = zmsg_next (frames);
    char name[S_CMD_MAX + 1] = "";
    if (zframe_size (frame) <= S_CMD_MAX) {
        memcpy (name, zframe_data (frame), zframe_size (frame));
        name[zframe_size (frame)] = 0;
    }
    wrp_cmd_t cmd = strlen (name) == zframe_size (frame) ? wrp_msg_cmd_from_name (name)
                                                         : WRP_CMD_INVALID;
    if (cmd == WRP_CMD_INVALID) {
        s_printable (zframe_data (frame), zframe_size (frame), shown, sizeof shown);
        return s_fail (err, err_size, "frame 1: unknown command '%s'", shown);
    }
    frame = zmsg_next (frames);
    if (!s_valid_id (zframe_data (frame), zframe_size (frame))) {
        s_printable (zframe_data (frame), zframe_size (frame), shown, sizeof shown);
        return s_fail (err, err_size,
                       "frame 2: invalid id '%s' (1..%d chars of [A-Za-z0-9._:-])", shown,
                       WRP_MSG_MAX_ID);
    }
    char id[WRP_MSG_MAX_ID + 1];
    memcpy (id, zframe_data (frame), zframe_size (frame));
    id[zframe_size (frame)] = 0;
    wrp_msg_t *self = wrp_msg_new (cmd, id);
    if (!self)
        return s_fail (err, err_size, "out of memory");
    size_t index = 3;
    for (frame = zmsg_next (frames); frame; frame = zmsg_next (frames), index += 2) {
        zframe_t *value = zmsg_next (frames);
        const uint8_t *key = zframe_data (frame);
        size_t key_size = zframe_size (frame);
        if (!s_valid_key (key, key_size)) {
            s_printable (key, key_size, shown, sizeof shown);
            wrp_msg_destroy (&self);
            return s_fail (
                err, err_size,
                "frame %zu: invalid field key '%s' (1..%d chars of [A-Za-z0-9_.-])",
                index, shown, WRP_MSG_MAX_KEY);
        }
        char key_text[WRP_MSG_MAX_KEY + 1];
        memcpy (key_text, key, key_size);
        key_text[key_size] = 0;
        if (zframe_size (value) > WRP_MSG_MAX_VALUE) {
            wrp_msg_destroy (&self);
            return s_fail (err, err_size,
                           "frame %zu: value of '%s' is %zu bytes, the limit is %u",
                           index + 1, key_text, zframe_size (value), WRP_MSG_MAX_VALUE);
        }
        if (s_find (self, key_text)) {
            wrp_msg_destroy (&self);
            return s_fail (err, err_size, "frame %zu: field '%s' appears twice", index,
                           key_text);
        }
        if (s_append (self, key_text, key_size,
                      s_value_new (zframe_data (value), zframe_size (value)))) {
            wrp_msg_destroy (&self);
            return s_fail (err, err_size, "out of memory");
        }
    }
    *ret_msg = self;
    return 0;
}

//  ---------------------------------------------------------------------------
//  After a failed decode: the ERROR reply the peer should get, when frame 2
//  holds a valid id (otherwise NULL: the message can only be dropped). The
//  code is VERSION when frame 0 is "WRP/n" with another n (the reply also
//  carries "version" = WRP_PROTO_VERSION), BAD_REQUEST otherwise; the text
//  is err. Never answers an OK or ERROR (a reply to a reply could loop).
//  Caller owns the result.

wrp_msg_t *
wrp_msg_reject (zmsg_t *frames, const char *err)
{
    if (!frames || zmsg_size (frames) < 3)
        return NULL;
    zframe_t *signature = zmsg_first (frames);
    zframe_t *command = zmsg_next (frames);
    zframe_t *id_frame = zmsg_next (frames);
    if (!s_valid_id (zframe_data (id_frame), zframe_size (id_frame)))
        return NULL;
    long version;
    bool other_version = s_check_signature (signature, &version, NULL, 0) && version >= 0;
    bool ours = !other_version && zframe_streq (signature, WRP_PROTO_SIGNATURE);
    if (!other_version && !ours)
        return NULL;    //  not our protocol: say nothing
    if (zframe_streq (command, "OK") || zframe_streq (command, "ERROR"))
        return NULL;
    char id[WRP_MSG_MAX_ID + 1];
    memcpy (id, zframe_data (id_frame), zframe_size (id_frame));
    id[zframe_size (id_frame)] = 0;
    wrp_msg_t *reply = wrp_msg_new (WRP_CMD_ERROR, id);
    if (!reply)
        return NULL;
    char text[512];
    snprintf (text, sizeof text, "%s", err && *err ? err : "malformed message");
    text[strcspn (text, "\n")] = 0;
    if (wrp_msg_set_str (reply, WRP_F_CODE,
                         other_version ? WRP_ERR_VERSION : WRP_ERR_BAD_REQUEST) ||
        wrp_msg_set_str (reply, WRP_F_TEXT, text) ||
        (other_version && wrp_msg_set_int (reply, WRP_F_VERSION, WRP_PROTO_VERSION)))
        wrp_msg_destroy (&reply);
    return reply;
}

//  ---------------------------------------------------------------------------
//  Send on a socket; routing_id (may be NULL) is sent first for a ROUTER.
//  Never blocks (ZMQ_DONTWAIT): a ROUTER with ROUTER_MANDATORY fails with
//  EHOSTUNREACH for a gone peer, any socket with EAGAIN when its queue is
//  full. Returns 0 or -1 (errno from libzmq).

int
wrp_msg_send (const wrp_msg_t *self, zsock_t *sock, zframe_t *routing_id)
{
    assert (self);
    assert (sock);
    void *handle = zsock_resolve (sock);
    //  libzmq accepts the rest of a multipart message once it accepted the
    //  first frame, so a failure can only happen on the first send.
    if (routing_id &&
        zmq_send (handle, zframe_data (routing_id), zframe_size (routing_id),
                  ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1)
        return -1;
    const char *head[3] = {WRP_PROTO_SIGNATURE, s_cmd_names[self->cmd], self->id};
    for (size_t i = 0; i < 3; i++) {
        int more = (i < 2 || self->count) ? ZMQ_SNDMORE : 0;
        if (zmq_send (handle, head[i], strlen (head[i]), more | ZMQ_DONTWAIT) == -1)
            return -1;
    }
    for (size_t i = 0; i < self->count; i++) {
        const s_field_t *field = &self->fields[i];
        int more = i + 1 < self->count ? ZMQ_SNDMORE : 0;
        if (zmq_send (handle, field->key, strlen (field->key),
                      ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1 ||
            s_send_value (handle, field, more | ZMQ_DONTWAIT) != 0)
            return -1;
    }
    return 0;
}

//  Reads one whole multipart message into a zmsg_t, keeping at most
//  WRP_MSG_MAX_FRAMES+1 frames (the routing id) and WRP_MSG_MAX_TOTAL+1 bytes of content
//  (the rest is read and dropped, so the next message starts clean).
//  Returns 0 and sets *ret_frames and *ret_over (limits broken), or -1
//  when interrupted.
static int
s_recv_frames (zsock_t *sock, zmsg_t **ret_frames, bool *ret_over)
{
    void *handle = zsock_resolve (sock);
    zmsg_t *frames = zmsg_new ();
    size_t total = 0;
    bool over = false;
    while (true) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, handle, 0) == -1) {
            //  Interrupted or timed out. libzmq delivers multipart messages
            //  whole, so inside one this only happens when the context ends.
            zmq_msg_close (&part);
            zmsg_destroy (&frames);
            return -1;
        }
        size_t size = zmq_msg_size (&part);
        total += size;
        if (!over && (zmsg_size (frames) > WRP_MSG_MAX_FRAMES ||
                      total > (size_t) WRP_MSG_MAX_TOTAL + 1 + 255))
            over = true;
        if (!over)
            zmsg_addmem (frames, zmq_msg_data (&part), size);
        bool more = zmq_msg_more (&part);
        zmq_msg_close (&part);
        if (!more)
            break;
    }
    *ret_frames = frames;
    *ret_over = over;
    return 0;
}

//  ---------------------------------------------------------------------------
//  Receive one request: as wrp_msg_recv, and when a message is malformed but
//  carries a usable id, *ret_reject (if not NULL) is set to the ERROR reply
//  for it (see wrp_msg_reject), to be sent back to *ret_routing_id. Caller
//  owns both.

int
wrp_msg_recv_request (zsock_t *sock, wrp_msg_t **ret_msg, zframe_t **ret_routing_id,
                      wrp_msg_t **ret_reject, char *err, size_t err_size)
{
    assert (sock);
    assert (ret_msg);
    if (err && err_size)
        err[0] = 0;
    zmsg_t *frames;
    bool over;
    if (s_recv_frames (sock, &frames, &over))
        return -1;
    zframe_t *routing_id = NULL;
    if (ret_routing_id) {
        routing_id = zmsg_pop (frames);
        if (!routing_id) {
            zmsg_destroy (&frames);
            return s_fail (err, err_size, "empty message (no routing id)");
        }
    }
    int rc;
    wrp_msg_t *msg = NULL;
    if (over)
        rc = s_fail (err, err_size, "message exceeds the limits (%d fields, %u bytes)",
                     WRP_MSG_MAX_FIELDS, WRP_MSG_MAX_TOTAL);
    else
        rc = wrp_msg_decode (frames, &msg, err, err_size);
    if (rc == 0) {
        *ret_msg = msg;
        if (ret_routing_id)
            *ret_routing_id = routing_id;
    } else {
        wrp_msg_t *reject = ret_reject ? wrp_msg_reject (frames, err) : NULL;
        if (reject && ret_routing_id) {
            *ret_reject = reject;
            *ret_routing_id = routing_id;
        } else if (reject && !ret_routing_id)
            *ret_reject = reject;
        else
            zframe_destroy (&routing_id);
    }
    zmsg_destroy (&frames);
    return rc;
}

//  ---------------------------------------------------------------------------
//  Receive one message. Returns 0 and *ret_msg, or -1: interrupted (err "")
//  or malformed (err says why; the frames were read and dropped).

int
wrp_msg_recv (zsock_t *sock, wrp_msg_t **ret_msg, zframe_t **ret_routing_id, char *err,
              size_t err_size)
{
    return wrp_msg_recv_request (sock, ret_msg, ret_routing_id, NULL, err, err_size);
}

//  ---------------------------------------------------------------------------
//  A fresh random id (32 hex chars) into buf (at least 33 bytes).

void
wrp_msg_new_id (char *buf)
{
    uint8_t bytes[16];
    size_t got = 0;
    while (got < sizeof bytes) {
        ssize_t n = getrandom (bytes + got, sizeof bytes - got, 0);
        if (n > 0)
            got += (size_t) n;
        else if (errno != EINTR)
            break;
    }
    if (got < sizeof bytes) {
        //  No getrandom (old kernel, seccomp): ids need to be unique, not
        //  secret, so time, pid and a counter will do.
        static uint64_t counter;
        struct timespec now;
        clock_gettime (CLOCK_REALTIME, &now);
        uint64_t mix[2] = {(uint64_t) now.tv_sec * 1000000000u + (uint64_t) now.tv_nsec,
                           ((uint64_t) getpid () << 32) ^ ++counter};
        memcpy (bytes, mix, sizeof bytes);
    }
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf (buf + 2 * i, 3, "%02x", bytes[i]);
}

//  ---------------------------------------------------------------------------
//  Self-test

static zmsg_t *
s_frames (const char *first, ...)
{
    zmsg_t *frames = zmsg_new ();
    va_list args;
    va_start (args, first);
    for (const char *text = first; text; text = va_arg (args, const char *))
        zmsg_addstr (frames, text);
    va_end (args);
    return frames;
}

static bool
s_decode_fails (zmsg_t *frames, const char *needle, bool verbose)
{
    wrp_msg_t *msg = NULL;
    char err[256] = "";
    int rc = wrp_msg_decode (frames, &msg, err, sizeof err);
    if (verbose)
        printf ("    decode: %s\n", rc ? err : "ok");
    zmsg_destroy (&frames);
    bool ok = rc == -1 && msg == NULL && strstr (err, needle) && !strchr (err, '\n');
    wrp_msg_destroy (&msg);
    return ok;
}

//  Values shared by copies and sent by reference: two STARTs share one
//  large hostfile, both go over TCP (libzmq drops its references in its
//  I/O thread), and the messages are destroyed before (first pair: the
//  original first) or after (second pair: the copy first) the peer reads.
static void
s_test_shared (bool verbose)
{
    if (verbose)
        printf ("   shared values\n");
    size_t hosts_size = 16 * 1024;
    char *hosts = malloc (hosts_size + 1);
    assert (hosts);
    for (size_t i = 0; i < hosts_size; i++)
        hosts[i] = i % 16 == 15 ? '\n' : (char) ('a' + i % 13);
    hosts[hosts_size] = 0;
    zsock_t *router = zsock_new_router ("tcp://127.0.0.1:*");
    assert (router);
    const char *endpoint = zsock_endpoint (router);
    zsock_t *dealer = zsock_new_dealer (endpoint);
    assert (dealer);
    zsock_set_rcvtimeo (router, 5000);
    char err[256];
    for (int round = 0; round < 2; round++) {
        wrp_msg_t *first = wrp_msg_new (WRP_CMD_START, "shared-1");
        assert (first && wrp_msg_set (first, WRP_F_CONFIG, "", 0) == 0);
        assert (wrp_msg_set_str (first, WRP_F_HOSTFILE, hosts) == 0);
        wrp_msg_t *second = wrp_msg_dup (first);
        assert (second);
        //  A config of its own for each; the hostfile is one value
        assert (wrp_msg_set_str (first, WRP_F_CONFIG, "config: one") == 0);
        assert (wrp_msg_set_str (second, WRP_F_CONFIG, "config: two") == 0);
        assert (wrp_msg_str (first, WRP_F_HOSTFILE) ==
                wrp_msg_str (second, WRP_F_HOSTFILE));
        assert (streq (wrp_msg_str (first, WRP_F_CONFIG), "config: one"));
        assert (streq (wrp_msg_str (second, WRP_F_CONFIG), "config: two"));
        assert (wrp_msg_send (first, dealer, NULL) == 0);
        assert (wrp_msg_send (second, dealer, NULL) == 0);
        assert (wrp_msg_send (first, dealer, NULL) == 0);    //  a message sent twice
        if (round == 0) {
            //  Gone before the peer reads: libzmq's references keep the value
            wrp_msg_destroy (&first);
            wrp_msg_destroy (&second);
        }
        const char *configs[] = {"config: one", "config: two", "config: one"};
        for (int m = 0; m < 3; m++) {
            wrp_msg_t *got = NULL;
            zframe_t *peer = NULL;
            assert (wrp_msg_recv (router, &got, &peer, err, sizeof err) == 0);
            assert (streq (wrp_msg_id (got), "shared-1"));
            assert (streq (wrp_msg_str (got, WRP_F_CONFIG), configs[m]));
            assert (streq (wrp_msg_str (got, WRP_F_HOSTFILE), hosts));
            wrp_msg_destroy (&got);
            zframe_destroy (&peer);
        }
        if (round == 1) {
            //  Replacing the shared value in one leaves the other's alone
            assert (wrp_msg_set_str (second, WRP_F_HOSTFILE, "node1\n") == 0);
            assert (streq (wrp_msg_str (first, WRP_F_HOSTFILE), hosts));
            wrp_msg_destroy (&second);
            assert (streq (wrp_msg_str (first, WRP_F_HOSTFILE), hosts));
            wrp_msg_destroy (&first);
        }
    }
    zsock_destroy (&dealer);
    zsock_destroy (&router);
    free (hosts);
}

void
wrp_msg_test (bool verbose)
{
    if (verbose)
        printf (" * wrp_msg:\n");

    //  Commands and names
    for (int cmd = WRP_CMD_STATUS; cmd <= WRP_CMD_ERROR; cmd++)
        assert ((int) wrp_msg_cmd_from_name (wrp_msg_cmd_name ((wrp_cmd_t) cmd)) == cmd);
    assert (wrp_msg_cmd_from_name ("start") == WRP_CMD_INVALID);
    assert (wrp_msg_cmd_from_name ("INVALID") == WRP_CMD_INVALID);
    assert (wrp_msg_cmd_from_name (NULL) == WRP_CMD_INVALID);
    assert (streq (wrp_msg_cmd_name ((wrp_cmd_t) 99), "INVALID"));
    assert (wrp_msg_new (WRP_CMD_INVALID, "x") == NULL);
    assert (wrp_msg_new ((wrp_cmd_t) 99, "x") == NULL);

    //  Ids
    char id[33], id2[33];
    wrp_msg_new_id (id);
    wrp_msg_new_id (id2);
    assert (strlen (id) == 32 && strspn (id, "0123456789abcdef") == 32);
    assert (strcmp (id, id2));
    char long_id[WRP_MSG_MAX_ID + 2];
    memset (long_id, 'a', sizeof long_id - 1);
    long_id[WRP_MSG_MAX_ID + 1] = 0;
    assert (wrp_msg_new (WRP_CMD_STATUS, long_id) == NULL);
    long_id[WRP_MSG_MAX_ID] = 0;
    wrp_msg_t *msg = wrp_msg_new (WRP_CMD_STATUS, long_id);
    assert (msg && strlen (wrp_msg_id (msg)) == WRP_MSG_MAX_ID);
    wrp_msg_destroy (&msg);
    assert (msg == NULL);
    wrp_msg_destroy (&msg);
    wrp_msg_destroy (NULL);
    assert (wrp_msg_new (WRP_CMD_STATUS, "") == NULL);
    assert (wrp_msg_new (WRP_CMD_STATUS, "a b") == NULL);
    assert (wrp_msg_new (WRP_CMD_STATUS, "a/b") == NULL);
    msg = wrp_msg_new (WRP_CMD_STATUS, "host01:42.a_b-c");
    assert (msg && streq (wrp_msg_id (msg), "host01:42.a_b-c"));
    wrp_msg_destroy (&msg);
    msg = wrp_msg_new (WRP_CMD_STATUS, NULL);
    assert (msg && strlen (wrp_msg_id (msg)) == 32);
    wrp_msg_destroy (&msg);

    //  Fields: set, replace, get, types
    msg = wrp_msg_new (WRP_CMD_START, "req-1");
    assert (msg && wrp_msg_cmd (msg) == WRP_CMD_START);
    assert (wrp_msg_set_str (msg, WRP_F_PIPELINE, "basic") == 0);
    assert (wrp_msg_set_int (msg, WRP_F_GENERATION, 3) == 0);
    assert (wrp_msg_set_str (msg, WRP_F_CONFIG, "workers:\n  x: 1\n") == 0);
    assert (wrp_msg_set (msg, "blob", "a\0b", 3) == 0);
    assert (wrp_msg_set (msg, "empty", NULL, 0) == 0);
    assert (wrp_msg_set_str (msg, "env.PATH", "/usr/bin") == 0);
    assert (wrp_msg_set_double (msg, "rtt", 0.4) == 0);
    assert (streq (wrp_msg_str (msg, "rtt"), "0.4"));
    assert (wrp_msg_set_double (msg, "big", 1e300) == 0);
    assert (wrp_msg_set_double (msg, "nan", NAN) == -1);
    assert (wrp_msg_set_double (msg, "inf", INFINITY) == -1);
    double real;
    assert (wrp_msg_double (msg, "rtt", &real) == 0 && real == 0.4);
    assert (wrp_msg_double (msg, "big", &real) == 0 && real == 1e300);
    assert (wrp_msg_double (msg, WRP_F_PIPELINE, &real) == -1);
    assert (wrp_msg_field_count (msg) == 8);
    assert (wrp_msg_set_str (msg, WRP_F_PIPELINE, "tuned") == 0);    //  replaces in place
    assert (wrp_msg_field_count (msg) == 8);
    assert (streq (wrp_msg_field_key (msg, 0), "pipeline"));
    assert (streq (wrp_msg_str (msg, WRP_F_PIPELINE), "tuned"));
    assert (wrp_msg_str (msg, "blob") == NULL);    //  holds a NUL
    const void *data;
    size_t size;
    assert (wrp_msg_get (msg, "blob", &data, &size) == 0 && size == 3 &&
            memcmp (data, "a\0b", 3) == 0);
    assert (wrp_msg_get (msg, "absent", &data, &size) == -1);
    assert (wrp_msg_str (msg, "empty") && streq (wrp_msg_str (msg, "empty"), ""));
    assert (wrp_msg_has (msg, "env.PATH") && !wrp_msg_has (msg, "env"));
    assert (wrp_msg_field_key (msg, 99) == NULL &&
            wrp_msg_field_value (msg, 99, &size) == NULL);
    assert (wrp_msg_unset (msg, "blob") == 0 && wrp_msg_unset (msg, "blob") == -1);
    assert (wrp_msg_field_count (msg) == 7 &&
            streq (wrp_msg_field_key (msg, 3), "empty"));
    //  Bad keys and values
    assert (wrp_msg_set_str (msg, "", "x") == -1);
    assert (wrp_msg_set_str (msg, "a b", "x") == -1);
    assert (wrp_msg_set_str (msg, "a:b", "x") == -1);
    assert (wrp_msg_set_str (msg, NULL, "x") == -1);
    assert (wrp_msg_set_str (msg, "x", NULL) == -1);
    char long_key[WRP_MSG_MAX_KEY + 2];
    memset (long_key, 'k', sizeof long_key - 1);
    long_key[WRP_MSG_MAX_KEY + 1] = 0;
    assert (wrp_msg_set_str (msg, long_key, "x") == -1);
    long_key[WRP_MSG_MAX_KEY] = 0;
    assert (wrp_msg_set_str (msg, long_key, "x") == 0);

    //  Integers: strictly [-]digits within int64
    int64_t number;
    assert (wrp_msg_int (msg, WRP_F_GENERATION, &number) == 0 && number == 3);
    const char *good[][2] = {{"0", "0"},
                             {"-0", "0"},
                             {"9223372036854775807", "max"},
                             {"-9223372036854775808", "min"},
                             {"007", "7"}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert (wrp_msg_set_str (msg, "n", good[i][0]) == 0);
        assert (wrp_msg_int (msg, "n", &number) == 0);
    }
    assert (wrp_msg_set_int (msg, "n", INT64_MIN) == 0);
    assert (wrp_msg_int (msg, "n", &number) == 0 && number == INT64_MIN);
    const char *bad[] = {"",
                         "-",
                         "+1",
                         " 1",
                         "1 ",
                         "0x10",
                         "1.0",
                         "9223372036854775808",
                         "-9223372036854775809",
                         "99999999999999999999",
                         "1e3",
                         "--1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert (wrp_msg_set_str (msg, "n", bad[i]) == 0);
        number = 42;
        assert (wrp_msg_int (msg, "n", &number) == -1 && number == 42);
    }
    assert (wrp_msg_int (msg, "absent", &number) == -1);

    //  Encode / decode round trip, and dup
    zmsg_t *frames = wrp_msg_encode (msg);
    assert (frames && zmsg_size (frames) == 3 + 2 * wrp_msg_field_count (msg));
    assert (zframe_streq (zmsg_first (frames), "WRP/1"));
    assert (zframe_streq (zmsg_next (frames), "START"));
    assert (zframe_streq (zmsg_next (frames), "req-1"));
    wrp_msg_t *copy = NULL;
    char err[256];
    assert (wrp_msg_decode (frames, &copy, err, sizeof err) == 0);
    assert (zmsg_size (frames) == 3 + 2 * wrp_msg_field_count (msg));    //  not consumed
    zmsg_destroy (&frames);
    wrp_msg_t *dup = wrp_msg_dup (msg);
    wrp_msg_t *pair[2] = {copy, dup};
    for (int p = 0; p < 2; p++) {
        wrp_msg_t *other = pair[p];
        assert (wrp_msg_cmd (other) == WRP_CMD_START &&
                streq (wrp_msg_id (other), "req-1"));
        assert (wrp_msg_field_count (other) == wrp_msg_field_count (msg));
        for (size_t i = 0; i < wrp_msg_field_count (msg); i++) {
            size_t size_a, size_b;
            const void *a = wrp_msg_field_value (msg, i, &size_a);
            const void *b = wrp_msg_field_value (other, i, &size_b);
            assert (streq (wrp_msg_field_key (msg, i), wrp_msg_field_key (other, i)));
            assert (size_a == size_b && memcmp (a, b, size_a) == 0);
        }
    }
    wrp_msg_destroy (&copy);
    wrp_msg_destroy (&dup);
    wrp_msg_destroy (&msg);

    //  Limits on building: value size, field count, total size
    msg = wrp_msg_new (WRP_CMD_OK, "big");
    uint8_t *large = calloc (1, WRP_MSG_MAX_VALUE + 1);
    assert (large);
    assert (wrp_msg_set (msg, "v1", large, WRP_MSG_MAX_VALUE + 1) == -1);
    assert (wrp_msg_set (msg, "v1", large, WRP_MSG_MAX_VALUE) == 0);
    //  A second full value would pass WRP_MSG_MAX_TOTAL with the header.
    assert (wrp_msg_set (msg, "v2", large, WRP_MSG_MAX_VALUE) == -1);
    assert (wrp_msg_set (msg, "v2", large, WRP_MSG_MAX_VALUE - 64) == 0);
    //  Replacing a field counts only the new size
    assert (wrp_msg_set (msg, "v1", large, WRP_MSG_MAX_VALUE) == 0);
    frames = wrp_msg_encode (msg);
    assert (zmsg_content_size (frames) <= WRP_MSG_MAX_TOTAL);
    assert (wrp_msg_decode (frames, &copy, err, sizeof err) == 0);
    wrp_msg_destroy (&copy);
    //  ...and decoding one frame too large fails, naming the limit
    zframe_t *last = zmsg_last (frames);
    zmsg_remove (frames, last);
    zframe_destroy (&last);
    zmsg_addmem (frames, large, WRP_MSG_MAX_VALUE + 1);
    assert (s_decode_fails (frames, "limit", verbose));
    wrp_msg_destroy (&msg);
    free (large);

    msg = wrp_msg_new (WRP_CMD_OK, "many");
    char key[32];
    for (int i = 0; i < WRP_MSG_MAX_FIELDS; i++) {
        snprintf (key, sizeof key, "k%d", i);
        assert (wrp_msg_set_int (msg, key, i) == 0);
    }
    assert (wrp_msg_set_int (msg, "one_more", 1) == -1);
    assert (wrp_msg_set_int (msg, "k7", 70) == 0);    //  replacing is fine
    frames = wrp_msg_encode (msg);
    assert (wrp_msg_decode (frames, &copy, err, sizeof err) == 0);
    assert (wrp_msg_int (copy, "k7", &number) == 0 && number == 70);
    wrp_msg_destroy (&copy);
    zmsg_addstr (frames, "one_more");
    zmsg_addstr (frames, "1");
    assert (s_decode_fails (frames, "fields", verbose));
    wrp_msg_destroy (&msg);

    //  Malformed frames: every one an error with a reason, none a crash
    assert (s_decode_fails (zmsg_new (), "signature", verbose));
    assert (
        s_decode_fails (s_frames ("WRP/2", "STATUS", "x", NULL), "version 2", verbose));
    assert (s_decode_fails (s_frames ("WRP/2", NULL), "version 2", verbose));
    assert (
        s_decode_fails (s_frames ("WRP/10", "STATUS", "x", NULL), "version 10", verbose));
    assert (s_decode_fails (s_frames ("WRP/", "STATUS", "x", NULL), "not a wrp message",
                            verbose));
    assert (
        s_decode_fails (s_frames ("WRP/1x", "STATUS", "x", NULL), "not a wrp", verbose));
    assert (s_decode_fails (s_frames ("HTTP/1.1", "STATUS", "x", NULL), "not a wrp",
                            verbose));
    assert (s_decode_fails (s_frames (WRP_PROTO_SIGNATURE, NULL), "3 needed", verbose));
    assert (s_decode_fails (s_frames (WRP_PROTO_SIGNATURE, "STATUS", NULL), "3 needed",
                            verbose));
    assert (s_decode_fails (s_frames (WRP_PROTO_SIGNATURE, "RESTART", "x", NULL),
                            "unknown command", verbose));
    assert (s_decode_fails (s_frames (WRP_PROTO_SIGNATURE, "INVALID", "x", NULL),
                            "unknown command", verbose));
    assert (s_decode_fails (s_frames (WRP_PROTO_SIGNATURE, "status", "x", NULL),
                            "unknown command", verbose));
    assert (s_decode_fails (s_frames (WRP_PROTO_SIGNATURE, "STATUS", "", NULL),
                            "invalid id", verbose));
    assert (s_decode_fails (s_frames (WRP_PROTO_SIGNATURE, "STATUS", "a b", NULL),
                            "invalid id", verbose));
    //  A 64-char id is valid, so the error is about the lone key
    assert (s_decode_fails (s_frames (WRP_PROTO_SIGNATURE, "STATUS", long_id, "k", NULL),
                            "without a value", verbose));
    assert (s_decode_fails (s_frames (WRP_PROTO_SIGNATURE, "STATUS", "x", "k", NULL),
                            "without a value", verbose));
    assert (s_decode_fails (s_frames (WRP_PROTO_SIGNATURE, "STATUS", "x", "", "v", NULL),
                            "invalid field key", verbose));
    assert (
        s_decode_fails (s_frames (WRP_PROTO_SIGNATURE, "STATUS", "x", "a=b", "v", NULL),
                        "frame 3", verbose));
    assert (s_decode_fails (
        s_frames (WRP_PROTO_SIGNATURE, "STATUS", "x", "k", "1", "j", "2", "k", "3", NULL),
        "'k' appears twice", verbose));
    //  Binary garbage is shown escaped on one line
    frames = zmsg_new ();
    zmsg_addmem (frames, "\x00\xff\n'", 4);
    zmsg_addstr (frames, "STATUS");
    zmsg_addstr (frames, "x");
    assert (s_decode_fails (frames, "\\x00\\xff\\x0a\\x27", verbose));
    frames = zmsg_new ();
    zmsg_addstr (frames, WRP_PROTO_SIGNATURE);
    zmsg_addmem (frames, "STATUS\0", 7);
    zmsg_addstr (frames, "x");
    assert (s_decode_fails (frames, "unknown command 'STATUS\\x00'", verbose));
    assert (wrp_msg_decode (NULL, &msg, err, sizeof err) == -1);
    assert (wrp_msg_decode (NULL, &msg, NULL, 0) == -1);

    //  Rejects: an ERROR reply only when there is an id to answer
    frames = s_frames ("WRP/2", "START", "r1", "newfield", "x", NULL);
    assert (wrp_msg_decode (frames, &msg, err, sizeof err) == -1);
    wrp_msg_t *reject = wrp_msg_reject (frames, err);
    assert (reject && wrp_msg_cmd (reject) == WRP_CMD_ERROR &&
            streq (wrp_msg_id (reject), "r1"));
    assert (streq (wrp_msg_str (reject, WRP_F_CODE), WRP_ERR_VERSION));
    assert (strstr (wrp_msg_str (reject, WRP_F_TEXT), "version 2"));
    assert (wrp_msg_int (reject, WRP_F_VERSION, &number) == 0 &&
            number == WRP_PROTO_VERSION);
    wrp_msg_destroy (&reject);
    zmsg_destroy (&frames);
    frames = s_frames (WRP_PROTO_SIGNATURE, "RESTART", "r2", NULL);
    reject = wrp_msg_reject (frames, "frame 1: unknown command 'RESTART'");
    assert (reject && streq (wrp_msg_str (reject, WRP_F_CODE), WRP_ERR_BAD_REQUEST));
    wrp_msg_destroy (&reject);
    zmsg_destroy (&frames);
    frames =
        s_frames (WRP_PROTO_SIGNATURE, "OK", "r3", "k", NULL);    //  never answer a reply
    assert (wrp_msg_reject (frames, "x") == NULL);
    zmsg_destroy (&frames);
    frames = s_frames ("GET / HTTP/1.1", "START", "r4", NULL);    //  not our protocol
    assert (wrp_msg_reject (frames, "x") == NULL);
    zmsg_destroy (&frames);
    frames = s_frames (WRP_PROTO_SIGNATURE, "START", "bad id", NULL);
    assert (wrp_msg_reject (frames, "x") == NULL);
    zmsg_destroy (&frames);
    assert (wrp_msg_reject (NULL, "x") == NULL);

    //  Over sockets: DEALER -> ROUTER with routing ids, both ways
    zsock_t *router = zsock_new_router ("inproc://wrp_msg_test");
    zsock_t *dealer = zsock_new_dealer ("inproc://wrp_msg_test");
    assert (router && dealer);
    zsock_set_rcvtimeo (router, 2000);
    zsock_set_rcvtimeo (dealer, 2000);
    msg = wrp_msg_new (WRP_CMD_STATUS, "s1");
    assert (wrp_msg_send (msg, dealer, NULL) == 0);    //  no fields: last frame is id
    wrp_msg_destroy (&msg);
    zframe_t *peer = NULL;
    assert (wrp_msg_recv (router, &msg, &peer, err, sizeof err) == 0);
    assert (peer && wrp_msg_cmd (msg) == WRP_CMD_STATUS &&
            streq (wrp_msg_id (msg), "s1"));
    wrp_msg_t *reply = wrp_msg_new (WRP_CMD_OK, wrp_msg_id (msg));
    wrp_msg_set_str (reply, WRP_F_STATE, WRP_STATE_RUNNING);
    wrp_msg_set (reply, "empty", "", 0);    //  empty last frame
    assert (wrp_msg_send (reply, router, peer) == 0);
    wrp_msg_destroy (&reply);
    wrp_msg_destroy (&msg);
    assert (wrp_msg_recv (dealer, &msg, NULL, err, sizeof err) == 0);
    assert (wrp_msg_cmd (msg) == WRP_CMD_OK &&
            streq (wrp_msg_str (msg, WRP_F_STATE), WRP_STATE_RUNNING));
    assert (wrp_msg_has (msg, "empty"));
    wrp_msg_destroy (&msg);
    zframe_destroy (&peer);

    //  A malformed message is read whole and dropped; the next one is fine
    zstr_sendx (dealer, "WRP/2", "START", "v2-id", "k", "v", NULL);
    msg = wrp_msg_new (WRP_CMD_STATUS, "after");
    assert (wrp_msg_send (msg, dealer, NULL) == 0);
    wrp_msg_destroy (&msg);
    reject = NULL;
    assert (wrp_msg_recv_request (router, &msg, &peer, &reject, err, sizeof err) == -1);
    assert (msg == NULL && strstr (err, "version 2") && reject && peer);
    assert (streq (wrp_msg_id (reject), "v2-id"));
    assert (wrp_msg_send (reject, router, peer) == 0);
    wrp_msg_destroy (&reject);
    zframe_destroy (&peer);
    assert (wrp_msg_recv (dealer, &msg, NULL, err, sizeof err) == 0);
    assert (wrp_msg_cmd (msg) == WRP_CMD_ERROR &&
            streq (wrp_msg_str (msg, WRP_F_CODE), WRP_ERR_VERSION));
    wrp_msg_destroy (&msg);
    assert (wrp_msg_recv (router, &msg, &peer, err, sizeof err) == 0);
    assert (streq (wrp_msg_id (msg), "after"));
    wrp_msg_destroy (&msg);
    zframe_destroy (&peer);
    //  Garbage with no usable id: dropped, no reject, routing id not leaked
    zstr_sendx (dealer, "garbage", NULL);
    reject = NULL;
    assert (wrp_msg_recv_request (router, &msg, &peer, &reject, err, sizeof err) == -1);
    assert (reject == NULL && peer == NULL && strstr (err, "not a wrp message"));
    //  Too many frames are read and dropped, not kept
    zmsg_t *flood = zmsg_new ();
    zmsg_addstr (flood, WRP_PROTO_SIGNATURE);
    zmsg_addstr (flood, "STATUS");
    zmsg_addstr (flood, "flood");
    for (int i = 0; i < WRP_MSG_MAX_FIELDS * 2 + 10; i++)
        zmsg_addstr (flood, "x");
    zmsg_send (&flood, dealer);
    assert (wrp_msg_recv (router, &msg, &peer, err, sizeof err) == -1);
    assert (strstr (err, "limits"));
    //  Timeout counts as interrupted: -1 and an empty err
    zsock_set_rcvtimeo (router, 10);
    strcpy (err, "x");
    assert (wrp_msg_recv (router, &msg, &peer, err, sizeof err) == -1 && err[0] == 0);
    //  Sending on a ROUTER to a gone peer fails under ROUTER_MANDATORY
    zsock_set_router_mandatory (router, 1);
    zframe_t *gone = zframe_new ("nobody", 6);
    msg = wrp_msg_new (WRP_CMD_OK, "x");
    assert (wrp_msg_send (msg, router, gone) == -1 && errno == EHOSTUNREACH);
    wrp_msg_destroy (&msg);
    zframe_destroy (&gone);
    zsock_destroy (&dealer);
    zsock_destroy (&router);

    s_test_shared (verbose);

    //  To bytes and back (the agent's reply record)
    msg = wrp_msg_new (WRP_CMD_ERROR, "rec-1");
    wrp_msg_set_str (msg, WRP_F_CODE, WRP_ERR_FAILED);
    wrp_msg_set (msg, WRP_F_OUTPUT, "a\nb\0c", 5);
    char big[300];
    memset (big, 'b', sizeof big);
    wrp_msg_set (msg, WRP_F_CONFIG, big, sizeof big);
    uint8_t *bytes = NULL;
    size_t bytes_size = 0;
    assert (wrp_msg_to_bytes (msg, &bytes, &bytes_size) == 0 && bytes_size > sizeof big);
    wrp_msg_t *back = NULL;
    assert (wrp_msg_from_bytes (bytes, bytes_size, &back, err, sizeof err) == 0);
    assert (wrp_msg_cmd (back) == WRP_CMD_ERROR && streq (wrp_msg_id (back), "rec-1") &&
            streq (wrp_msg_str (back, WRP_F_CODE), WRP_ERR_FAILED) &&
            wrp_msg_get (back, WRP_F_OUTPUT, &data, &size) == 0 && size == 5 &&
            wrp_msg_get (back, WRP_F_CONFIG, &data, &size) == 0 && size == sizeof big);
    wrp_msg_destroy (&back);
    //  A truncation is refused, or (cut between fields) gives fewer fields
    for (size_t cut = 0; cut < bytes_size; cut++) {
        back = NULL;
        if (wrp_msg_from_bytes (bytes, cut, &back, err, sizeof err) == 0) {
            assert (wrp_msg_field_count (back) < wrp_msg_field_count (msg));
            wrp_msg_destroy (&back);
        } else
            assert (!back);
    }
    assert (wrp_msg_from_bytes ("\x05WRP/2\x02OK\x01x", 11, &back, err, sizeof err) ==
            -1);
    assert (strstr (err, "version 2"));
    assert (wrp_msg_from_bytes (NULL, (size_t) WRP_MSG_MAX_TOTAL * 2, &back, err,
                                sizeof err) == -1);
    free (bytes);
    wrp_msg_destroy (&msg);

    if (verbose)
        printf ("   OK\n");
}
