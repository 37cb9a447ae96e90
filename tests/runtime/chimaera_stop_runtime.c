/*  chimaera_stop_runtime — stand-in for the real stop binary, for tests.

    A client of the local runtime only: connects to the local server
    (127.0.0.1, or FAKE_CHI_LOCAL_ADDR, at port+1, port from the config in
    CHI_SERVER_CONF / WRP_RUNTIME_CONF), sends a stop request and exits 0 at
    once, without waiting for the runtime to end. It waits up to
    CHI_WAIT_SERVER seconds (default 30) for the server; with no server and
    no segments it dies by SIGABRT, as the real one does.                     */

#include "fake_chi_conf.h"

#include <arpa/inet.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int
main (void)
{
    struct rlimit no_core = {0, 0};
    setrlimit (RLIMIT_CORE, &no_core);
    fake_chi_conf_t conf;
    char err[512];
    if (fake_chi_conf_read (fake_chi_conf_path (), &conf, err, sizeof err)) {
        fprintf (stderr, "FATAL: %s\n", err);
        return 1;
    }
    const char *addr = getenv ("FAKE_CHI_LOCAL_ADDR");
    if (!addr || !*addr)
        addr = "127.0.0.1";
    const char *wait_text = getenv ("CHI_WAIT_SERVER");
    long wait_s = wait_text ? strtol (wait_text, NULL, 10) : 30;
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons ((uint16_t) (conf.port + 1))};
    inet_pton (AF_INET, addr, &sa.sin_addr);
    for (long tries = 0; tries <= wait_s * 100; tries++) {
        int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect (fd, (struct sockaddr *) &sa, sizeof sa) == 0) {
            ssize_t sent = write (fd, "stop\n", 5);
            close (fd);
            printf ("chimaera_stop_runtime: stop request sent to %s:%d\n", addr,
                    conf.port + 1);
            return sent == 5 ? 0 : 1;
        }
        if (fd >= 0)
            close (fd);
        if (tries == 0) {
            //  Nothing to attach to: the real one aborts here.
            const char *user = getenv ("USER");
            char path[300];
            snprintf (path, sizeof path, "/dev/shm/chi_main_segment_%s",
                      user ? user : "");
            struct stat st;
            if (stat (path, &st)) {
                fprintf (stderr,
                         "chimaera_stop_runtime: no runtime and no shared memory\n");
                abort ();
            }
        }
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep (&pause, NULL);
    }
    return 0;
}
