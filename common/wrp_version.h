/*  wrp_version — the one place that says which version of wrp this is.

    Both programs print it (--version), the agent reports it in every reply
    (agent_version), the man pages and the Debian package take it from here
    (the Makefile reads this line; tests/t_deb.sh checks debian/changelog
    agrees).                                                                 */

#ifndef WRP_VERSION_H_INCLUDED
#define WRP_VERSION_H_INCLUDED

#define WRP_VERSION "0.2.0"

#endif
