/* Unit tests of lib/url.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "url.h"
#include "banned.h"

/* want: the URL, "" for empty (rc 0), NULL for invalid (rc -1). */
static void check(const char *in, const char *want)
{
	struct fp_error err;
	char *out;
	int rc;

	fp_error_init(&err);
	rc = fp_url_normalize(in, strlen(in), &out, &err);
	if (!want) {
		if (rc >= 0)
			fail_msg("'%s' accepted as '%s'", in, out ? out : "");
		assert_null(out);
		assert_string_equal(err.reason, "url-invalid");
		return;
	}
	if (!*want) {
		assert_int_equal(rc, 0);
		assert_null(out);
		assert_false(fp_error_isset(&err));
		return;
	}
	if (rc != 1)
		fail_msg("'%s': %s", in, err.text);
	assert_string_equal(out, want);
	free(out);
}

static void test_kept(void **state)
{
	(void)state;
	check("https://n.sinaimg.cn/finance/cece9e13/20200514/343233024.png",
	      "https://n.sinaimg.cn/finance/cece9e13/20200514/343233024.png");
	check("https://cors.zfour.workers.dev/?http://lain.bgm.tv/pic/cover/l/92/97/975_YKuWd.jpg",
	      "https://cors.zfour.workers.dev/?http://lain.bgm.tv/pic/cover/l/92/97/975_YKuWd.jpg");
	check("https://p0.pipi.cn/a.jpg?imageMogr2/thumbnail/2500x2500%3E",
	      "https://p0.pipi.cn/a.jpg?imageMogr2/thumbnail/2500x2500%3E");
	check("https://cn.bing.com/th?id=OHR.K_ZH-CN5677161294_1920x1080.jpg&rf=L.jpg&pid=hp",
	      "https://cn.bing.com/th?id=OHR.K_ZH-CN5677161294_1920x1080.jpg&rf=L.jpg&pid=hp");
	check("http://user:pw@example.com:8080/a#frag", "http://user:pw@example.com:8080/a#frag");
	check("http://[2001:db8::1]:80/x", "http://[2001:db8::1]:80/x");
	check("https://例子.测试/路径", "https://例子.测试/路径");
	check("mailto:a@example.com", "mailto:a@example.com");
	check("data:image/png;base64,iVBORw0KGgo=", "data:image/png;base64,iVBORw0KGgo=");
	/* relative references: nothing to resolve against, kept */
	check("/images/a.png", "/images/a.png");
	check("img/a.png", "img/a.png");
	check("#top", "#top");
	check("?page=2", "?page=2");
}

static void test_normalized(void **state)
{
	(void)state;
	check("  https://example.com/a.jpg \n", "https://example.com/a.jpg");
	check("\xe3\x80\x80https://example.com/\xc2\xa0", "https://example.com/");
	check("//img.example.com/a.jpg", "https://img.example.com/a.jpg");
	check(" //img.example.com/a.jpg", "https://img.example.com/a.jpg");
	check("HTTPS://Example.COM/Path/File.JPG", "https://example.com/Path/File.JPG");
	check("https://example.com/a b.jpg", "https://example.com/a%20b.jpg");
}

static void test_empty(void **state)
{
	(void)state;
	check("", "");
	check("   ", "");
	check("\t\n\xe3\x80\x80", "");
}

static void test_invalid(void **state)
{
	(void)state;
	check("https://", NULL);
	check("https:///path", NULL);
	check("http:/example.com", NULL);
	check("http://exa mple.com/", NULL);
	check("https://example.com:80a/", NULL);
	check("https://bad\"host/", NULL);
	check("https://example.com/\"onerror=\"x", NULL);
	check("https://example.com/<script>", NULL);
	check("https://exa\x01mple.com/", NULL);
	check("https://[zz::1]/", NULL);
	check("https://ex*ample.com/", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept),  cmocka_unit_test(test_normalized),
		cmocka_unit_test(test_empty), cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
