/*  wrp_transport — the sockets of the control channel, set up one way.

    Owns the security context of one process: its own CURVE certificate, and
    for a server the zauth actor with the authorized-keys directory. Makes
    the agent's ROUTER (bound) and the controller's DEALERs (one per agent,
    connected), with the libzmq options that matter at scale set on purpose:
    backlog, ROUTER_MANDATORY, ROUTER_HANDOVER, reconnect back-off, ZMTP
    heartbeats, TCP_MAXRT, linger, message size limit.

    Plain TCP only when insecure is set; a caller asking for neither keys nor
    insecure gets an error telling how to make keys.                          */

#ifndef WRP_TRANSPORT_H_INCLUDED
#define WRP_TRANSPORT_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>

//  Default key locations (documented in docs/SECURITY.md).
#define WRP_AGENT_KEY_DEFAULT        "/etc/wrp/agent.key"        //  + "_secret"
#define WRP_AUTHORIZED_KEYS_DEFAULT  "/etc/wrp/authorized_keys"  //  directory
#define WRP_CONTROLLER_KEY_DEFAULT   "~/.wrp/controller.key"     //  + "_secret"
#define WRP_AGENT_PUBKEY_DEFAULT     "/etc/wrp/agent.key"        //  public part

typedef struct {
    bool insecure;               //  plain TCP, no CURVE
    const char *key_file;        //  own certificate: FILE (public) + FILE_secret
    const char *authorized_dir;  //  server: directory of client public certs
} wrp_security_t;

typedef struct _wrp_transport_t wrp_transport_t;

//  Load the keys (and for a server start zauth). Returns NULL and a message
//  (caller frees) naming the file and what is wrong.
wrp_transport_t *wrp_transport_new (const wrp_security_t *security, bool server,
                                    char **ret_err);
void wrp_transport_destroy (wrp_transport_t **self_p);

bool wrp_transport_insecure (wrp_transport_t *self);

//  Agent side: a ROUTER bound to endpoint. Returns NULL and a message.
zsock_t *wrp_transport_listen (wrp_transport_t *self, const char *endpoint,
                               char **ret_err);

//  Controller side: a DEALER connected to endpoint. agent_key_file is the
//  agent's public certificate (ignored when insecure). Returns NULL and a
//  message.
zsock_t *wrp_transport_connect (wrp_transport_t *self, const char *endpoint,
                                const char *agent_key_file, char **ret_err);

//  Write a new key pair: FILE (public) and FILE_secret (mode 0600).
int wrp_transport_keygen (const char *file, char **ret_err);

void wrp_transport_test (bool verbose);

#endif
