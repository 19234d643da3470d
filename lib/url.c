#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"
#include "text.h"
#include "utf8.h"
#include "banned.h"

/* Length of the whitespace code point at s[i], or 0. */
static size_t space_at(const char *s, size_t len, size_t i)
{
	unsigned int cp;
	size_t n;

	if ((unsigned char)s[i] < 0x80)
		return fp_text_is_space((unsigned char)s[i]) ? 1 : 0;
	n = fp_utf8_decode(s + i, &cp);
	return i + n <= len && fp_text_is_space(cp) ? n : 0;
}

/* Length of the trailing whitespace code point ending at s[end], or 0. */
static size_t space_before(const char *s, size_t end)
{
	size_t start = end;

	while (start > 0 && ((unsigned char)s[start - 1] & 0xC0) == 0x80)
		start--;
	if (start > 0)
		start--;
	return space_at(s, end, start) == end - start ? end - start : 0;
}

static int scheme_len(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !isalpha((unsigned char)s[0]))
		return 0;
	for (i = 1; i < len; i++) {
		if (s[i] == ':')
			return (int)i;
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '-' && s[i] != '.')
			return 0;
	}
	return 0;
}

static int host_char(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c >= 0x80;
}

/* Checks the authority of an http(s) URL starting at s (after "//") and
 * lowercases its host. Returns 0 or -1. */
static int check_authority(char *s)
{
	size_t end = strcspn(s, "/?#");
	size_t at, host, i, hostend;

	/* userinfo: up to the last '@' of the authority */
	for (at = end; at > 0 && s[at - 1] != '@'; at--)
		;
	host = at;
	if (host < end && s[host] == '[') {
		for (i = host + 1; i < end && s[i] != ']'; i++)
			if (!isxdigit((unsigned char)s[i]) && s[i] != ':' && s[i] != '.')
				return -1;
		if (i >= end || i == host + 1)
			return -1;
		hostend = i + 1;
	} else {
		for (i = host; i < end && s[i] != ':'; i++) {
			if (!host_char((unsigned char)s[i]))
				return -1;
			s[i] = (char)tolower((unsigned char)s[i]);
		}
		if (i == host)
			return -1;
		hostend = i;
	}
	if (hostend < end) {
		if (s[hostend] != ':')
			return -1;
		for (i = hostend + 1; i < end; i++)
			if (!isdigit((unsigned char)s[i]))
				return -1;
	}
	return 0;
}

int fp_url_normalize(const char *s, size_t len, char **out, struct fp_error *err)
{
	size_t n, i, o, extra = 0, plen;
	const char *prefix = "";
	char *u = NULL;
	int sl;

	*out = NULL;
	while (len > 0 && (n = space_at(s, len, 0)) > 0) {
		s += n;
		len -= n;
	}
	while (len > 0 && (n = space_before(s, len)) > 0)
		len -= n;
	if (len == 0)
		return 0;
	if (len >= 2 && s[0] == '/' && s[1] == '/')
		prefix = "https:";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7F || c == '<' || c == '>' || c == '"')
			goto bad;
		if (c == ' ')
			extra += 2;
	}
	plen = strlen(prefix);
	u = malloc(plen + len + extra + 1);
	if (!u) {
		fp_error_set(err, "out-of-memory", "out of memory normalizing a url");
		return -1;
	}
	memcpy(u, prefix, plen);
	o = plen;
	for (i = 0; i < len; i++) {
		if (s[i] == ' ') {
			memcpy(u + o, "%20", 3);
			o += 3;
		} else {
			u[o++] = s[i];
		}
	}
	u[o] = '\0';
	sl = scheme_len(u, o);
	for (i = 0; i < (size_t)sl; i++)
		u[i] = (char)tolower((unsigned char)u[i]);
	if ((sl == 4 && !memcmp(u, "http", 4)) || (sl == 5 && !memcmp(u, "https", 5))) {
		if (strncmp(u + sl, "://", 3) != 0 || check_authority(u + sl + 3) < 0)
			goto bad;
	}
	*out = u;
	return 1;
bad:
	free(u);
	fp_error_set(err, "url-invalid", "unparseable url '%.*s'", (int)fp_utf8_cut(s, len, 80), s);
	return -1;
}
