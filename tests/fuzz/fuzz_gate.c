/*  libFuzzer harness for the gate's ZMTP framing scanner (wrp_gate_scan).

    The input is what a peer sends on an insecure agent's port. Scanned in
    one piece or split at every byte, the outcome is the same; while the
    peer is kept, its unfinished message stays within the bounds and the
    pending count is exactly that message's bytes.                           */

#include "wrp_gate.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    wrp_gate_scan_t whole, split;
    uint64_t whole_pending = 0, split_pending = 0;
    const char *why = NULL;
    wrp_gate_scan_init (&whole);
    int rc = wrp_gate_scan (&whole, data, size, &whole_pending, &why);
    assert (rc == 0 || (rc == -1 && why));
    wrp_gate_scan_init (&split);
    int split_rc = 0;
    for (size_t i = 0; i < size && split_rc == 0; i++) {
        split_rc = wrp_gate_scan (&split, data + i, 1, &split_pending, &why);
        assert (split.frames <= WRP_GATE_MAX_FRAMES && split.bytes <= WRP_GATE_MAX_BYTES);
        assert (split_pending == split.bytes);
    }
    assert (split_rc == rc);
    if (rc == 0)
        assert (whole.frames == split.frames && whole.bytes == split.bytes &&
                whole_pending == split_pending);
    return 0;
}
