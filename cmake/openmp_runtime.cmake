# Which OpenMP runtime charrnn links: exactly one per process.
#
# PyTorch's pip wheels carry their own GNU OpenMP, renamed to torch/lib/libgomp-<hash>.so.1, and
# libtorch_cpu.so links that copy. Linking OpenMP::OpenMP_CXX as well loads the compiler's
# libgomp.so.1 beside it: two OpenMP runtimes in one process, which PyTorch issue 149422 shows
# computing wrong results. So when LibTorch bundles a runtime we still compile with -fopenmp (our
# kernels need the pragmas) but link LibTorch's runtime instead of the compiler's.
set(CHARRNN_OPENMP_LIB "" CACHE FILEPATH
  "OpenMP runtime to link (empty: the libgomp-*.so* bundled beside LibTorch if any, else the compiler's)")

# Sets out to the first libgomp-*.so* in LibTorch's library folders, or to "".
function(charrnn_find_bundled_openmp out)
  set(dirs "${TORCH_INSTALL_PREFIX}/lib")
  foreach(lib torch_cpu torch c10 ${TORCH_LIBRARIES})
    if(TARGET ${lib})
      get_target_property(lib ${lib} LOCATION)
    endif()
    if(lib AND IS_ABSOLUTE "${lib}")
      get_filename_component(dir "${lib}" DIRECTORY)
      list(APPEND dirs "${dir}")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES dirs)
  set(found "")
  foreach(dir ${dirs})
    file(GLOB candidates "${dir}/libgomp-*.so*")
    if(candidates)
      list(SORT candidates)
      list(GET candidates 0 found)
      break()
    endif()
  endforeach()
  set(${out} "${found}" PARENT_SCOPE)
endfunction()

# Compiles target with OpenMP and links one runtime: the bundled one if any, else the compiler's.
function(charrnn_use_openmp target)
  set(runtime "${CHARRNN_OPENMP_LIB}")
  if(NOT runtime)
    charrnn_find_bundled_openmp(runtime)
  endif()
  if(runtime)
    message(STATUS "charrnn: OpenMP runtime ${runtime} (LibTorch's own; the compiler's "
      "libgomp is not linked, so the process has one runtime)")
    # OpenMP::OpenMP_CXX's compile options (-fopenmp) with LibTorch's runtime as the library:
    # the same compile command as the default case, only the link differs.
    add_library(charrnn_openmp INTERFACE)
    get_target_property(flags OpenMP::OpenMP_CXX INTERFACE_COMPILE_OPTIONS)
    target_compile_options(charrnn_openmp INTERFACE ${flags})
    target_link_libraries(charrnn_openmp INTERFACE "${runtime}")
    target_link_libraries(${target} PUBLIC charrnn_openmp)
  else()
    message(STATUS "charrnn: OpenMP runtime the compiler's (${OpenMP_CXX_LIBRARIES}); "
      "LibTorch bundles none")
    target_link_libraries(${target} PUBLIC OpenMP::OpenMP_CXX)
  endif()
endfunction()
