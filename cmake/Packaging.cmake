# The Debian package: `cpack -G DEB` in the build directory makes letta-stream_<version>_<arch>.deb
# (scripts/package configures, builds, packages and runs lintian in one go). Included from the
# top-level CMakeLists.txt after its install() rules.
#
# The .deb holds two install components, in one package:
#   - the default one: what `cmake --install` puts in place (binary, completions);
#   - "deb" (EXCLUDE_FROM_ALL, so `cmake --install` leaves it out): what Debian policy wants on top,
#     the man page gzip-compressed, the machine-readable copyright file, the changelog and the
#     lintian overrides.
# The component "man" (the uncompressed page, for `cmake --install`) stays out of the .deb.

set(LETTA_STREAM_PACKAGE_MAINTAINER "The letta-stream authors <letta-stream@example.org>"
    CACHE STRING "Maintainer field of the .deb (Name <address>)")
set(LETTA_STREAM_PACKAGE_HOMEPAGE "" CACHE STRING "Homepage field of the .deb (left out when empty)")

find_program(LS_GZIP gzip)
find_program(LS_DPKG dpkg)
if(NOT LS_GZIP)
  message(STATUS "gzip not found: no Debian package (cpack -G DEB) from this build")
  return()
endif()

set(LS_DEB_DIR ${CMAKE_BINARY_DIR}/deb)
set(LS_DEB_DOCDIR ${CMAKE_INSTALL_DATADIR}/doc/${PROJECT_NAME})

# debian/copyright in the machine-readable format, the licence text taken from LICENSE.
file(STRINGS ${CMAKE_SOURCE_DIR}/LICENSE LS_LICENSE_LINES)
list(POP_FRONT LS_LICENSE_LINES)             # "MIT License": the heading, not the licence
set(LS_LICENSE_TEXT "")
foreach(line IN LISTS LS_LICENSE_LINES)
  if(line MATCHES "^Copyright" AND LS_LICENSE_TEXT STREQUAL "")
    continue()                                # stated in the Copyright field
  endif()
  if(line STREQUAL "")
    if(LS_LICENSE_TEXT STREQUAL "")
      continue()
    endif()
    string(APPEND LS_LICENSE_TEXT " .\n")
  else()
    string(APPEND LS_LICENSE_TEXT " ${line}\n")
  endif()
endforeach()
set(LS_COPYRIGHT_SOURCE "")
if(LETTA_STREAM_PACKAGE_HOMEPAGE)
  set(LS_COPYRIGHT_SOURCE "Source: ${LETTA_STREAM_PACKAGE_HOMEPAGE}\n")
endif()
file(CONFIGURE OUTPUT ${LS_DEB_DIR}/copyright @ONLY CONTENT
"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: @PROJECT_NAME@
@LS_COPYRIGHT_SOURCE@
Files: *
Copyright: 2026 The letta-stream authors
License: Expat
@LS_LICENSE_TEXT@")

# The package is native (no Debian revision), so its changelog is changelog.gz, in Debian's format.
# A new version adds an entry on top.
file(CONFIGURE OUTPUT ${LS_DEB_DIR}/changelog @ONLY CONTENT
"letta-stream (0.1.0) unstable; urgency=medium

  * First release: streams a Letta agent's reply to stdout. With a man page
    and bash, zsh and fish completions.

 -- @LETTA_STREAM_PACKAGE_MAINTAINER@  Wed, 02 Dec 2026 00:00:00 +0000
")

# Compressed at build time with -n (no name, no time stamp in the header: reproducible, and what
# lintian asks for); cpack runs the build first.
add_custom_command(
  OUTPUT ${LS_DEB_DIR}/letta-stream.1.gz ${LS_DEB_DIR}/changelog.gz
  COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_SOURCE_DIR}/man/letta-stream.1 ${LS_DEB_DIR}/letta-stream.1
  COMMAND ${LS_GZIP} -9nf ${LS_DEB_DIR}/letta-stream.1
  COMMAND ${CMAKE_COMMAND} -E copy ${LS_DEB_DIR}/changelog ${LS_DEB_DIR}/changelog.tmp
  COMMAND ${LS_GZIP} -9nf ${LS_DEB_DIR}/changelog.tmp
  COMMAND ${CMAKE_COMMAND} -E rename ${LS_DEB_DIR}/changelog.tmp.gz ${LS_DEB_DIR}/changelog.gz
  DEPENDS ${CMAKE_SOURCE_DIR}/man/letta-stream.1 ${LS_DEB_DIR}/changelog
  COMMENT "Compressing the man page and the changelog for the .deb"
  VERBATIM)
add_custom_target(letta-stream-deb-files ALL
  DEPENDS ${LS_DEB_DIR}/letta-stream.1.gz ${LS_DEB_DIR}/changelog.gz)

install(FILES ${LS_DEB_DIR}/letta-stream.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
        COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${LS_DEB_DIR}/copyright ${LS_DEB_DIR}/changelog.gz DESTINATION ${LS_DEB_DOCDIR}
        COMPONENT deb EXCLUDE_FROM_ALL)

# --- CPack ------------------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ${PROJECT_NAME})
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "The letta-stream authors")
set(CPACK_PACKAGE_CONTACT "${LETTA_STREAM_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)     # the zsh rule in CMakeLists.txt picks vendor-completions
set(CPACK_STRIP_FILES ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
if(CMAKE_INSTALL_DEFAULT_COMPONENT_NAME)
  set(CPACK_COMPONENTS_ALL ${CMAKE_INSTALL_DEFAULT_COMPONENT_NAME} deb)
else()
  set(CPACK_COMPONENTS_ALL Unspecified deb)
endif()

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)      # letta-stream_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_NAME ${PROJECT_NAME})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${LETTA_STREAM_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
if(LETTA_STREAM_PACKAGE_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${LETTA_STREAM_PACKAGE_HOMEPAGE}")
endif()
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)       # Depends from dpkg-shlibdeps: libcurl4, libc6, ...
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
if(LS_DPKG)
  execute_process(COMMAND ${LS_DPKG} --print-architecture
                  OUTPUT_VARIABLE CPACK_DEBIAN_PACKAGE_ARCHITECTURE OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; CPack indents this long description and
# turns its empty lines into " .".
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "letta-stream sends one prompt to a Letta agent and writes the agent's reply to
stdout as it is generated, token by token. stdout carries only the reply (or,
with --json, one JSON object per event); diagnostics, reasoning, tool activity
and metrics go to stderr, and the exit status says how the turn ended.

It resumes or retries interrupted streams, cancels the run on Ctrl-C, and also
reads OpenAI-style and plain server-sent event streams. Completions for bash,
zsh and fish are included.")

include(CPack)
