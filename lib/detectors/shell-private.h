/* Command lines: does one open a reverse shell? Read from an exec
 * request's decoded command= arguments and from a container's command and
 * args alike. Part of the detector kit. */
#ifndef KAG_SHELL_PRIVATE_H
#define KAG_SHELL_PRIVATE_H

#include <stddef.h>

/* The longest command line judged; the rest is not read. */
#define KAG__SHELL_MAX 2048

/* The form of reverse shell the command line (its arguments joined by
 * spaces, n bytes) opens, as a short name ("/dev/tcp", "netcat -e",
 * "socat exec", "fifo pipe", "interactive shell redirected", "shell piped
 * to the network", "python socket", "perl socket", "ruby socket", "php
 * socket", "awk /inet"), or NULL. The forms are those of the public
 * reverse-shell cheat sheets: a socket the shell's standard streams are
 * tied to, never a network tool or an interpreter alone. */
const char *kag__reverse_shell(const char *cmd, size_t n);

#endif
