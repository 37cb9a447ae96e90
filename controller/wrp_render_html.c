/*  wrp_render_html — the monitor's status page. See wrp_render_html.h.     */

#include "wrp_render_html.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wrp_buf.h"
#include "wrp_proto.h"

//  Row states in the order the summary bar shows them; failing ones first.
static const char *const s_states[] = {"down",
                                       WRP_STATE_FAILED,
                                       "unknown",
                                       WRP_STATE_STARTING,
                                       WRP_STATE_STOPPING,
                                       WRP_STATE_STOPPED,
                                       WRP_STATE_RUNNING};
#define S_STATE_COUNT (sizeof s_states / sizeof s_states[0])

//  The page refreshes with the polls, but not more often than this (ms).
#define S_MIN_REFRESH_MS 500

//  Only the table's own CSS; colours by state.
static const char s_style[] =
    "body{font:14px system-ui,sans-serif;margin:1em;color:#222;background:#fafafa}"
    "h1{font-size:1.3em;margin:0 0 .3em}.meta{color:#555;margin-bottom:.6em}"
    ".bar{display:flex;gap:.4em;flex-wrap:wrap;margin:.5em 0}"
    ".bar label{padding:.25em .7em;border-radius:1em;background:#e4e4e4;cursor:pointer}"
    "input.f{display:none}"
    "table{border-collapse:collapse;width:100%;background:#fff}"
    "th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #ddd;"
    "vertical-align:top}th{background:#eee}td.num{text-align:right;white-space:nowrap}"
    "tr.s-down td.st,.bar .b-down{background:#c62828;color:#fff}"
    "tr.s-failed td.st,.bar .b-failed{background:#e53935;color:#fff}"
    "tr.s-unknown td.st,.bar .b-unknown{background:#9e9e9e;color:#fff}"
    "tr.s-starting td.st,tr.s-stopping td.st,.bar .b-starting,.bar "
    ".b-stopping{background:#f9a825}"
    "tr.s-stopped td.st,.bar .b-stopped{background:#bdbdbd}"
    "tr.s-running td.st,.bar .b-running{background:#2e7d32;color:#fff}"
    "pre{margin:.3em 0 0;font-size:12px;white-space:pre-wrap;color:#444}"
    "#f-all:checked~.bar label[for=f-all]{outline:2px solid #333}";

//  The refresh: fetch /status.json, rebuild the bar and the rows the way
//  the server does, keep the filters.
static const char s_script[] =
    "(function(){"
    "var S=['down','failed','unknown','starting','stopping','stopped','running'];"
    "function e(t){return String(t==null?'':t).replace(/[&<>\"']/g,function(c){"
    "return '&#'+c.charCodeAt(0)+';'})}"
    "function st(n){return !n.reachable?'down':(n.runtime&&n.runtime.state)||'unknown'}"
    "function bytes(b){var u='KMGTPE',i=-1;if(b<1024)return ''+b;"
    "while(b>=1024&&i<5){b/=1024;i++}return (b<10&&Math.abs(b-Math.round(b))>.05?"
    "b.toFixed(1):b.toFixed(0))+u[i]}"
    "function dur(s){s=Math.floor(s);if(s<60)return s+'s';function p(x){return "
    "(x<10?'0':'')+x}if(s<3600)return Math.floor(s/60)+'m'+p(s%60)+'s';if(s<86400)"
    "return Math.floor(s/3600)+'h'+p(Math.floor(s%3600/60))+'m';return "
    "Math.floor(s/86400)+'d'+p(Math.floor(s%86400/3600))+'h'}"
    "function row(n){var s=st(n),r=n.runtime||{},c=n.config||{},sh=n.shm||[],t=0;"
    "sh.forEach(function(x){t+=x.bytes});var d=e(n.error||'');"
    "if(s=='failed'&&n.output&&n.output.length)d+='<pre>'+e(n.output.slice(-8)"
    ".join('\\n'))+'</pre>';"
    "return '<tr class=\"node s-'+s+'\" data-host=\"'+e(n.host)+'\" data-state=\"'+s+"
    "'\"><td>'+e(n.host)+'</td><td>'+(n.reachable?'up':'down')+'</td><td class=st>'+s+"
    "'</td><td class=num>'+(r.pid!=null&&s!='stopped'&&s!='failed'?r.pid:'-')+"
    "'</td><td class=num>'+(r.uptime_s!=null&&s=='running'?dur(r.uptime_s):'-')+"
    "'</td><td class=num>'+(c.generation!=null?c.generation:'-')+'</td><td class=num>'+"
    "(sh.length?bytes(t)+' ('+sh.length+')':'-')+'</td><td class=num>'+(n.reachable&&"
    "n.rtt_ms!=null?n.rtt_ms.toFixed(1)+'ms':'-')+'</td><td>'+d+'</td></tr>'}"
    "function filt(){var q=document.getElementById('q').value.toLowerCase(),"
    "f=document.querySelector('input[name=f]:checked'),w=f?f.value:'all';"
    "document.querySelectorAll('tr.node').forEach(function(r){r.style.display="
    "(w=='all'||r.dataset.state==w)&&r.dataset.host.toLowerCase().indexOf(q)>=0?"
    "'':'none'})}"
    "function draw(d){var cnt={},bad=[],good=[];S.forEach(function(s){cnt[s]=0});"
    "d.nodes.forEach(function(n){var s=st(n);cnt[s]=(cnt[s]||0)+1;"
    "(s=='running'||s=='stopped'||s=='starting'||s=='stopping'?good:bad).push(n)});"
    "document.getElementById('rows').innerHTML=bad.concat(good).map(row).join('');"
    "S.forEach(function(s){var "
    "b=document.getElementById('n-'+s);if(b)b.textContent=cnt[s]});"
    "document.getElementById('n-all').textContent=d.nodes.length;"
    "document.getElementById('age').textContent=d.age_s.toFixed(1)+' s';"
    "document.getElementById('updated').textContent=d.updated_at;"
    "var b=document.body;b.dataset.refreshes=(+b.dataset.refreshes||0)+1;filt()}"
    "function tick(){fetch('status.json',{cache:'no-store'}).then(function(r){"
    "return r.json()}).then(draw).catch(function(){document.getElementById('age')"
    ".textContent='unreachable'})}"
    "document.getElementById('q').addEventListener('input',filt);"
    "document.querySelectorAll('input[name=f]').forEach(function(i){"
    "i.addEventListener('change',filt)});"
    "document.getElementById('q').hidden=false;"
    "setInterval(tick,+document.body.dataset.refreshMs);})();";

static void
s_html (wrp_buf_t *b, const char *text)
{
    for (const char *c = text ? text : ""; *c; c++) {
        switch (*c) {
        case '&':
            wrp_buf_str (b, "&amp;");
            break;
        case '<':
            wrp_buf_str (b, "&lt;");
            break;
        case '>':
            wrp_buf_str (b, "&gt;");
            break;
        case '"':
            wrp_buf_str (b, "&quot;");
            break;
        case '\'':
            wrp_buf_str (b, "&#39;");
            break;
        default:
            wrp_buf_add (b, c, 1);
        }
    }
}

static const char *
s_row_state (const wrp_render_node_t *node)
{
    if (!node->reachable)
        return "down";
    const char *state = wrp_render_state (node);
    for (size_t k = 0; state && k < S_STATE_COUNT; k++)
        if (!strcmp (state, s_states[k]))
            return s_states[k];
    return "unknown";
}

static void
s_row (wrp_buf_t *b, const wrp_render_node_t *node)
{
    const char *state = s_row_state (node);
    const wrp_msg_t *st = node->reachable ? node->status : NULL;
    wrp_buf_printf (b, "<tr class=\"node s-%s\" data-host=\"", state);
    s_html (b, node->host);
    wrp_buf_printf (b, "\" data-state=\"%s\"><td>", state);
    s_html (b, node->host);
    wrp_buf_printf (b, "</td><td>%s</td><td class=st>%s</td>",
                    node->reachable ? "up" : "down", state);
    int64_t v;
    bool has_pid = wrp_render_int (st, WRP_F_PID, &v) &&
                   strcmp (state, WRP_STATE_STOPPED) && strcmp (state, WRP_STATE_FAILED);
    wrp_buf_str (b, "<td class=num>");
    if (has_pid)
        wrp_buf_printf (b, "%" PRId64, v);
    else
        wrp_buf_str (b, "-");
    char text[64] = "-";
    if (!strcmp (state, WRP_STATE_RUNNING) && wrp_render_int (st, WRP_F_UPTIME_MS, &v))
        wrp_render_duration ((double) v / 1000.0, text, sizeof text);
    wrp_buf_printf (b, "</td><td class=num>%s</td><td class=num>", text);
    if (wrp_render_int (st, WRP_F_GENERATION, &v))
        wrp_buf_printf (b, "%" PRId64, v);
    else
        wrp_buf_str (b, "-");
    uint64_t total = 0;
    size_t segments = 0;
    const char *shm = st ? wrp_msg_str (st, WRP_F_SHM) : NULL;
    for (const char *line = shm; line && *line;) {
        const char *tab = strchr (line, '\t');
        const char *end = strchr (line, '\n');
        if (tab && (!end || tab < end)) {
            total += strtoull (tab + 1, NULL, 10);
            segments++;
        }
        line = end ? end + 1 : NULL;
    }
    wrp_buf_str (b, "</td><td class=num>");
    if (segments) {
        wrp_render_bytes (total, text, sizeof text);
        wrp_buf_printf (b, "%s (%zu)", text, segments);
    } else
        wrp_buf_str (b, "-");
    wrp_buf_str (b, "</td><td class=num>");
    if (node->reachable && node->rtt_ms >= 0)
        wrp_buf_printf (b, "%.1fms", node->rtt_ms);
    else
        wrp_buf_str (b, "-");
    wrp_buf_str (b, "</td><td>");
    bool failed = !strcmp (state, WRP_STATE_FAILED);
    char *failure = failed ? wrp_render_failure (st) : NULL;
    s_html (b, node->error ? node->error : failure);
    free (failure);
    const char *output = st && failed ? wrp_msg_str (st, WRP_F_OUTPUT) : NULL;
    if (output && *output) {
        //  The last 8 lines, as status.json's "output" gives them.
        const char *from = output + strlen (output);
        if (from > output && from[-1] == '\n')
            from--;
        for (int lines = 0; from > output; from--)
            if (from[-1] == '\n' && ++lines == 8)
                break;
        size_t len = strlen (from);
        while (len && from[len - 1] == '\n')
            len--;
        char *tail = strndup (from, len);
        wrp_buf_str (b, "<pre>");
        s_html (b, tail);
        wrp_buf_str (b, "</pre>");
        free (tail);
    }
    wrp_buf_str (b, "</td></tr>\n");
}

static void
s_iso (double when, char *buf, size_t size)
{
    time_t t = (time_t) when;
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *
wrp_render_html (const wrp_render_view_t *view, int interval_ms, const char *age_mark)
{
    assert (view && age_mark);
    size_t counts[S_STATE_COUNT] = {0};
    for (size_t i = 0; i < view->count; i++) {
        const char *state = s_row_state (&view->nodes[i]);
        for (size_t k = 0; k < S_STATE_COUNT; k++)
            if (!strcmp (state, s_states[k]))
                counts[k]++;
    }
    wrp_buf_t b = {0};
    wrp_buf_str (&b, "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
                     "<meta name=viewport content=\"width=device-width\"><title>wrp: ");
    s_html (&b, view->pipeline ? view->pipeline : "no pipeline");
    wrp_buf_printf (&b, "</title><style>%s", s_style);
    //  The state filter without script: a checked radio (a sibling before
    //  the bar and the table) hides the other rows and marks its label.
    for (size_t k = 0; k < S_STATE_COUNT; k++)
        wrp_buf_printf (&b,
                        "#f-%s:checked~table tr.node:not(.s-%s){display:none}"
                        "#f-%s:checked~.bar label[for=f-%s]{outline:2px solid #333}",
                        s_states[k], s_states[k], s_states[k], s_states[k]);
    wrp_buf_printf (&b, "</style></head>\n<body data-refresh-ms=\"%d\">\n<h1>wrp: ",
                    interval_ms > S_MIN_REFRESH_MS ? interval_ms : S_MIN_REFRESH_MS);
    s_html (&b, view->pipeline ? view->pipeline : "no pipeline");
    char iso[40];
    s_iso (view->updated_at, iso, sizeof iso);
    wrp_buf_printf (&b,
                    "</h1>\n<div class=meta>config generation %" PRIu64
                    " &middot; data from <span id=updated>%s</span>, "
                    "<span id=age>%s</span> old &middot; polled every %.3g s</div>\n",
                    view->generation, iso, age_mark, interval_ms / 1000.0);
    wrp_buf_str (&b, "<input class=f type=radio name=f id=f-all value=all checked>");
    for (size_t k = 0; k < S_STATE_COUNT; k++)
        wrp_buf_printf (&b, "<input class=f type=radio name=f id=f-%s value=%s>",
                        s_states[k], s_states[k]);
    wrp_buf_printf (&b,
                    "\n<div class=bar><label for=f-all>all <b id=n-all>%zu</b></label>",
                    view->count);
    for (size_t k = 0; k < S_STATE_COUNT; k++)
        wrp_buf_printf (&b, "<label for=f-%s class=b-%s>%s <b id=n-%s>%zu</b></label>",
                        s_states[k], s_states[k], s_states[k], s_states[k], counts[k]);
    wrp_buf_str (&b,
                 "<input id=q type=search placeholder=\"filter hosts\" hidden></div>\n"
                 "<table><thead><tr><th>HOST</th><th>AGENT</th><th>STATE</th>"
                 "<th>PID</th><th>UPTIME</th><th>GEN</th><th>SHM</th><th>RTT</th>"
                 "<th>DETAIL</th></tr></thead>\n<tbody id=rows>\n");
    //  Failing first, then the rest, each in hostfile order.
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < view->count; i++)
            if (wrp_render_node_failing (&view->nodes[i]) == (pass == 0))
                s_row (&b, &view->nodes[i]);
    wrp_buf_printf (&b, "</tbody></table>\n<script>%s</script>\n</body></html>\n",
                    s_script);
    return wrp_buf_finish (&b, NULL);
}

//  --------------------------------------------------------------------------

void
wrp_render_html_test (bool verbose)
{
    wrp_msg_t *running = wrp_msg_new (WRP_CMD_OK, "a");
    wrp_msg_set_str (running, "state", "running");
    wrp_msg_set_int (running, "pid", 4242);
    wrp_msg_set_int (running, "uptime_ms", 65000);
    wrp_msg_set_str (running, "shm", "chi_a\t1048576\nchi_b\t1048576\n");
    wrp_msg_t *failed = wrp_msg_new (WRP_CMD_OK, "a");
    wrp_msg_set_str (failed, "state", "failed");
    wrp_msg_set_int (failed, "signal", 11);
    wrp_msg_set_str (failed, "output", "one\ntwo <b>\nFATAL: x & y\n");
    wrp_render_node_t nodes[3] = {
        {.host = "n1", .reachable = true, .rtt_ms = 0.5, .status = running},
        {.host = "n<2>", .reachable = true, .rtt_ms = 0.5, .status = failed},
        {.host = "n3", .reachable = false, .rtt_ms = -1, .error = "agent not answering"},
    };
    wrp_render_view_t view = {
        .pipeline = "demo",
        .generation = 2,
        .nodes = nodes,
        .count = 3,
        .updated_at = 1700000000,
    };
    char *html = wrp_render_html (&view, 200, "@AGE@");
    assert (html);
    if (verbose)
        printf ("%s", html);
    assert (strstr (html, "<span id=age>@AGE@</span>"));
    assert (strstr (html, "data-refresh-ms=\"500\"") && strstr (html, "every 0.2 s"));
    assert (strstr (html, "2023-11-14T22:13:20Z"));
    //  Failing first (n<2> then n3), the running one last; escaped.
    char *r2 = strstr (html, "data-host=\"n&lt;2&gt;\" data-state=\"failed\"");
    char *r3 = strstr (html, "data-host=\"n3\" data-state=\"down\"");
    char *r1 = strstr (html, "data-host=\"n1\" data-state=\"running\"");
    assert (r2 && r3 && r1 && r2 < r3 && r3 < r1);
    assert (strstr (html, "killed by SIGSEGV"));
    assert (strstr (html, "<pre>one\ntwo &lt;b&gt;\nFATAL: x &amp; y</pre>"));
    assert (strstr (html, "<td class=num>4242</td><td class=num>1m05s</td>"));
    assert (strstr (html, "2M (2)"));
    assert (strstr (html, "running <b id=n-running>1</b>"));
    assert (strstr (html, "down <b id=n-down>1</b>"));
    //  Self-contained: nothing fetched from elsewhere.
    assert (!strstr (html, "http://") && !strstr (html, "https://") &&
            !strstr (html, "src="));
    free (html);
    wrp_msg_destroy (&running);
    wrp_msg_destroy (&failed);
}
