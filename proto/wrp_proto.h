/*  wrp_proto — every fact of the wrp control protocol, in one place.

    The names, codes, limits, defaults and the agent's state-dir layout that
    proto/PROTOCOL.md specifies, as constants: the codec (wrp_msg), the agent
    and the controller use these and never spell a protocol fact as a literal
    of their own. Pure declarations: no code, no library.                    */

#ifndef WRP_PROTO_H_INCLUDED
#define WRP_PROTO_H_INCLUDED

// ---------------------------------------------------------------------------
//  Version and framing (PROTOCOL.md sections 2 and 6)

#define WRP_PROTO_NAME      "WRP"
#define WRP_PROTO_VERSION   1
#define WRP_PROTO_SIGNATURE "WRP/1"

//  Limits: everything a peer controls is bounded.
#define WRP_MSG_MAX_ID     64            //  id length
#define WRP_MSG_MAX_KEY    64            //  field key length
#define WRP_MSG_MAX_FIELDS 512           //  fields per message
#define WRP_MSG_MAX_VALUE  (4u << 20)    //  one value: 4 MiB (hostfile of 100000 hosts)
#define WRP_MSG_MAX_TOTAL  (8u << 20)    //  all frames together
//  Frames of one message at most: signature, command, id, then key/value pairs.
#define WRP_MSG_MAX_FRAMES (3 + 2 * WRP_MSG_MAX_FIELDS)

// ---------------------------------------------------------------------------
//  Commands (frame 1)

typedef enum {
    WRP_CMD_INVALID = 0,
    //  controller -> agent
    WRP_CMD_STATUS,    //  heartbeat: report state; read-only, ids not recorded
    WRP_CMD_START,     //  write pushed config (if any) and start the runtime
    WRP_CMD_STOP,      //  stop binary, then SIGTERM, then SIGKILL
    WRP_CMD_KILL,      //  SIGKILL the runtime's process group
    WRP_CMD_CLEAN,     //  remove pushed files and chi_* segments
    //  agent -> controller
    WRP_CMD_OK,       //  done; carries the status fields (and command results)
    WRP_CMD_ERROR,    //  not done; fields "code" and "text" (and status fields)
} wrp_cmd_t;

// ---------------------------------------------------------------------------
//  Request fields (section 3)

#define WRP_F_TIMEOUT_MS "timeout_ms"    //  int 1..WRP_TIMEOUT_MS_MAX
#define WRP_F_PIPELINE   "pipeline"      //  string, a pipeline name (wrp_names)
#define WRP_F_GENERATION "generation"    //  int >= 0
#define WRP_F_CONFIG     "config"        //  bytes: chimaera_config.yaml
#define WRP_F_HOSTFILE   "hostfile"      //  bytes: the expanded runtime hostfile
#define WRP_F_PORT       "port"          //  int WRP_PORT_MIN..WRP_PORT_MAX
#define WRP_F_ENV_PREFIX "env."          //  env.NAME: a variable for the runtime

#define WRP_TIMEOUT_MS_MAX 86400000
#define WRP_PORT_MIN       1
#define WRP_PORT_MAX       65534    //  the runtime also uses port + 1
#define WRP_ENV_MAX        256      //  env.* fields per START
//  Longest variable name: a key is at most WRP_MSG_MAX_KEY with "env." in front.
#define WRP_ENV_NAME_MAX      (WRP_MSG_MAX_KEY - 4)
#define WRP_PIPELINE_NAME_MAX 64

// ---------------------------------------------------------------------------
//  Reply fields (section 4)

#define WRP_F_NODE          "node"
#define WRP_F_STATE         "state"
#define WRP_F_PID           "pid"
#define WRP_F_UPTIME_MS     "uptime_ms"
#define WRP_F_EXIT_CODE     "exit_code"
#define WRP_F_SIGNAL        "signal"
#define WRP_F_STARTS        "starts"
#define WRP_F_SHA256        "sha256"
#define WRP_F_STATE_DIR     "state_dir"
#define WRP_F_SHM           "shm"       //  list name\tbytes[\tkind]
#define WRP_F_ERROR         "error"     //  why `failed`
#define WRP_F_OUTPUT        "output"    //  the runtime's last output lines
#define WRP_F_AGENT_VERSION "agent_version"
#define WRP_F_REMOVED       "removed"    //  CLEAN: list path\tbytes
#define WRP_F_KEPT          "kept"       //  CLEAN: list path\treason (left in place)
#define WRP_F_NOOP          "noop"       //  START: already running
#define WRP_F_CODE          "code"       //  ERROR: one of WRP_ERR_*
#define WRP_F_TEXT          "text"       //  ERROR: one line, for people
#define WRP_F_VERSION       "version"    //  ERROR VERSION: the version spoken

//  The shm list's third column for entries that are not files.
#define WRP_SHM_KIND_SYMLINK   "symlink"
#define WRP_SHM_KIND_DIRECTORY "directory"

//  The runtime's output in a reply: last lines, at most this much.
#define WRP_OUTPUT_LINES 20
#define WRP_OUTPUT_BYTES 4096

// ---------------------------------------------------------------------------
//  Runtime states (field "state")

#define WRP_STATE_STOPPED  "stopped"
#define WRP_STATE_STARTING "starting"
#define WRP_STATE_RUNNING  "running"
#define WRP_STATE_STOPPING "stopping"
#define WRP_STATE_FAILED   "failed"

// ---------------------------------------------------------------------------
//  Error codes (field "code" of an ERROR)

#define WRP_ERR_BAD_REQUEST "BAD_REQUEST"    //  malformed, unknown command, bad field
#define WRP_ERR_REFUSED     "REFUSED"      //  policy: variable, name, clean while running
#define WRP_ERR_NOT_FOUND   "NOT_FOUND"    //  start binary not found (agentd.yaml)
#define WRP_ERR_BUSY        "BUSY"         //  another command in progress, port held
#define WRP_ERR_FAILED      "FAILED"       //  the runtime died or exited
#define WRP_ERR_TIMEOUT     "TIMEOUT"      //  not done within timeout_ms
#define WRP_ERR_VERSION     "VERSION"      //  other protocol version; field "version"
#define WRP_ERR_INTERNAL    "INTERNAL"     //  the agent could not do its own part

// ---------------------------------------------------------------------------
//  Ids and the repeat rule (section 5)

#define WRP_RECORD_MAX 1024    //  lifecycle replies the agent keeps

// ---------------------------------------------------------------------------
//  Defaults (sections 1, 3 and 8)

#define WRP_DEFAULT_PORT             5560
#define WRP_DEFAULT_ENDPOINT         "tcp://*:5560"    //  the agent's ROUTER
#define WRP_DEFAULT_START_TIMEOUT_MS 30000
#define WRP_DEFAULT_STOP_TIMEOUT_MS  5000    //  per escalation step
#define WRP_DEFAULT_STATE_DIR        "/var/lib/wrp"
#define WRP_ZAP_DOMAIN               "wrp"
#define WRP_AUTHORIZED_KEYS_DEFAULT  "/etc/wrp/authorized_keys"    //  directory
#define WRP_AGENT_KEY_DEFAULT        "/etc/wrp/agent.key"          //  + "_secret"
#define WRP_AGENT_PUBKEY_DEFAULT     "/etc/wrp/agent.key"          //  public part
#define WRP_CONTROLLER_KEY_DEFAULT   "~/.wrp/controller.key"       //  + "_secret"
#define WRP_KEY_SECRET_SUFFIX        "_secret"

// ---------------------------------------------------------------------------
//  The agent's state dir (STATE_DIR, default WRP_DEFAULT_STATE_DIR)
//
//      STATE_DIR/agent.state                        the runtime record
//      STATE_DIR/commands                           recorded lifecycle replies
//      STATE_DIR/pipelines/NAME/chimaera_config.yaml  pushed config (CHI_SERVER_CONF)
//      STATE_DIR/pipelines/NAME/hostfile            pushed runtime hostfile
//      STATE_DIR/pipelines/NAME/runtime.log         the runtime's output
//
//  The controller names the pushed hostfile and the log in the config it
//  generates, so both sides build these paths from the same names.

#define WRP_LAYOUT_STATE_FILE    "agent.state"
#define WRP_LAYOUT_COMMANDS_FILE "commands"
#define WRP_LAYOUT_PIPELINES     "pipelines"
#define WRP_LAYOUT_CONFIG        "chimaera_config.yaml"
#define WRP_LAYOUT_HOSTFILE      "hostfile"
#define WRP_LAYOUT_RUNTIME_LOG   "runtime.log"

//  snprintf format of a pushed file: (state_dir, pipeline, file name).
#define WRP_LAYOUT_PIPELINE_FILE_FMT "%s/" WRP_LAYOUT_PIPELINES "/%s/%s"

//  Environment the agent sets for the runtime (never forwarded from env.*).
#define WRP_ENV_SERVER_CONF "CHI_SERVER_CONF"
#define WRP_ENV_USER        "USER"

#endif
