#include <stdio.h>

#include <jansson.h>

#include "git.h"
#include "html.h"
#include "jsonl.h"
#include "pg.h"
#include "text.h"
#include "version.h"
#include "banned.h"

const char *fp_version_libraries(void)
{
	static char buf[256];

	/* Each wrapper module reports its own library's runtime version (the
	 * shared library the process loaded, not the headers it was built
	 * with): what a bug report needs. */
	if (!buf[0])
		snprintf(buf, sizeof(buf),
			 "jansson %s, libyaml %s, libxml2 %s, utf8proc %s, libpq %s, zlib %s, libgit2 %s",
			 jansson_version_str(), fp_yaml_version(), fp_html_version(), fp_text_version(),
			 fp_pg_version(), fp_jsonl_version(), fp_git_version());
	return buf;
}
