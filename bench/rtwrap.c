/*  rtwrap — starts the stand-in runtime as if this node could bind only its
    own address, for the many-agents-on-one-machine benchmark.

    Usage (as an agent's start_binary): rtwrap [ARGS...], with
      CHI_SERVER_CONF     the config the agent pushed (read, not changed)
      FAKE_CHI_LOCAL_ADDR this node's address
      WRP_BENCH_RUNTIME   the stand-in runtime to exec

    The runtime takes as its node address the first line of
    networking.hostfile it can bind. On a cluster only the node's own line
    binds; on one machine every 127.0.x.y binds, so a runtime started early
    would take a later node's address and that node's agent would rightly
    refuse to start a second runtime on a taken port. rtwrap writes a copy
    of the config beside the original whose hostfile names this node only,
    then execs the runtime with CHI_SERVER_CONF pointing at the copy. Costs
    one exec and two small files per start.                                  */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
    (void) argc;
    const char *conf = getenv ("CHI_SERVER_CONF");
    const char *addr = getenv ("FAKE_CHI_LOCAL_ADDR");
    const char *runtime = getenv ("WRP_BENCH_RUNTIME");
    if (!runtime) {
        fprintf (stderr, "rtwrap: WRP_BENCH_RUNTIME is not set\n");
        return 127;
    }
    if (conf && addr) {
        char node_conf[4096], node_hosts[4096];
        snprintf (node_conf, sizeof node_conf, "%s.node.yaml", conf);
        snprintf (node_hosts, sizeof node_hosts, "%s.node.hosts", conf);
        FILE *in = fopen (conf, "re");
        FILE *out = in ? fopen (node_conf, "we") : NULL;
        FILE *hosts = out ? fopen (node_hosts, "we") : NULL;
        if (in && out && hosts) {
            fprintf (hosts, "%s\n", addr);
            char line[4096];
            while (fgets (line, sizeof line, in)) {
                if (!strncmp (line, "  hostfile:", 11))
                    fprintf (out, "  hostfile: %s\n", node_hosts);
                else
                    fputs (line, out);
            }
        }
        bool ok = in && out && hosts;
        if (hosts)
            ok = (fclose (hosts) == 0) && ok;
        if (out)
            ok = (fclose (out) == 0) && ok;
        if (in)
            fclose (in);
        if (ok)
            setenv ("CHI_SERVER_CONF", node_conf, 1);
    }
    execv (runtime, argv);
    perror ("rtwrap: exec");
    return 127;
}
