/*  Fuzz what the agent does with a message, without side effects: the
    codec's decode, and on failure its reject (the agent's ERROR reply),
    else the decision (wrp_agent_decide: validate, decide). The input is split into
   frames: each frame is a 2-byte big-endian length and that many bytes (a short tail is
   the last frame). The first byte of the input picks the view: no command in progress, or
   a STOP "p1" in progress; a recorded reply exists for id "r1". */

#include "wrp_agent.h"

#include <stdint.h>
#include <string.h>

static wrp_msg_t *s_recorded = NULL;

static const wrp_msg_t *
s_lookup (void *arg, const char *id)
{
    (void) arg;
    return s_recorded && !strcmp (id, wrp_msg_id (s_recorded)) ? s_recorded : NULL;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (!s_recorded)
        s_recorded = wrp_msg_new (WRP_CMD_OK, "r1");
    wrp_agent_view_t view = {
        .pending_cmd = (data[0] & 1) ? WRP_CMD_STOP : WRP_CMD_INVALID,
        .pending_id = "p1",
        .lookup = s_lookup,
    };
    zmsg_t *frames = zmsg_new ();
    size_t at = 1;
    while (at < size && zmsg_size (frames) < 2000) {
        size_t len = size - at;
        if (size - at >= 2) {
            size_t want = (size_t) data[at] << 8 | data[at + 1];
            at += 2;
            len = want < size - at ? want : size - at;
        } else
            at = size - len;
        zmsg_addmem (frames, data + at, len);
        at += len;
    }
    wrp_msg_t *msg = NULL;
    char err[256];
    if (wrp_msg_decode (frames, &msg, err, sizeof err) == 0) {
        wrp_agent_decision_t decision;
        wrp_agent_decide (&view, msg, &decision);
        wrp_msg_destroy (&decision.msg);
    } else {
        wrp_msg_t *reject = wrp_msg_reject (frames, err);
        wrp_msg_destroy (&reject);
    }
    zmsg_destroy (&frames);
    return 0;
}
