# Logs what this build uses, so a failed build on another machine can be read from its log.

# Sets out to "major.minor.patch" read from #define lines of header, or "unknown".
function(charrnn_header_version out header major minor patch)
  set(version "unknown")
  if(EXISTS "${header}")
    file(STRINGS "${header}" lines REGEX "#define (${major}|${minor}|${patch}) ")
    string(REGEX REPLACE ".*#define ${major} ([0-9]+).*" "\\1" ma "${lines}")
    string(REGEX REPLACE ".*#define ${minor} ([0-9]+).*" "\\1" mi "${lines}")
    string(REGEX REPLACE ".*#define ${patch} ([0-9]+).*" "\\1" pa "${lines}")
    set(version "${ma}.${mi}.${pa}")
  endif()
  set(${out} "${version}" PARENT_SCOPE)
endfunction()

function(charrnn_report_deps)
  message(STATUS "charrnn: LibTorch ${Torch_VERSION} from ${TORCH_INSTALL_PREFIX}")
  message(STATUS "charrnn: compiler ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION} "
    "(${CMAKE_CXX_COMPILER})")
  if(CHARRNN_DEPS_DIR)
    set(inc "${CHARRNN_DEPS_DIR}/include")
    # fmt >= 11 keeps FMT_VERSION in base.h, older ones in core.h.
    file(STRINGS "${inc}/fmt/core.h" fmt_line REGEX "#define FMT_VERSION [0-9]+")
    if(NOT fmt_line AND EXISTS "${inc}/fmt/base.h")
      file(STRINGS "${inc}/fmt/base.h" fmt_line REGEX "#define FMT_VERSION [0-9]+")
    endif()
    string(REGEX REPLACE ".*FMT_VERSION ([0-9]+).*" "\\1" fmt "${fmt_line}")
    charrnn_header_version(spdlog "${inc}/spdlog/version.h"
      SPDLOG_VER_MAJOR SPDLOG_VER_MINOR SPDLOG_VER_PATCH)
    message(STATUS "charrnn: packed deps ${CHARRNN_DEPS_DIR}: fmt ${fmt} (FMT_VERSION), "
      "spdlog ${spdlog}")
  endif()
endfunction()
