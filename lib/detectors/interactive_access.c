/* interactive_access: pods/exec, pods/attach, pods/portforward and
 * ephemeral containers, with every exec `command=` parameter decoded and the
 * credentials in it masked. */
#include <stdio.h>
#include <string.h>

#include "detector-private.h"
#include "finding-private.h"
#include "redact-private.h"
#include "request-private.h"
#include "shell-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1609", NULL),
	KAG__TECHNIQUE("T1552.007", "token reads"),
	KAG__TECHNIQUE("T1552.005", "cloud metadata"),
	{ NULL }
};
static const int wanted[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_SOURCE_IPS,
			      KAG_FIELD_USER_AGENT, KAG_FIELD_REQUEST_URI };

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	/* A denied attempt is rbac_probing's verdict, never access. */
	if (ctx->outcome == KAG_OUTCOME_DENIED)
		return 0;
	if (!kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "pods") || !kag__has(ev, KAG_FIELD_OBJ_SUBRESOURCE))
		return 0;
	if (kag__eq(ev, KAG_FIELD_OBJ_SUBRESOURCE, "ephemeralcontainers"))
		return kag__eq(ev, KAG_FIELD_VERB, "update") || kag__eq(ev, KAG_FIELD_VERB, "patch");
	if (!kag__is_pod_session(ev))
		return 0;
	/* create over SPDY, get over WebSocket (kubectl >= 1.30) */
	return kag__eq(ev, KAG_FIELD_VERB, "create") || kag__eq(ev, KAG_FIELD_VERB, "get");
}

enum {
	CMD_SHELL = 1 << 0,
	CMD_REVERSE_SHELL = 1 << 1,
	CMD_METADATA = 1 << 2,
	CMD_SA_TOKEN = 1 << 3,
	CMD_DOWNLOAD = 1 << 4,
	CMD_COPY = 1 << 5,
	CMD_CREDENTIAL = 1 << 6 /* masked in the evidence */
};

static int contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static int basename_is(const char *arg, const char *const *names)
{
	const char *base = strrchr(arg, '/');
	size_t i;

	base = base ? base + 1 : arg;
	for (i = 0; names[i]; i++)
		if (strcmp(base, names[i]) == 0)
			return 1;
	return 0;
}

/* The command's findings; *shell names the reverse shell's form. */
static int classify(const char *argv0, const char *joined, size_t jlen, const char **shell)
{
	static const char *const shells[] = { "sh", "bash", "zsh", "ash", "dash", "ksh",
					      "csh", "tcsh", "fish", "busybox", NULL };
	static const char *const metadata[] = { "169.254.169.254", "metadata.google.internal",
						"100.100.100.200", "fd00:ec2::254",
						"169.254.170.2", NULL };
	int flags = 0;
	size_t i;

	if (basename_is(argv0, shells))
		flags |= CMD_SHELL;
	*shell = kag__reverse_shell(joined, jlen);
	if (*shell)
		flags |= CMD_REVERSE_SHELL;
	for (i = 0; metadata[i]; i++)
		if (contains(joined, metadata[i]))
			flags |= CMD_METADATA;
	if (contains(joined, "/var/run/secrets/kubernetes.io") ||
	    contains(joined, "/run/secrets/kubernetes.io") ||
	    contains(joined, "serviceaccount/token"))
		flags |= CMD_SA_TOKEN;
	if (contains(joined, "curl") || contains(joined, "wget"))
		flags |= CMD_DOWNLOAD;
	if (strcmp(argv0, "tar") == 0 || contains(joined, "tar cf") || contains(joined, "tar xf") ||
	    contains(joined, "tar -c") || contains(joined, "tar -x"))
		flags |= CMD_COPY;
	return flags;
}

/* Reading the command= arguments: each is decoded, kept as it is for
 * classify() (the first argument, and all of them joined by spaces: each
 * cut at CLASSIFY_ARG bytes, while they fit), and written to the evidence
 * whole and masked. */
#define CLASSIFY_ARG 1023

typedef struct {
	kag__mask_state st;  /* carried from one argument to the next */
	kag_buf arg, masked; /* the argument decoded, then masked */
	int masked_any;
	char argv0[256];
	char joined[KAG__SHELL_MAX];
	size_t jlen;
} command_reader;

static void put_argument(kag_finding *f, command_reader *r, const char *raw, size_t len,
			 int first)
{
	size_t n, c;

	r->arg.len = r->masked.len = 0;
	if (kag__buf_reserve(&r->arg, len) < 0)
		return;
	n = r->arg.len = kag__url_decode(r->arg.data, raw, len);
	c = n < CLASSIFY_ARG ? n : CLASSIFY_ARG;
	if (first) {
		size_t a0 = n < sizeof(r->argv0) - 1 ? n : sizeof(r->argv0) - 1;

		memcpy(r->argv0, r->arg.data, a0);
		r->argv0[a0] = '\0';
	}
	if (r->jlen + c + 2 < sizeof(r->joined)) {
		if (r->jlen)
			r->joined[r->jlen++] = ' ';
		memcpy(r->joined + r->jlen, r->arg.data, c);
		r->jlen += c;
		r->joined[r->jlen] = '\0';
	}
	if (kag__mask_credentials(&r->masked, r->arg.data, n, &r->st))
		r->masked_any = 1;
	if (!r->masked.oom)
		kag__buf_put_json_str(f->extra, r->masked.data ? r->masked.data : "",
				      r->masked.len);
}

/* Decode the command= parameters into the evidence; return CMD_* flags.
 * The classification reads the command as it is, its arguments joined
 * (a command split over several command= parameters reads as one line);
 * the evidence shows it with credentials masked, and says so
 * ("credential"), and names a reverse shell's form (*shell). */
static int decode_command(kag_finding *f, const kag_event *ev, int *n_args, const char **shell)
{
	static const struct { int flag; const char *name; } names[] = {
		{ CMD_SHELL, "shell" }, { CMD_REVERSE_SHELL, "reverse-shell" },
		{ CMD_METADATA, "cloud-metadata" }, { CMD_SA_TOKEN, "service-account-token" },
		{ CMD_DOWNLOAD, "download-tool" }, { CMD_COPY, "file-copy" },
		{ CMD_CREDENTIAL, "credential" },
	};
	kag_str u = ev->str[KAG_FIELD_REQUEST_URI];
	const char *q, *end;
	command_reader r;
	size_t i;
	int first = 1, flags, any = 0;

	*n_args = 0;
	if (!kag__has(ev, KAG_FIELD_REQUEST_URI))
		return 0;
	/* the query: after the path, before a fragment */
	q = u.ptr + kag__uri_path_len(u.ptr, u.len);
	if (q == u.ptr + u.len || *q != '?')
		return 0;
	end = memchr(q, '#', (size_t)(u.ptr + u.len - q));
	if (!end)
		end = u.ptr + u.len;
	kag__mask_init(&r.st);
	kag__buf_init(&r.arg);
	kag__buf_init(&r.masked);
	r.masked_any = 0;
	r.argv0[0] = r.joined[0] = '\0';
	r.jlen = 0;
	for (q++; q < end;) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *stop = amp ? amp : end;

		if ((size_t)(stop - q) >= 8 && memcmp(q, "command=", 8) == 0) {
			kag__buf_puts(f->extra, first ? "\"command\":[" : ",");
			put_argument(f, &r, q + 8, (size_t)(stop - q) - 8, first);
			first = 0;
			(*n_args)++;
		}
		q = amp ? amp + 1 : end;
	}
	/* an argument that could not be masked is not shown: the verdict fails */
	if (r.arg.oom || r.masked.oom)
		f->extra->oom = 1;
	kag__buf_dispose(&r.arg);
	kag__buf_dispose(&r.masked);
	if (first)
		return 0;
	kag__buf_putc(f->extra, ']');
	flags = classify(r.argv0, r.joined, r.jlen, shell) | (r.masked_any ? CMD_CREDENTIAL : 0);
	if (!flags)
		return 0;
	kag__buf_puts(f->extra, ",\"commandFindings\":[");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(flags & names[i].flag))
			continue;
		if (any)
			kag__buf_putc(f->extra, ',');
		any = 1;
		kag__buf_putc(f->extra, '"');
		kag__buf_puts(f->extra, names[i].name);
		kag__buf_putc(f->extra, '"');
	}
	kag__buf_putc(f->extra, ']');
	if (*shell) {
		kag__buf_puts(f->extra, ",\"reverseShell\":");
		kag__buf_put_json_str(f->extra, *shell, strlen(*shell));
	}
	return flags;
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char sub[32], user[128], ns[96], name[128], verb[32];
	int severity, flags = 0, n_args = 0;
	const char *what, *shell = NULL;
	char shell_says[80] = "";

	kag__show(ev, KAG_FIELD_OBJ_SUBRESOURCE, sub, sizeof(sub));
	if (strcmp(sub, "portforward") == 0) {
		severity = KAG_SEVERITY_MEDIUM;
		what = "port-forward to";
	} else if (strcmp(sub, "ephemeralcontainers") == 0) {
		severity = KAG_SEVERITY_HIGH;
		what = "ephemeral container added to";
	} else {
		severity = KAG_SEVERITY_HIGH;
		what = strcmp(sub, "attach") == 0 ? "attach to" : "exec into";
		flags = decode_command(f, ev, &n_args, &shell);
	}
	if (shell)
		snprintf(shell_says, sizeof(shell_says), "; command opens a reverse shell (%s)",
			 shell);
	if (flags & (CMD_REVERSE_SHELL | CMD_METADATA | CMD_SA_TOKEN))
		severity = KAG_SEVERITY_CRITICAL;
	if (ctx->outcome == KAG_OUTCOME_ERROR && severity > KAG_SEVERITY_LOW)
		severity = KAG_SEVERITY_LOW;
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
		    "%s pod %s/%s by %s (pods/%s, verb %s, outcome %s)%s%s%s", what,
		    kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns)),
		    kag__show(ev, KAG_FIELD_OBJ_NAME, name, sizeof(name)),
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)), sub,
		    kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)),
		    kag_outcome_name(ctx->outcome),
		    shell_says,
		    flags & CMD_METADATA ? "; command reaches a cloud metadata address" : "",
		    flags & CMD_SA_TOKEN ? "; command reads a service-account token" : "");
	kag__finding_attack(f, "T1609");
	if (flags & CMD_SA_TOKEN)
		kag__finding_attack(f, "T1552.007");
	if (flags & CMD_METADATA)
		kag__finding_attack(f, "T1552.005");
	if (!kag__usable(ev, KAG_FIELD_USER_USERNAME))
		kag__finding_weaker(f, KAG_FIELD_USER_USERNAME);
	return KAG_OK;
}

/* the index: applies() is false outside these (route.c) */
static const char *const route_verbs[] = { "create", "get", "update", "patch", NULL };
static const char *const route_resources[] = { "pods", NULL };

const kag__detector_def kag__det_interactive_access = {
	.id = "interactive_access",
	.title = "Interactive access to a pod (exec, attach, port-forward, ephemeral container)",
	.about = {
		.finds =
			"pods/exec, pods/attach, pods/portforward with verb create or get, and "
			"ephemeral containers added (pods/ephemeralcontainers update/patch); "
			"every command= parameter of the requestURI is decoded into "
			"evidence.command, with credentials in it masked (Bearer/Basic values, "
			"user:password, JWTs, values of secret-named keys and flags, URL query "
			"values, cloud keys, PEM private keys); commandFindings then lists "
			"\"credential\"; a reverse shell (the python, perl, ruby, php and node "
			"socket one-liners, /dev/tcp and /dev/udp, nc/ncat -e or -c, socat exec: "
			"or system:, mkfifo pipes to a network tool, an interactive shell "
			"redirected or piped to one, awk /inet/tcp) is read from all the "
			"command= arguments joined, decoded, and named in evidence.reverseShell",
		.fields = "objectRef.resource, objectRef.subresource and verb select the request",
		.level = "exec commands need requestURI, present at every level",
		.severity =
			"high for exec/attach, medium for port-forward, critical when the command "
			"opens a reverse shell, reaches a metadata address or reads a "
			"service-account token",
		.false_positives =
			"break-glass debugging by on-call engineers; denied attempts are reported "
			"by rbac_probing, not here",
		.peers =
			"Falco 'Attach/Exec Pod', Panther K8s.Pod.Exec / ExecIntoPod / Kubectl.CP "
			"/ StealServiceAccountToken, Elastic exec rules, Sigma pod exec",
	},
	.attack = attack,
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_MEDIUM,
	.verbs = route_verbs,
	.resources = route_resources,
	.applies = applies,
	.judge = judge,
};
