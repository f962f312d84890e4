# cmake -DSOURCE_DIR=... -DBUILD_DIR=... -DLITETRACE_BUILD_DIR=... -DCXX_COMPILER=... -DC_COMPILER=...
#       -DCXX_FLAGS=... -DPKG_CONFIG=... -P run_pkg_config.cmake
# Installs litetrace into a prefix, then builds a C++ program and a C program with nothing
# but `pkg-config --cflags --libs --static litetrace` (no CMake), and runs them.
set(work ${BUILD_DIR}/consumer-pkg_config)
file(REMOVE_RECURSE ${work})
file(MAKE_DIRECTORY ${work})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${LITETRACE_BUILD_DIR} --prefix ${work}/prefix RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "cmake --install failed")
endif()
file(GLOB_RECURSE pc_files ${work}/prefix/*/litetrace.pc)
list(LENGTH pc_files found)
if(NOT found EQUAL 1)
  message(FATAL_ERROR "litetrace.pc was not installed (found: ${pc_files})")
endif()
get_filename_component(pc_dir ${pc_files} DIRECTORY)
set(ENV{PKG_CONFIG_PATH} ${pc_dir})
execute_process(COMMAND ${PKG_CONFIG} --cflags --libs --static litetrace
                OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "pkg-config found no litetrace")
endif()
message(STATUS "pkg-config --cflags --libs --static litetrace: ${flags}")
separate_arguments(flags UNIX_COMMAND "${flags}")
separate_arguments(extra UNIX_COMMAND "${CXX_FLAGS}")  # the sanitizers litetrace was built with
function(build compiler std source output)
  execute_process(COMMAND ${compiler} -std=${std} ${extra} ${source} -o ${output} ${flags}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc)
    string(REPLACE ";" " " shown "${compiler} -std=${std} ${extra} ${source} -o ${output} ${flags}")
    message(FATAL_ERROR "failed: ${shown}\n${out}")
  endif()
endfunction()
build(${CXX_COMPILER} c++17 ${SOURCE_DIR}/tests/consumers/consumer.cc ${work}/consumer_cxx)
# A sanitized C++ archive needs the sanitizers' C++ runtime, which clang links for C only
# when asked (gcc's libubsan has it whole).
if(CXX_FLAGS MATCHES "-fsanitize=" AND C_COMPILER MATCHES "clang")
  list(APPEND extra -fsanitize-link-c++-runtime)
endif()
build(${C_COMPILER} c99 ${SOURCE_DIR}/tests/consumers/consumer_c.c ${work}/consumer_c)
foreach(program consumer_cxx consumer_c)
  execute_process(COMMAND ${work}/${program} RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "${program} failed")
  endif()
endforeach()
