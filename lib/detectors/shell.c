/* Reverse shells in a command line. The line is read twice: lower-cased
 * as one string (the interpreters' one-liners and the /dev/tcp forms are
 * substrings of it), and cut into words at blanks, quotes and shell
 * operators, each word knowing which simple command it belongs to and
 * whether a pipe feeds it (netcat's exec flag, fifo pipes, a shell fed
 * from the network). */
#include <string.h>

#include "shell-private.h"

#define MAX_WORDS 128

typedef struct {
	const char *p;
	size_t n;
	int cmd;          /* simple command: counted at ; & | newline */
	int after_pipe;   /* the first word after a | */
} word;

typedef struct {
	char low[KAG__SHELL_MAX + 1];
	word w[MAX_WORDS];
	size_t n;
} line;

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_operator(char c)
{
	return c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '{' ||
	       c == '}' || c == '<' || c == '>' || c == '\'' || c == '"' || c == '`';
}

static void split(line *l, size_t n)
{
	size_t i = 0;
	int cmd = 0, pipe = 0;

	l->n = 0;
	while (i < n && l->n < MAX_WORDS) {
		char c = l->low[i];
		size_t s = i;

		if (is_blank(c) || is_operator(c)) {
			/* a pipe's | (not ||, not >|) starts the command it feeds */
			if (c == '|' && !(i + 1 < n && l->low[i + 1] == '|') &&
			    !(i > 0 && (l->low[i - 1] == '|' || l->low[i - 1] == '>')))
				pipe = 1;
			if (c == ';' || c == '&' || c == '|' || c == '\n')
				cmd++;
			i++;
			continue;
		}
		while (i < n && !is_blank(l->low[i]) && !is_operator(l->low[i]))
			i++;
		l->w[l->n].p = l->low + s;
		l->w[l->n].n = i - s;
		l->w[l->n].cmd = cmd;
		l->w[l->n].after_pipe = pipe;
		l->n++;
		pipe = 0;
	}
}

/* The word's last path component is name. */
static int base_is(const word *w, const char *name)
{
	size_t k = strlen(name);
	const char *b = w->p + w->n;

	while (b > w->p && b[-1] != '/')
		b--;
	return (size_t)(w->p + w->n - b) == k && memcmp(b, name, k) == 0;
}

/* The word's last path component is prefix, maybe followed by a version
 * ("python3", "python3.11", "php8.2"). */
static int base_versioned(const word *w, const char *prefix)
{
	size_t k = strlen(prefix), i;
	const char *b = w->p + w->n;

	while (b > w->p && b[-1] != '/')
		b--;
	if ((size_t)(w->p + w->n - b) < k || memcmp(b, prefix, k) != 0)
		return 0;
	for (i = k; b + i < w->p + w->n; i++)
		if (!(b[i] >= '0' && b[i] <= '9') && b[i] != '.')
			return 0;
	return 1;
}

static int base_in(const word *w, const char *const *names)
{
	size_t i;

	for (i = 0; names[i]; i++)
		if (base_is(w, names[i]))
			return 1;
	return 0;
}

static const char *const netcats[] = { "nc", "ncat", "netcat", "nc.traditional",
				       "nc.openbsd", NULL };
static const char *const shells[] = { "sh", "bash", "zsh", "ash", "dash", "ksh", "csh",
				      "tcsh", NULL };

static int is_network_tool(const word *w)
{
	static const char *const others[] = { "telnet", "openssl", "socat", NULL };

	return base_in(w, netcats) || base_in(w, others);
}

static int word_is(const word *w, const char *s)
{
	return w->n == strlen(s) && memcmp(w->p, s, w->n) == 0;
}

/* netcat's flags that run a program on the connection: -e, -c, a group
 * of short flags with e (-nve), --exec, --sh-exec, --lua-exec */
static int is_exec_flag(const word *w)
{
	size_t i;

	if (word_is(w, "-e") || word_is(w, "-c"))
		return 1;
	if (w->n > 2 && w->p[0] == '-' && w->p[1] == '-')
		return (w->n >= 6 && memcmp(w->p, "--exec", 6) == 0) ||
		       (w->n >= 9 && memcmp(w->p, "--sh-exec", 9) == 0) ||
		       (w->n >= 10 && memcmp(w->p, "--lua-exec", 10) == 0);
	if (w->n < 3 || w->p[0] != '-')
		return 0;
	for (i = 1; i < w->n; i++)
		if (!(w->p[i] >= 'a' && w->p[i] <= 'z'))
			return 0;
	return memchr(w->p + 1, 'e', w->n - 1) != NULL;
}

static int has(const line *l, const char *s)
{
	return strstr(l->low, s) != NULL;
}

/* A scripting interpreter's socket one-liner: the interpreter is a word
 * of the line, and the script both opens a socket and hands it a shell
 * or a process. */
static const char *interpreter_socket(const line *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const word *w = &l->w[i];

		if (base_versioned(w, "python") && has(l, "socket") && has(l, "connect") &&
		    (has(l, "dup2") || has(l, "pty") || has(l, "subprocess") || has(l, "/bin/")))
			return "python socket";
		if (base_versioned(w, "perl") && has(l, "socket") &&
		    (has(l, "exec") || has(l, "open(stdin") || has(l, "/bin/") ||
		     has(l, "system")))
			return "perl socket";
		if (base_versioned(w, "ruby") && has(l, "tcpsocket") &&
		    (has(l, "exec") || has(l, "spawn") || has(l, "popen") || has(l, "/bin/") ||
		     has(l, "system")))
			return "ruby socket";
		if (base_versioned(w, "php") && has(l, "fsockopen") &&
		    (has(l, "exec") || has(l, "system") || has(l, "passthru") ||
		     has(l, "popen") || has(l, "/bin/")))
			return "php socket";
		if ((base_is(w, "node") || base_is(w, "nodejs")) && has(l, "child_process") &&
		    has(l, "connect"))
			return "node socket";
	}
	return NULL;
}

static const char *word_forms(const line *l)
{
	size_t i, j;
	int fifo = 0, network = 0, fed_shell = 0, interactive = 0;

	for (i = 0; i < l->n; i++) {
		const word *w = &l->w[i];

		if (base_in(w, netcats))
			for (j = i + 1; j < l->n && l->w[j].cmd == w->cmd; j++)
				if (is_exec_flag(&l->w[j]))
					return "netcat -e";
		if (base_is(w, "socat") && (has(l, "exec:") || has(l, "system:")))
			return "socat exec";
		if (base_is(w, "mkfifo") || base_is(w, "mknod"))
			fifo = 1;
		if (is_network_tool(w))
			network = 1;
		if (base_in(w, shells)) {
			if (w->after_pipe)
				fed_shell = 1;
			if (i + 1 < l->n && word_is(&l->w[i + 1], "-i"))
				interactive = 1;
		}
	}
	if (fifo && network)
		return "fifo pipe";
	if (interactive && (has(l, ">&") || has(l, "&>") || has(l, "<&")))
		return "interactive shell redirected";
	if ((fed_shell || interactive) && network)
		return "shell piped to the network";
	return NULL;
}

const char *kag__reverse_shell(const char *cmd, size_t n)
{
	line l;
	const char *form;
	size_t i;

	if (n > KAG__SHELL_MAX)
		n = KAG__SHELL_MAX;
	for (i = 0; i < n; i++) {
		char c = cmd[i];

		/* a NUL would end the substring searches early */
		l.low[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c ? c : ' ';
	}
	l.low[n] = '\0';
	if (has(&l, "/dev/tcp/") || has(&l, "/dev/udp/"))
		return "/dev/tcp";
	if (has(&l, "/inet/tcp/") || has(&l, "/inet/udp/"))
		return "awk /inet";
	split(&l, n);
	/* the one-liners name their interpreter: the most specific form */
	form = interpreter_socket(&l);
	return form ? form : word_forms(&l);
}
