# install.cmake - the part of `cmake --install` whose files name the
# install's own paths (deploy/CMakeLists.txt). Run at install time, with
# CMAKE_INSTALL_PREFIX the prefix being installed to (file(INSTALL) puts
# DESTDIR in front) and BATON_SRC, BATON_VERSION, BATON_INSTALL_ETC set.
#
#  - the systemd units, /usr/local/ replaced by the prefix;
#  - the man pages, with the version and the doc dir, baton.yaml(5)
#    carrying deploy/baton.yaml as its REFERENCE section (escaped for
#    roff), compressed with gzip -9n (no name or time stamp);
#  - /etc/baton/baton.yaml.example (the reference) and, only where there
#    is none, /etc/default/batond. Never /etc/baton/baton.yaml: its
#    presence is what lets batond.service and keepalived's drop-in start.
#
# The rendered files are written to a scratch directory, never into the
# build tree (an install as root would leave it root's).

set(deploy "${BATON_SRC}/deploy")
set(tmpdir "$ENV{TMPDIR}")
if(NOT tmpdir)
  set(tmpdir /tmp)
endif()
string(RANDOM LENGTH 12 r)
set(scratch "${tmpdir}/baton-install.${r}")
file(MAKE_DIRECTORY "${scratch}")

# render(IN OUT [REF]): IN with the placeholders filled in, as OUT.
function(render in out)
  file(READ "${in}" text)
  string(REPLACE "/usr/local/" "${CMAKE_INSTALL_PREFIX}/" text "${text}")
  string(REPLACE "@VERSION@" "${BATON_VERSION}" text "${text}")
  string(REPLACE "@DOCDIR@" "${CMAKE_INSTALL_PREFIX}/share/doc/baton" text
         "${text}")
  if(ARGC GREATER 2)
    file(READ "${ARGV2}" ref)
    string(REPLACE "\\" "\\e" ref "${ref}")
    # A line may not begin with a control character (. or ').
    string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" ref "${ref}")
    string(REGEX REPLACE "\n$" "" ref "${ref}")
    string(REPLACE "@REFERENCE@" "${ref}" text "${text}")
  endif()
  get_filename_component(dir "${out}" DIRECTORY)
  file(MAKE_DIRECTORY "${dir}")
  file(WRITE "${out}" "${text}")
endfunction()

set(unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
foreach(unit batond.service keepalived.service.d/baton.conf)
  render("${deploy}/systemd/${unit}" "${scratch}/${unit}")
  get_filename_component(sub "${unit}" DIRECTORY)
  if(sub)
    set(sub "/${sub}")
  endif()
  file(INSTALL "${scratch}/${unit}" DESTINATION "${unit_dir}${sub}")
endforeach()

foreach(page batond.8 batonctl.8 baton-keepalived.8 baton-bird.8
             baton.yaml.5)
  if(page STREQUAL "baton.yaml.5")
    render("${deploy}/man/${page}.in" "${scratch}/${page}"
           "${deploy}/baton.yaml")
  else()
    render("${deploy}/man/${page}" "${scratch}/${page}")
  endif()
  execute_process(COMMAND gzip -9nf "${scratch}/${page}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    file(REMOVE_RECURSE "${scratch}")
    message(FATAL_ERROR "gzip ${page}: ${rc}")
  endif()
  string(REGEX REPLACE ".*\\." "" section "${page}")
  file(INSTALL "${scratch}/${page}.gz"
       DESTINATION "${CMAKE_INSTALL_PREFIX}/share/man/man${section}")
endforeach()
file(REMOVE_RECURSE "${scratch}")

if(BATON_INSTALL_ETC)
  file(INSTALL "${deploy}/baton.yaml" DESTINATION /etc/baton
       RENAME baton.yaml.example)
  if(EXISTS "$ENV{DESTDIR}/etc/default/batond")
    message(STATUS "Kept: $ENV{DESTDIR}/etc/default/batond (exists)")
  else()
    file(INSTALL "${deploy}/systemd/batond.default" DESTINATION /etc/default
         RENAME batond)
  endif()
endif()
