/*  chimaera_start_runtime — a stand-in for the IOWarp (Chimaera) runtime,
    for tests. It behaves as the real one does on the points the agent
    depends on:

    - runs in the foreground; reads the config named by CHI_SERVER_CONF,
      then WRP_RUNTIME_CONF, else defaults; a missing file, a YAML syntax
      error or a badly typed value (port: abc, a bad size) prints one
      "FATAL ..." line on stderr and exits 1 before any segment exists;
    - creates the POSIX shm segments chi_main_segment_${USER},
      chi_client_data_segment_${USER}, chi_runtime_data_segment_${USER}
      (unlinking same-named ones first, mode 0644), each 16 KiB larger than
      configured and sparse; info goes to stdout;
    - after a short delay binds its main server on the node address (the
      first line of networking.hostfile it can bind, else 127.0.0.1) at
      port, and its local server on 127.0.0.1:port+1, then prints
      "SUCCESS: Main server started on <ip> (node=<id>)" (every line with
      the real one's log prefix, FILE:LINE LEVEL TID FUNCTION), and only then
      loads its modules (so without them it listens for ~10 ms, then
      exits 1);
    - SIGTERM: exit 0; SIGINT: exit 1; a stop request ends in abort()
      (SIGABRT), segments left. The request comes through the main
      segment, as the real one's stop task comes through its shared-memory
      queue (a runtime whose segments were replaced never sees it); with
      FAKE_CHI_NO_SHM, through the local server.

    Knobs (environment variables):
      FAKE_CHI_FAIL_AT_START=CODE  once it listens, print the real one's
                                   "ChiMod 'chimaera_admin' not found" lines
                                   and exit CODE (as without modules)
      FAKE_CHI_IGNORE_TERM=1       ignore SIGTERM
      FAKE_CHI_CRASH_AFTER_MS=N    die by SIGSEGV N ms after start
      FAKE_CHI_NEVER_READY=1       never bind (never serves)
      FAKE_CHI_READY_DELAY_MS=N    delay before binding (default 20)
      FAKE_CHI_NO_SHM=1            create no segments (many runtimes per machine)
      FAKE_CHI_LOCAL_ADDR=IP       local server address instead of 127.0.0.1
      FAKE_CHI_NODE_ADDR=IP        main server only on IP, the hostfile line
                                   naming it (many runtimes per machine, where
                                   every hostfile address is local)

    Tests read its environment from /proc/PID/environ.                        */

#include "fake_chi_conf.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t s_term = 0;     //  SIGTERM seen
static volatile sig_atomic_t s_int = 0;      //  SIGINT seen
static volatile char *s_stop_flag = NULL;    //  main segment's first byte: 'S' stop

static void
s_on_signal (int sig)
{
    if (sig == SIGTERM)
        s_term = 1;
    else
        s_int = 1;
}

static int64_t
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long
s_knob (const char *name, long fallback)
{
    const char *value = getenv (name);
    return value && *value ? strtol (value, NULL, 10) : fallback;
}

static int
s_listen (const char *address, int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) port)};
    if (inet_pton (AF_INET, address, &sa.sin_addr) != 1) {
        struct addrinfo hints = {.ai_family = AF_INET}, *res = NULL;
        if (getaddrinfo (address, NULL, &hints, &res) || !res)
            return -1;
        sa.sin_addr = ((struct sockaddr_in *) res->ai_addr)->sin_addr;
        freeaddrinfo (res);
    }
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind (fd, (struct sockaddr *) &sa, sizeof sa) || listen (fd, 64)) {
        if (fd >= 0)
            close (fd);
        return -1;
    }
    return fd;
}

int
main (void)
{
    setvbuf (stdout, NULL, _IOLBF, 0);
    setvbuf (stderr, NULL, _IOLBF, 0);
    struct rlimit no_core = {0, 0};
    setrlimit (RLIMIT_CORE, &no_core);
    int64_t started = s_now ();

    fake_chi_conf_t conf;
    char err[512];
    const char *path = fake_chi_conf_path ();
    if (fake_chi_conf_read (path, &conf, err, sizeof err)) {
        FAKE_CHI_LOG (stderr, "FATAL", "%s", err);
        return 1;
    }
    FAKE_CHI_LOG (stdout, "INFO", "Chimaera runtime (stand-in) pid %d, config %s",
                  (int) getpid (), path ? path : "(built-in defaults)");
    const char *user = getenv ("USER");
    if (!user)
        user = "";
    if (!getenv ("FAKE_CHI_NO_SHM")) {
        const char *names[3] = {"chi_main_segment_", "chi_client_data_segment_",
                                "chi_runtime_data_segment_"};
        uint64_t sizes[3] = {conf.main_size, conf.client_size, conf.runtime_size};
        for (int i = 0; i < 3; i++) {
            char name[256];
            snprintf (name, sizeof name, "/%s%s", names[i], user);
            shm_unlink (name);
            int fd = shm_open (name, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
            if (fd < 0 || ftruncate (fd, (off_t) (sizes[i] + 16384))) {
                FAKE_CHI_LOG (stderr, "FATAL", "cannot create shared memory %s: %s", name,
                              strerror (errno));
                return 1;
            }
            if (i == 0)    //  where stop requests arrive
                s_stop_flag = mmap (NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
            close (fd);
            FAKE_CHI_LOG (stdout, "INFO", "Created shared memory %s (%llu bytes)",
                          name + 1, (unsigned long long) (sizes[i] + 16384));
        }
    }
    long fail = s_knob ("FAKE_CHI_FAIL_AT_START", -1);
    struct sigaction sa = {.sa_handler = s_on_signal};
    sigemptyset (&sa.sa_mask);
    sigaction (SIGINT, &sa, NULL);
    if (getenv ("FAKE_CHI_IGNORE_TERM"))
        signal (SIGTERM, SIG_IGN);
    else
        sigaction (SIGTERM, &sa, NULL);

    long crash_ms = s_knob ("FAKE_CHI_CRASH_AFTER_MS", -1);
    bool never_ready = getenv ("FAKE_CHI_NEVER_READY") != NULL;
    int64_t ready_at = started + s_knob ("FAKE_CHI_READY_DELAY_MS", 20);
    const char *local_addr = getenv ("FAKE_CHI_LOCAL_ADDR");
    if (!local_addr || !*local_addr)
        local_addr = "127.0.0.1";
    struct pollfd fds[66];
    int nfds = 0;
    bool ready = false;
    while (true) {
        if (s_term)
            exit (0);
        if (s_int)
            exit (1);
        int64_t now = s_now ();
        if (crash_ms >= 0 && now - started >= crash_ms) {
            FAKE_CHI_LOG (stderr, "ERROR",
                          "crashing on purpose (FAKE_CHI_CRASH_AFTER_MS)");
            signal (SIGSEGV, SIG_DFL);
            raise (SIGSEGV);
        }
        if (!ready && !never_ready && now >= ready_at) {
            char node_ip[256] = "127.0.0.1";
            int node = 0, main_fd = -1;
            FILE *hosts = conf.hostfile[0] ? fopen (conf.hostfile, "r") : NULL;
            char line[256];
            const char *only = getenv ("FAKE_CHI_NODE_ADDR");
            for (int index = 0;
                 hosts && main_fd < 0 && fgets (line, sizeof line, hosts);) {
                line[strcspn (line, "\r\n")] = 0;
                if (!line[0])
                    continue;
                if (only && *only && strcmp (line, only)) {
                    index++;
                    continue;
                }
                main_fd = s_listen (line, conf.port);
                if (main_fd >= 0) {
                    snprintf (node_ip, sizeof node_ip, "%s", line);
                    node = index;
                }
                index++;
            }
            if (hosts)
                fclose (hosts);
            if (main_fd < 0)
                main_fd = s_listen ("127.0.0.1", conf.port);
            int local_fd = s_listen (local_addr, conf.port + 1);
            if (main_fd < 0 || local_fd < 0) {
                FAKE_CHI_LOG (stderr, "FATAL", "cannot bind port %d/%d: %s", conf.port,
                              conf.port + 1, strerror (errno));
                exit (1);
            }
            fds[0] = (struct pollfd){.fd = main_fd, .events = POLLIN};
            fds[1] = (struct pollfd){.fd = local_fd, .events = POLLIN};
            nfds = 2;
            ready = true;
            FAKE_CHI_LOG (stdout, "INFO",
                          "IdentifyThisHost SUCCESS: Main server started on %s (node=%d)",
                          node_ip, node);
            if (fail >= 0) {
                //  The real one's module scan, then its words and exit.
                struct timespec scan = {0, 10 * 1000 * 1000};
                nanosleep (&scan, NULL);
                FAKE_CHI_LOG (stderr, "ERROR",
                              "PoolManager: ChiMod 'chimaera_admin' not found");
                FAKE_CHI_LOG (stderr, "ERROR",
                              "PoolManager: Failed to create admin chimod pool during "
                              "ServerInit");
                FAKE_CHI_LOG (stderr, "ERROR", "Failed to initialize Chimaera runtime");
                exit ((int) fail);
            }
        }
        if (ready && s_stop_flag && s_stop_flag != MAP_FAILED && s_stop_flag[0] == 'S') {
            FAKE_CHI_LOG (stdout, "INFO", "Received stop request");
            abort ();    //  what the real runtime's stop ends in
        }
        int timeout = ready && s_stop_flag && s_stop_flag != MAP_FAILED ? 10 : -1;
        if (!ready && !never_ready)
            timeout = (int) (ready_at > now ? ready_at - now : 0);
        if (crash_ms >= 0) {
            int64_t left = started + crash_ms - now;
            if (timeout < 0 || left < timeout)
                timeout = left > 0 ? (int) left : 0;
        }
        int rc = poll (fds, (nfds_t) nfds, timeout);
        if (rc <= 0)
            continue;
        for (int i = 0; i < nfds; i++) {
            if (!fds[i].revents)
                continue;
            if (i < 2) {
                int conn = accept4 (fds[i].fd, NULL, NULL, SOCK_CLOEXEC);
                if (conn >= 0 && i == 1 && nfds < 66)
                    fds[nfds++] = (struct pollfd){.fd = conn, .events = POLLIN};
                else if (conn >= 0)
                    close (conn);
                continue;
            }
            char buf[64];
            ssize_t got = read (fds[i].fd, buf, sizeof buf - 1);
            if (got > 0) {
                buf[got] = 0;
                if (strstr (buf, "stop")) {
                    FAKE_CHI_LOG (stdout, "INFO", "Received stop request");
                    abort ();    //  what the real runtime's stop ends in
                }
            }
            close (fds[i].fd);
            fds[i--] = fds[--nfds];
        }
    }
}
