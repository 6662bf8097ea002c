# render.cmake - one man page: IN with @VERSION@ and @DOCDIR@ replaced and,
# if REF is given, @REFERENCE@ replaced by REF's text escaped for roff;
# written to OUT and compressed to OUT.gz (gzip -9n: no name or time
# stamp, so the same sources give the same bytes).
#   cmake -DIN=... -DOUT=... -DVERSION=... -DDOCDIR=... [-DREF=...] -P render.cmake
cmake_minimum_required(VERSION 3.18)
file(READ "${IN}" text)
string(REPLACE "@VERSION@" "${VERSION}" text "${text}")
string(REPLACE "@DOCDIR@" "${DOCDIR}" text "${text}")
if(REF)
  file(READ "${REF}" ref)
  string(REPLACE "\\" "\\e" ref "${ref}")
  # A line may not begin with a control character (. or ').
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" ref "${ref}")
  string(REGEX REPLACE "\n$" "" ref "${ref}")
  string(REPLACE "@REFERENCE@" "${ref}" text "${text}")
endif()
get_filename_component(dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${dir}")
file(WRITE "${OUT}" "${text}")
execute_process(COMMAND gzip -9nf "${OUT}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip ${OUT}: ${rc}")
endif()
