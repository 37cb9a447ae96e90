/*  fake_chi_conf — the config reading shared by the stand-in runtime and
    its stop binary (tests only). Reads what the real runtime reads:
    memory.*_segment_size (sizes: a number and a suffix whose first letter
    k/m/g/t/p counts, powers of 1024), networking.port (network.port as the
    older layout) and networking.hostfile. Unknown keys are ignored; a
    missing file, a YAML error or a badly typed value is fatal.               */

#ifndef FAKE_CHI_CONF_H_INCLUDED
#define FAKE_CHI_CONF_H_INCLUDED

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

//  One line shaped as the real runtime's log lines, "FILE:LINE LEVEL TID
//  FUNCTION message" (info on stdout, errors on stderr).
#define FAKE_CHI_LOG(stream, level, ...)                                                 \
    fake_chi_log (stream, __FILE__, __LINE__, level, __func__, __VA_ARGS__)

static void __attribute__ ((format (printf, 6, 7)))
fake_chi_log (FILE *stream, const char *file, int line, const char *level,
              const char *func, const char *format, ...)
{
    fprintf (stream, "%s:%d %s %d %s ", file, line, level, (int) gettid (), func);
    va_list args;
    va_start (args, format);
    vfprintf (stream, format, args);
    va_end (args);
    fputc ('\n', stream);
}

typedef struct {
    uint64_t main_size;          //  memory.main_segment_size
    uint64_t client_size;        //  memory.client_data_segment_size
    uint64_t runtime_size;       //  memory.runtime_data_segment_size
    int port;                    //  networking.port
    char hostfile[4096];         //  networking.hostfile ("" none)
} fake_chi_conf_t;

static int
fake_chi_size (const char *text, uint64_t *ret)
{
    char *end = NULL;
    errno = 0;
    unsigned long long number = strtoull (text, &end, 10);
    if (errno || end == text || text[0] == '-')
        return -1;
    uint64_t scale = 1;
    if (*end) {
        switch (tolower ((unsigned char) *end)) {
            case 'k': scale = 1ULL << 10; break;
            case 'm': scale = 1ULL << 20; break;
            case 'g': scale = 1ULL << 30; break;
            case 't': scale = 1ULL << 40; break;
            case 'p': scale = 1ULL << 50; break;
            default: return -1;
        }
    }
    *ret = (uint64_t) number * scale;
    return 0;
}

static yaml_node_t *
fake_chi_get (yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node (doc, pair->key);
        if (k && k->type == YAML_SCALAR_NODE && !strcmp ((char *) k->data.scalar.value, key))
            return yaml_document_get_node (doc, pair->value);
    }
    return NULL;
}

static const char *
fake_chi_scalar (yaml_document_t *doc, const char *section, const char *key)
{
    yaml_node_t *root = yaml_document_get_root_node (doc);
    yaml_node_t *value = fake_chi_get (doc, fake_chi_get (doc, root, section), key);
    return value && value->type == YAML_SCALAR_NODE ? (const char *) value->data.scalar.value
                                                     : NULL;
}

//  Reads path into conf (defaults first). Returns 0, or -1 and a message.
static int
fake_chi_conf_read (const char *path, fake_chi_conf_t *conf, char *err, size_t err_size)
{
    memset (conf, 0, sizeof *conf);
    conf->main_size = 1ULL << 30;
    conf->client_size = 512ULL << 20;
    conf->runtime_size = 512ULL << 20;
    conf->port = 5555;
    if (!path)
        return 0;
    FILE *file = fopen (path, "rb");
    if (!file) {
        snprintf (err, err_size, "cannot open config %s: %s", path, strerror (errno));
        return -1;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize (&parser);
    yaml_parser_set_input_file (&parser, file);
    if (!yaml_parser_load (&parser, &doc)) {
        snprintf (err, err_size, "YAML error in %s line %zu: %s", path,
                  (size_t) parser.problem_mark.line + 1, parser.problem ? parser.problem : "?");
        yaml_parser_delete (&parser);
        fclose (file);
        return -1;
    }
    int rc = 0;
    const char *names[3] = {"main_segment_size", "client_data_segment_size",
                            "runtime_data_segment_size"};
    uint64_t *sizes[3] = {&conf->main_size, &conf->client_size, &conf->runtime_size};
    for (int i = 0; i < 3 && rc == 0; i++) {
        const char *text = fake_chi_scalar (&doc, "memory", names[i]);
        if (text && fake_chi_size (text, sizes[i])) {
            snprintf (err, err_size, "bad size for memory.%s: '%s'", names[i], text);
            rc = -1;
        }
    }
    const char *port = fake_chi_scalar (&doc, "networking", "port");
    if (!port)
        port = fake_chi_scalar (&doc, "network", "port");
    if (rc == 0 && port) {
        char *end = NULL;
        long number = strtol (port, &end, 10);
        if (end == port || *end || number < 1 || number > 65534) {
            snprintf (err, err_size, "bad value for networking.port: '%s'", port);
            rc = -1;
        }
        else
            conf->port = (int) number;
    }
    const char *hostfile = fake_chi_scalar (&doc, "networking", "hostfile");
    if (rc == 0 && hostfile)
        snprintf (conf->hostfile, sizeof conf->hostfile, "%s", hostfile);
    yaml_document_delete (&doc);
    yaml_parser_delete (&parser);
    fclose (file);
    return rc;
}

//  The config file the runtime reads: CHI_SERVER_CONF, then WRP_RUNTIME_CONF.
static const char *
fake_chi_conf_path (void)
{
    const char *path = getenv ("CHI_SERVER_CONF");
    if (!path || !*path)
        path = getenv ("WRP_RUNTIME_CONF");
    return path && *path ? path : NULL;
}

#endif
