#include <stdio.h>

#include <jansson.h>

#include "version.h"
#include "banned.h"

const char *fp_version_libraries(void)
{
	static char buf[256];

	if (!buf[0])
		snprintf(buf, sizeof(buf), "jansson %s, libyaml %s", jansson_version_str(),
			 fp_yaml_version());
	return buf;
}
