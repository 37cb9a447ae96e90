/*  chimaera_stop_runtime — stand-in for the real stop binary, for tests.

    A client of the local runtime only, as the real one: it attaches the
    main segment chi_main_segment_${USER} (none: it dies by SIGABRT, as the
    real one does), leaves a stop request there and exits 0 at once, without
    waiting for the runtime to end; with stale segments and no runtime it
    has done nothing. With FAKE_CHI_NO_SHM (runtimes without segments) it
    sends the request to the local server instead (127.0.0.1, or
    FAKE_CHI_LOCAL_ADDR, at port+1, port from the config in CHI_SERVER_CONF
    / WRP_RUNTIME_CONF), waiting up to CHI_WAIT_SERVER seconds (default 30)
    for it.                                                                   */

#include "fake_chi_conf.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
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
        FAKE_CHI_LOG (stderr, "FATAL", "%s", err);
        return 1;
    }
    if (!getenv ("FAKE_CHI_NO_SHM")) {
        const char *user = getenv ("USER");
        char name[300];
        snprintf (name, sizeof name, "/chi_main_segment_%s", user ? user : "");
        int fd = shm_open (name, O_RDWR | O_CLOEXEC, 0);
        char *map = fd < 0 ? MAP_FAILED
                           : mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) {
            fprintf (stderr,
                     "terminate called after throwing an instance of 'hshm::Error'\n");
            abort ();
        }
        map[0] = 'S';
        FAKE_CHI_LOG (stdout, "INFO", "stop request left in %s", name + 1);
        return 0;
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
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep (&pause, NULL);
    }
    return 0;
}
