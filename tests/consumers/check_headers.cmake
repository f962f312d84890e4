# cmake -DSOURCE_DIR=... -DWORK_DIR=... -DCOMPILERS="g++;clang++" -P check_headers.cmake
# Compiles every public header on its own, as a project that vendors litetrace compiles it
# with its own strict flags and -Werror: each C++ compiler given, C++17 and C++20, and
# g++'s -Wuseless-cast besides. A header that warns fails the test, naming the header,
# the compiler and the standard.
set(flags -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wold-style-cast -Wdouble-promotion
          -Wnon-virtual-dtor -Woverloaded-virtual -Werror)
file(GLOB headers ${SOURCE_DIR}/include/litetrace/*.h)
set(failed 0)
set(checked 0)
foreach(cxx IN LISTS COMPILERS)
  set(extra)
  execute_process(COMMAND ${cxx} --version OUTPUT_VARIABLE version ERROR_QUIET)
  if(NOT version MATCHES "clang")
    set(extra -Wuseless-cast)  # g++ only
  endif()
  foreach(std c++17 c++20)
    foreach(header IN LISTS headers)
      get_filename_component(name ${header} NAME)
      set(source ${WORK_DIR}/include_${name}.cc)  # as a user's file includes it
      file(WRITE ${source} "#include <litetrace/${name}>\n")
      execute_process(COMMAND ${cxx} -std=${std} -fsyntax-only -I${SOURCE_DIR}/include ${flags} ${extra} ${source}
                      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
      math(EXPR checked "${checked} + 1")
      if(rc)
        message(SEND_ERROR "litetrace/${name} with ${cxx} -std=${std}:\n${out}")
        set(failed 1)
      endif()
    endforeach()
  endforeach()
endforeach()
if(failed)
  message(FATAL_ERROR "a public header does not compile clean")
endif()
message(STATUS "${checked} compilations of the public headers, clean")
