# A Debian package of the install rules (cmake/install.cmake):
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build
#   (cd build && cpack -G DEB)       -> build/feedpipe_0.1.0_amd64.deb
# The Depends line is computed by dpkg-shlibdeps from what the executables
# actually link (libyaml-0-2, libxml2, libjansson4, libpq5, zlib1g,
# libutf8proc2, libc6), so it follows the build machine's libraries.
set(CPACK_PACKAGE_NAME feedpipe)
set(CPACK_PACKAGE_VENDOR "feedpipe")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "batch ETL pipeline for archives of feed articles (Hexo posts) into PostgreSQL or JSONL")
set(CPACK_PACKAGE_DESCRIPTION
  "feedpipe turns archives of feed articles - Markdown files with YAML front matter and a raw
HTML body, as RSSHub feeds rendered as Hexo posts - into clean, structured rows in
PostgreSQL or gzipped, date-partitioned JSON Lines. Four stage executables
(feedpipe-extract, feedpipe-clean, feedpipe-normalize, feedpipe-load) talk
newline-delimited JSON over pipes; the driver 'feedpipe run' wires them.")
set(CPACK_PACKAGE_CONTACT "feedpipe maintainers <maintainers@feedpipe.invalid>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql (>= 14), bash-completion")

include(CPack)
