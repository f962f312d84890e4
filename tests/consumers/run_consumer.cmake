# cmake -DMODE=subdirectory|find_package -DSOURCE_DIR=... -DBUILD_DIR=... -DLITETRACE_BUILD_DIR=...
#       -DGENERATOR=... -P run_consumer.cmake
# Configures, builds and runs a tiny consumer of litetrace, from source or after install.
set(work ${BUILD_DIR}/consumer-${MODE})
file(REMOVE_RECURSE ${work})
# The consumer is built like litetrace was (same compiler, same sanitizer flags).
set(args -S ${SOURCE_DIR}/tests/consumers/${MODE} -B ${work}/build -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}")
if(MODE STREQUAL "subdirectory")
  list(APPEND args -DLITETRACE_SOURCE_DIR=${SOURCE_DIR})
else()
  execute_process(COMMAND ${CMAKE_COMMAND} --install ${LITETRACE_BUILD_DIR} --prefix ${work}/prefix
                  RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "cmake --install failed")
  endif()
  list(APPEND args -DCMAKE_PREFIX_PATH=${work}/prefix)
endif()
foreach(step "${CMAKE_COMMAND};${args}" "${CMAKE_COMMAND};--build;${work}/build" "${work}/build/consumer")
  execute_process(COMMAND ${step} RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "consumer (${MODE}) failed at: ${step}")
  endif()
endforeach()
