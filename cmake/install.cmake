# Installation and packaging, included once from the root CMakeLists.txt after
# the executables are defined:
#   bin/feedpipe, bin/feedpipe-{extract,clean,normalize,load}
#   share/man/man1/*.1                       from man/*.scd (when scdoc is found)
#   share/feedpipe/clean-rules.yaml          the default cleaning rules
#   share/feedpipe/sql/NNNN-*.sql            the schema migrations
#   share/bash-completion/completions/*      one script, installed per command
#   share/doc/feedpipe/{README.md,examples/}
# `cmake --install BUILD --prefix DIR` works for any prefix; cmake/package.cmake
# turns the same rules into a .deb (cpack -G DEB).
include(GNUInstallDirs)

# The driver's main is stages/feedpipe-run.c while the library target holds
# the name 'feedpipe'; the executable is still called feedpipe, as the README,
# the man page and tests/fixture-run name it.
if(TARGET feedpipe-run)
  set_target_properties(feedpipe-run PROPERTIES OUTPUT_NAME feedpipe)
endif()

# The commands that exist in this tree (a stage that has not landed yet has
# no man page and no completion).
set(FP_COMMANDS "")
foreach(src ${FP_STAGE_SOURCES})
  get_filename_component(exe ${src} NAME_WE)
  if(exe STREQUAL "feedpipe-run")
    set(exe feedpipe)
  endif()
  list(APPEND FP_COMMANDS ${exe})
endforeach()

# Man pages: man/NAME.scd -> BUILD/man/NAME.1, built by default when scdoc is
# there (scripts/install-deps installs it); without it the build says so and
# installs none.
find_program(SCDOC scdoc)
file(GLOB FP_MAN_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/man/*.scd)
set(FP_MAN_PAGES "")
if(SCDOC)
  foreach(scd ${FP_MAN_SOURCES})
    get_filename_component(name ${scd} NAME_WE)
    set(page ${CMAKE_BINARY_DIR}/man/${name}.1)
    add_custom_command(OUTPUT ${page}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND ${SCDOC} < ${scd} > ${page}
      DEPENDS ${scd}
      COMMENT "Building man page ${name}.1" VERBATIM)
    list(APPEND FP_MAN_PAGES ${page})
  endforeach()
  add_custom_target(man ALL DEPENDS ${FP_MAN_PAGES})
  install(FILES ${FP_MAN_PAGES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
elseif(FP_MAN_SOURCES)
  message(STATUS "scdoc not found: man pages are not built (apt-get install scdoc)")
endif()

# Data: the default rules and the migrations, for reading and for operators
# who apply the schema by hand (the executables carry their own copies).
install(FILES ${CMAKE_SOURCE_DIR}/lib/clean-rules.yaml
  DESTINATION ${CMAKE_INSTALL_DATADIR}/feedpipe)
file(GLOB FP_SQL_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/sql/*.sql)
install(FILES ${FP_SQL_FILES} DESTINATION ${CMAKE_INSTALL_DATADIR}/feedpipe/sql)

# Documentation: the README and the examples (the demo archive, cron,
# systemd, SQL, DuckDB, Spark), where Debian packages keep them.
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# bash-completion loads completions/NAME for command NAME: one script serves
# all five, installed under each name.
foreach(cmd ${FP_COMMANDS})
  install(FILES ${CMAKE_SOURCE_DIR}/completion/feedpipe.bash
    DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ${cmd})
endforeach()

include(${CMAKE_CURRENT_LIST_DIR}/package.cmake)
